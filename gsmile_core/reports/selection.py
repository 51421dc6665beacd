"""Which runs of a session a report covers: all of them, or the ones the user named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..session import Run, Session


def selected_runs(session: Session, run_ids: Sequence[str] | None) -> list[Run]:
    """The runs named by `run_ids` (every run when None); an unknown id raises `SessionError`."""
    if run_ids is None:
        return list(session.runs)
    return [session.run(r) for r in run_ids]


def subset(session: Session, run_ids: Sequence[str]) -> Session:
    """The session cut down to `run_ids`: a comparison stays only with all its runs; a run whose
    comparison is left out becomes a single run."""
    keep = set(run_ids)
    for run_id in run_ids:
        session.run(run_id)
    groups = tuple(g for g in session.groups if all(r in keep for r in g.run_ids))
    grouped = {r for g in groups for r in g.run_ids}
    runs = tuple(
        r if r.group_id is None or r.id in grouped else replace(r, kind="single", group_id=None)
        for r in session.runs
        if r.id in keep
    )
    return replace(session, runs=runs, groups=groups)
