"""What every experiment shares: its context, its result, and how results are written.

An experiment is an async function `run(context) -> ExperimentResult` registered by name in
`EXPERIMENTS`. The context owns the one backend of the run, wrapped in a `MemoBackend`, so no
prompt is ever asked twice within a run however many explanations, peers or curves overlap;
the persistent response cache of the call engine (when enabled) covers repeats across runs.
Progress is reported through the core's typed events: `StageStarted("experiment", total)`
then one `StepDone("experiment", done, total)` per unit of work, which the CLI turns into a bar
with an ETA. Results are written as JSON (everything, with provenance), CSV and a Markdown
table shaped like the paper's.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ... import __version__
from ...atomic import write_text_atomic
from ...backends.base import Backend
from ...config import ExplainConfig
from ...errors import ConfigError
from ...events import EventHandler, Notice, StageStarted, StepDone
from ...calls.memo import MemoBackend
from ..metrics.tables import Column, csv_table, markdown_table
from ...pipeline import explain
from ..probe import OutputProbe
from ...registry import Registry
from ...calls.context import RunContext
from ...types import Explanation, json_safe

RESULT_FORMAT = "gsmile.experiment"
RESULT_VERSION = 1


@dataclass(frozen=True)
class ExperimentResult:
    """One experiment's table (rows × columns), notes, details and provenance."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    extra_tables: tuple[tuple[str, tuple[Column, ...], tuple[dict[str, Any], ...]], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RESULT_FORMAT,
            "version": RESULT_VERSION,
            "name": self.name,
            "title": self.title,
            "columns": [list(c) for c in self.columns],
            "rows": list(self.rows),
            "notes": list(self.notes),
            "extra_tables": [
                {"title": t, "columns": [list(c) for c in cols], "rows": list(rows)}
                for t, cols, rows in self.extra_tables
            ],
            "details": self.details,
            "provenance": self.provenance,
        }

    def markdown(self) -> str:
        parts = [f"# {self.title}\n\n", markdown_table(self.rows, self.columns)]
        for title, columns, rows in self.extra_tables:
            parts += [f"\n## {title}\n\n", markdown_table(rows, columns)]
        if self.notes:
            parts.append("\n" + "\n".join(f"- {n}" for n in self.notes) + "\n")
        p = self.provenance
        parts.append(
            f"\n_gSMILE {p.get('gsmile_version', '?')}, backend {p.get('backend', '?')}, model "
            f"{p.get('model', '?')}, {p.get('created_at', '?')}; {p.get('model_calls', 0)} model "
            f"calls, {p.get('answers_reused', 0)} answers reused within the run, "
            f"{p.get('response_cache_hits', 0)} from the response cache, {p.get('seconds', 0):.1f} s._\n"
        )
        return "".join(parts)


class ExperimentContext:
    """The backend, the base configuration and the options of one experiment run."""

    def __init__(
        self,
        backend: Backend,
        config: ExplainConfig,
        options: dict[str, Any] | None = None,
        *,
        run: RunContext = RunContext(),
    ) -> None:
        self.run = run  # its events are the experiment's progress; its explanations report none
        self.backend = backend if isinstance(backend, MemoBackend) else MemoBackend(backend)
        self.config = config
        self.options = dict(options or {})
        self.started = time.perf_counter()
        self._total = 0
        self._done = 0
        self.explanations = 0
        self.cache_hits = 0
        self._probes: list[OutputProbe] = []

    @property
    def on_event(self) -> EventHandler:
        return self.run.on_event

    def option(self, name: str, default: Any) -> Any:
        value = self.options.get(name)
        return default if value is None else value

    def plan(self, total: int) -> None:
        """Announce how many steps the experiment will take (for the progress bar)."""
        self._total = max(int(total), 1)
        self._done = 0
        self.on_event(StageStarted("experiment", self._total))

    def step(self, count: int = 1) -> None:
        self._done = min(self._done + count, self._total)
        self.on_event(StepDone("experiment", self._done, self._total))

    def notice(self, message: str) -> None:
        self.on_event(Notice(message, level="info"))

    async def explain(self, prompt: str, **changes: Any) -> Explanation:
        """One gSMILE explanation on the run's backend (answers shared across the run)."""
        config = self.config.with_changes(**changes) if changes else self.config
        self.explanations += 1
        explanation = await explain(prompt, self.backend, config, run=self.run.quiet())
        if self.run.cache is not None:
            self.cache_hits += explanation.cache_hits
        return explanation

    def probe(self, explanation: Explanation, config: ExplainConfig | None = None) -> OutputProbe:
        """An output probe on the explanation's prompt, sharing this run's backend and cache."""
        probe = OutputProbe(
            explanation.prompt,
            explanation.features,
            self.backend,
            config or ExplainConfig.from_dict(explanation.config),
            explanation.original_output,
            run=self.run.quiet(),
        )
        self._probes.append(probe)
        return probe

    def provenance(self) -> dict[str, Any]:
        inner = self.backend.inner
        return {
            "gsmile_version": __version__,
            "backend": inner.name,
            "model": inner.model,
            "backend_details": inner.describe(),
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": self.config.to_dict(),
            "options": {k: v for k, v in self.options.items() if v is not None},
            "model_calls": self.backend.model_calls,
            "answers_reused": self.backend.memo_hits,
            "response_cache_hits": self.cache_hits + sum(p.engine.cache_hits for p in self._probes),
            "response_cache": None if self.run.cache is None else str(getattr(self.run.cache, "directory", "on")),
            "refresh": self.run.refresh,
            "explanations": self.explanations,
            "seconds": round(time.perf_counter() - self.started, 3),
            "python": sys.version.split()[0],
            "platform": platform.platform(terse=True),
        }


ExperimentRun = Callable[[ExperimentContext], Awaitable[ExperimentResult]]


@dataclass(frozen=True)
class Experiment:
    name: str
    summary: str
    run: ExperimentRun


EXPERIMENTS: Registry[Experiment] = Registry("experiment")


def experiment(name: str, summary: str) -> Callable[[ExperimentRun], ExperimentRun]:
    """Register an experiment under `name`."""

    def decorator(run: ExperimentRun) -> ExperimentRun:
        EXPERIMENTS.register(name, summary)(Experiment(name, summary, run))
        return run

    return decorator


async def run_experiment(name: str, context: ExperimentContext) -> ExperimentResult:
    """Run experiment `name` and stamp its result with the run's provenance."""
    chosen = EXPERIMENTS.get(name)
    result = await chosen.run(context)
    return replace(result, provenance=context.provenance())


def write_outputs(result: ExperimentResult, out_dir: Path) -> list[Path]:
    """NAME.json, NAME.csv and NAME.md in `out_dir` (created if missing), written atomically."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create {out_dir}: {error.strerror}") from None
    payloads = {
        f"{result.name}.json": json.dumps(
            json_safe(json.loads(json.dumps(result.to_dict(), default=_json_default))),
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
        )
        + "\n",
        f"{result.name}.csv": csv_table(result.rows, result.columns),
        f"{result.name}.md": result.markdown(),
    }
    written = []
    for filename, text in payloads.items():
        path = out_dir / filename
        write_text_atomic(path, text, ConfigError)
        written.append(path)
    return written


def _json_default(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None
