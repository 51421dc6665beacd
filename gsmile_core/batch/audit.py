"""An audit from its inputs to its files, for every front end (the CLI, the TUI, Python).

`prepare_audit` does everything that can fail before a model is loaded or called: it reads the
prompt file or the fairness templates and groups, works out what determines the results (the
manifest's identity) and checks the folder (a new audit, a resume, or another audit's options
refused). `open_audit` creates the folder's manifest; the runner then appends the records;
`finish_audit` writes `summary.json`, `report.html` and `report.md` from whatever is done, after a
stop or a cancel too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..calls.cache import CallIdentity
from ..config import ExplainConfig
from ..errors import ConfigError
from .plan import audit_identity, file_digest
from .reader import PromptSet, read_prompts
from .results import AuditFolder


@dataclass(frozen=True)
class AuditInput:
    """Where the prompts come from: a prompt file, or fairness templates and groups."""

    file: str | None = None
    format: str | None = None
    on_bad_line: str = "stop"
    templates: str | None = None
    groups: str | None = None

    def read(self) -> tuple[PromptSet, tuple[Path, ...], str]:
        """The items, the files they came from and the kind ('prompts' or 'fairness')."""
        if self.templates or self.groups:
            if not (self.templates and self.groups):
                raise ConfigError("--templates and --groups go together: give both")
            if self.file:
                raise ConfigError("give a prompt FILE or --templates/--groups, not both")
            from .fairness import expand, read_groups, read_templates

            templates, groups = Path(self.templates), Path(self.groups)
            return expand(read_templates(templates), read_groups(groups)), (templates, groups), "fairness"
        if not self.file:
            raise ConfigError("no prompt file: gsmile audit FILE --out DIR (or --templates FILE --groups FILE)")
        return read_prompts(self.file, format=self.format, on_bad_line=self.on_bad_line), (Path(self.file),), "prompts"


@dataclass(frozen=True)
class PreparedAudit:
    prompts: PromptSet
    sources: tuple[Path, ...]
    kind: str
    folder: AuditFolder
    mode: str  # new | resume | restart
    identity: dict[str, Any]
    config: ExplainConfig
    settings: dict[str, Any]


def prepare_audit(source: AuditInput, out: str | Path, config: ExplainConfig, model: CallIdentity, *,
                  force: bool = False, executor: str = "local") -> PreparedAudit:
    """Read and check everything before any call (ConfigError: one line saying what is wrong)."""
    prompts, sources, kind = source.read()
    identity = audit_identity(file_digest(*sources), model, config, kind)
    folder = AuditFolder(out)
    mode = folder.check(identity, force=force)
    settings = {"input": [str(p) for p in sources], "backend": model.provider, "model": model.model or None,
                "executor": executor, "config": config.to_dict()}
    return PreparedAudit(prompts, sources, kind, folder, mode, identity, config, settings)


def open_audit(prepared: PreparedAudit) -> bool:
    """Create the folder and its manifest (a restart clears the audit's files first). True when a
    cut last line of an earlier run had to be removed."""
    prepared.folder.start(prepared.identity, prepared.settings, prepared.mode)
    return prepared.folder.repair_tail()


def finish_audit(prepared: PreparedAudit, *, wall_s: float | None = None, stopped: str | None = None) -> dict[str, Any]:
    """`summary.json`, `report.html` and `report.md` of what the folder holds; the summary."""
    from .report import write_reports
    from .summary import build_summary

    folder = prepared.folder
    summary = build_summary(folder, prepared.settings, total=len(prepared.prompts.items), wall_s=wall_s,
                            stopped=stopped, skipped_lines=prepared.prompts.skipped)
    if prepared.kind == "fairness":
        from .fairness_stats import fairness_summary

        summary["fairness"] = fairness_summary(folder, prepared.config)
    write_text_atomic(folder.summary, json.dumps(summary, indent=2, ensure_ascii=False) + "\n", ConfigError)
    write_reports(folder, summary)
    return summary
