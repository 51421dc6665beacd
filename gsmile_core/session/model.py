"""The values a session holds: runs, compare groups and the session itself, all frozen.

A session is what an audit leaves behind: every run stores the full `Explanation` (prompt, every
perturbation and answer, statistics, settings, provenance), so heatmaps and tables come back
without calling any model, and the trust checks made of it (stability, consistency, deletion:
`check_results`), for the same reason. Files, versions and listing live beside this module
(`store`, `migrate`, `listing`).

`Session`, `Run` and `CompareGroup` are frozen: changes return a new `Session` (`with_run`,
`with_compare_group`, ...), which makes "the session as it was saved" a value a UI can hold.
Run and group ids are short sequential strings (`r1`, `g1`) so renderings and snapshots are
stable. No secret is ever stored: an `Explanation` holds no credentials by construction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .. import records
from ..clock import utc_now
from ..evaluation.check_results import CheckResult, check_from_dict
from ..records import INT, STR, nested, optional, tuple_of, with_missing
from ..types import Explanation

SESSION_FORMAT = "gsmile.session"
SESSION_VERSION = 2
RUN_KINDS = ("single", "compare")


@dataclass(frozen=True)
class Run:
    """One explanation kept in a session.

    `kind` is "single" for a run of its own and "compare" for a member of the compare group
    `group_id`. `checks` are the trust checks made of it, oldest first.
    """

    id: str
    label: str
    created_at: str
    explanation: Explanation
    kind: str = "single"
    group_id: str | None = None
    checks: tuple[CheckResult, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RUN_KINDS:
            raise ValueError(f"run kind must be one of {RUN_KINDS}, not {self.kind!r}")
        if (self.kind == "compare") != (self.group_id is not None):
            raise ValueError("a compare run needs a group_id and a single run must not have one")

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _RUN, order=("id", "label", "created_at", "kind", "group_id", "explanation", "checks"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Run:
        return records.from_dict(cls, data, _RUN)


_RUN = {
    "id": STR, "label": with_missing(STR, ""), "created_at": with_missing(STR, ""),
    "explanation": nested(Explanation), "kind": STR, "group_id": optional(STR),
    "checks": tuple_of(records.Codec(lambda check: check.to_dict(), check_from_dict)),
}


@dataclass(frozen=True)
class CompareGroup:
    """Two or three runs explained side by side (e.g. neutral / men's / women's perspective).

    `run_ids[0]` is the baseline the others are compared with; `top_k` is the k of the Jaccard
    index of the top-k words shown for the group.
    """

    id: str
    label: str
    created_at: str
    run_ids: tuple[str, ...]
    top_k: int = 5

    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _GROUP)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompareGroup:
        return records.from_dict(cls, data, _GROUP)


_GROUP = {"id": STR, "label": with_missing(STR, ""), "created_at": with_missing(STR, ""),
          "run_ids": tuple_of(STR), "top_k": INT}


def _next_id(prefix: str, existing: Iterable[str]) -> str:
    numbers = [int(m.group(1)) for e in existing if (m := re.fullmatch(rf"{prefix}(\d+)", e))]
    return f"{prefix}{max(numbers, default=0) + 1}"


def default_run_label(explanation: Explanation, limit: int = 48) -> str:
    """A label for a run: its prompt on one line, shortened."""
    from ..sanitize import one_line

    return one_line(explanation.prompt, limit) or "(empty prompt)"


@dataclass(frozen=True)
class Session:
    """Ordered runs and compare groups, with a name and timestamps."""

    id: str
    name: str
    created_at: str
    updated_at: str
    runs: tuple[Run, ...] = ()
    groups: tuple[CompareGroup, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, name: str = "", *, now: str | None = None, session_id: str | None = None) -> Session:
        stamp = now or utc_now()
        return cls(
            id=session_id or uuid.uuid4().hex[:12],
            name=name or f"Session {stamp[:16].replace('T', ' ')}",
            created_at=stamp,
            updated_at=stamp,
        )

    # -- looking things up -------------------------------------------------------------------
    def run(self, run_id: str) -> Run:
        for run in self.runs:
            if run.id == run_id:
                return run
        raise KeyError(run_id)

    def group(self, group_id: str) -> CompareGroup:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def group_runs(self, group: CompareGroup | str) -> tuple[Run, ...]:
        group = self.group(group) if isinstance(group, str) else group
        return tuple(self.run(run_id) for run_id in group.run_ids)

    @property
    def explanations(self) -> tuple[Explanation, ...]:
        return tuple(run.explanation for run in self.runs)

    # -- changes (each returns a new Session) ------------------------------------------------
    def with_run(
        self, explanation: Explanation, label: str | None = None, *, now: str | None = None
    ) -> Session:
        """This session with `explanation` appended as a single run (the new run is `runs[-1]`)."""
        stamp = now or utc_now()
        run = Run(
            id=_next_id("r", (r.id for r in self.runs)),
            label=label if label is not None else default_run_label(explanation),
            created_at=stamp,
            explanation=explanation,
        )
        return replace(self, runs=(*self.runs, run), updated_at=stamp)

    def with_compare_group(
        self,
        explanations: Sequence[Explanation],
        labels: Sequence[str] | None = None,
        label: str | None = None,
        *,
        top_k: int = 5,
        now: str | None = None,
    ) -> Session:
        """This session with 2-3 explanations appended as one compare group (`groups[-1]`).

        The first explanation is the baseline (e.g. the neutral prompt).
        """
        if not 2 <= len(explanations) <= 3:
            raise ValueError(f"a compare group holds 2 or 3 runs, not {len(explanations)}")
        if labels is not None and len(labels) != len(explanations):
            raise ValueError("give one label per explanation")
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        stamp = now or utc_now()
        group_id = _next_id("g", (g.id for g in self.groups))
        runs = list(self.runs)
        run_ids = []
        for i, explanation in enumerate(explanations):
            run = Run(
                id=_next_id("r", (r.id for r in runs)),
                label=labels[i] if labels is not None else default_run_label(explanation),
                created_at=stamp,
                explanation=explanation,
                kind="compare",
                group_id=group_id,
            )
            runs.append(run)
            run_ids.append(run.id)
        group = CompareGroup(
            id=group_id,
            label=label if label is not None else " vs ".join(r.label for r in runs[-len(run_ids):]),
            created_at=stamp,
            run_ids=tuple(run_ids),
            top_k=top_k,
        )
        return replace(self, runs=tuple(runs), groups=(*self.groups, group), updated_at=stamp)

    def without_run(self, run_id: str, *, now: str | None = None) -> Session:
        """This session without run `run_id`; a compare group left with < 2 runs is dissolved
        (its remaining run becomes a single run)."""
        self.run(run_id)  # KeyError if unknown
        groups = []
        dissolved: set[str] = set()
        for group in self.groups:
            ids = tuple(r for r in group.run_ids if r != run_id)
            if len(ids) >= 2:
                groups.append(replace(group, run_ids=ids))
            else:
                dissolved.add(group.id)
        runs = tuple(
            replace(r, kind="single", group_id=None) if r.group_id in dissolved else r
            for r in self.runs
            if r.id != run_id
        )
        return replace(self, runs=runs, groups=tuple(groups), updated_at=now or utc_now())

    def with_check(self, run_id: str, check: CheckResult, *, now: str | None = None) -> Session:
        """This session with `check` added to run `run_id`'s checks (KeyError if unknown)."""
        self.run(run_id)
        runs = tuple(replace(r, checks=(*r.checks, check)) if r.id == run_id else r for r in self.runs)
        return replace(self, runs=runs, updated_at=now or utc_now())

    def with_run_label(self, run_id: str, label: str, *, now: str | None = None) -> Session:
        self.run(run_id)
        runs = tuple(replace(r, label=label) if r.id == run_id else r for r in self.runs)
        return replace(self, runs=runs, updated_at=now or utc_now())

    def renamed(self, name: str, *, now: str | None = None) -> Session:
        return replace(self, name=name, updated_at=now or utc_now())

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return records.to_dict(self, _SESSION, head={"format": SESSION_FORMAT, "version": SESSION_VERSION})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        """A session from its dict (already migrated to `SESSION_VERSION`); checks references."""
        session = records.from_dict(
            cls, data, _SESSION,
            id=str(data.get("id") or uuid.uuid4().hex[:12]),
            updated_at=str(data.get("updated_at", data.get("created_at", ""))),
            extras=dict(data.get("extras") or {}),
        )
        runs, groups = session.runs, session.groups
        run_ids = [r.id for r in runs]
        if len(set(run_ids)) != len(run_ids):
            raise ValueError("two runs share an id")
        members = {}
        for group in groups:
            for run_id in group.run_ids:
                if run_id not in run_ids:
                    raise ValueError(f"compare group {group.id} names unknown run {run_id}")
                members[run_id] = group.id
        for run in runs:
            if run.group_id is not None and members.get(run.id) != run.group_id:
                raise ValueError(f"run {run.id} claims compare group {run.group_id}, which does not list it")
        return session


_SESSION = {
    "name": with_missing(STR, ""), "created_at": with_missing(STR, ""),
    "runs": tuple_of(nested(Run)), "groups": tuple_of(nested(CompareGroup)), "extras": records.Codec(dict, dict),
}
