"""Sessions: every run an auditor made, kept as one versioned JSON file that reopens without a model.

A session is what an audit leaves behind, so the file must survive crashes and upgrades:

- it is written atomically (a temporary file in the same folder, flushed and fsynced, then
  renamed over the target), so a crash, a full disk or a failing write leaves the previous
  file intact;
- it carries `{"format": "gsmile.session", "version": N}`; an older version is upgraded in
  memory by the functions in `MIGRATIONS` (the file on disk is only rewritten when the caller
  saves), a newer version or a foreign file is refused with a one-line `SessionError` and never
  overwritten by `save_session`;
- every run stores the full `Explanation` (prompt, every perturbation and answer, statistics,
  settings, provenance), so heatmaps and tables come back without calling any model; and the
  trust checks made of it (stability, consistency, deletion: `check_results`), for the same
  reason.

`Session`, `Run` and `CompareGroup` are frozen: changes return a new `Session` (`with_run`,
`with_compare_group`, ...), which makes "the session as it was saved" a value a UI can hold.
Run and group ids are short sequential strings (`r1`, `g1`) so renderings and snapshots are
stable. No secret is ever stored: an `Explanation` holds no credentials by construction.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import paths
from ..atomic import write_text_atomic
from ..clock import utc_now
from ..evaluation.check_results import CheckResult, check_from_dict
from ..errors import GsmileError
from ..types import EXPLANATION_FORMAT, Explanation

SESSION_FORMAT = "gsmile.session"
SESSION_VERSION = 2
RUN_KINDS = ("single", "compare")

# MIGRATIONS[v] turns a version-v session dict into a version v+1 dict. Add one entry per
# format change; `migrate` chains them.
Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps each run's trust checks (`checks`); a version 1 run had none. The version
    went up so that a gSMILE reading only version 1 refuses the file instead of re-saving it
    without the checks."""
    runs = data.get("runs", [])
    if isinstance(runs, list):
        data["runs"] = [{**run, "checks": []} if isinstance(run, dict) else run for run in runs]
    return data


MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2}


class SessionError(GsmileError):
    """A session file cannot be read or written; the message is one line naming the file."""


# -- the values --------------------------------------------------------------------------------


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
        return {
            "id": self.id,
            "label": self.label,
            "created_at": self.created_at,
            "kind": self.kind,
            "group_id": self.group_id,
            "explanation": self.explanation.to_dict(),
            "checks": [check.to_dict() for check in self.checks],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Run:
        return cls(
            id=str(data["id"]),
            label=str(data.get("label", "")),
            created_at=str(data.get("created_at", "")),
            explanation=Explanation.from_dict(data["explanation"]),
            kind=str(data.get("kind", "single")),
            group_id=None if data.get("group_id") is None else str(data["group_id"]),
            checks=tuple(check_from_dict(c) for c in data.get("checks", ())),
        )


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
        return {
            "id": self.id,
            "label": self.label,
            "created_at": self.created_at,
            "run_ids": list(self.run_ids),
            "top_k": self.top_k,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompareGroup:
        return cls(
            id=str(data["id"]),
            label=str(data.get("label", "")),
            created_at=str(data.get("created_at", "")),
            run_ids=tuple(str(r) for r in data["run_ids"]),
            top_k=int(data.get("top_k", 5)),
        )


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
        return {
            "format": SESSION_FORMAT,
            "version": SESSION_VERSION,
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "runs": [run.to_dict() for run in self.runs],
            "groups": [group.to_dict() for group in self.groups],
            "extras": dict(self.extras),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        """A session from its dict (already migrated to `SESSION_VERSION`); checks references."""
        runs = tuple(Run.from_dict(r) for r in data.get("runs", ()))
        groups = tuple(CompareGroup.from_dict(g) for g in data.get("groups", ()))
        session = cls(
            id=str(data.get("id") or uuid.uuid4().hex[:12]),
            name=str(data.get("name", "")),
            created_at=str(data.get("created_at", "")),
            updated_at=str(data.get("updated_at", data.get("created_at", ""))),
            runs=runs,
            groups=groups,
            extras=dict(data.get("extras") or {}),
        )
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


# -- versions ----------------------------------------------------------------------------------


def migrate(
    data: dict[str, Any],
    migrations: Mapping[int, Migration] | None = None,
    target: int = SESSION_VERSION,
) -> dict[str, Any]:
    """Upgrade a session dict of an older version to `target`, one step at a time.

    Raises ValueError for a newer version or a missing step (the message is user-facing).
    """
    migrations = MIGRATIONS if migrations is None else migrations
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"has no valid version number (found {version!r})")
    if version > target:
        raise ValueError(
            f"is a version {version} session, newer than this gSMILE reads (version {target}); "
            "upgrade gSMILE to open it"
        )
    while version < target:
        step = migrations.get(version)
        if step is None:
            raise ValueError(f"is a version {version} session and no upgrade from it exists")
        data = step(dict(data))
        data["version"] = version = version + 1
    return data


# -- files -------------------------------------------------------------------------------------


def default_sessions_dir() -> Path:
    """Where sessions live (see `paths.sessions_dir`)."""
    return paths.sessions_dir()


def _slug(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "session"


def new_session_path(session: Session, folder: Path | str | None = None) -> Path:
    """A file name for `session` in `folder` (default: `default_sessions_dir()`) that is free."""
    folder = Path(folder) if folder is not None else default_sessions_dir()
    stamp = re.sub(r"[^0-9]", "", session.created_at)[:14] or "00000000000000"
    base = f"{stamp[:8]}-{stamp[8:14]}-{_slug(session.name)}"
    candidate = folder / f"{base}.json"
    n = 2
    while candidate.exists():
        candidate = folder / f"{base}-{n}.json"
        n += 1
    return candidate


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionError(f"cannot open {path}: no such file") from None
    except IsADirectoryError:
        raise SessionError(f"cannot open {path}: it is a folder") from None
    except UnicodeDecodeError:
        raise SessionError(f"cannot open {path}: not a text (UTF-8) file") from None
    except OSError as error:
        raise SessionError(f"cannot open {path}: {error.strerror or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SessionError(
            f"cannot open {path}: broken JSON at line {error.lineno}, column {error.colno} "
            f"({error.msg})"
        ) from None
    except RecursionError:
        raise SessionError(f"cannot open {path}: JSON nested too deeply") from None


def session_from_data(data: Any, source: str = "session") -> Session:
    """A `Session` from parsed JSON: a session (any known version), or a single explanation
    (as written by `gsmile explain --json`), which becomes a one-run session."""
    if not isinstance(data, dict):
        raise SessionError(f"cannot open {source}: not a gSMILE session (top level is not an object)")
    kind = data.get("format")
    try:
        if kind == EXPLANATION_FORMAT:
            explanation = Explanation.from_dict(data)
            stamp = explanation.provenance.created_at or utc_now()
            return Session.new(name=default_run_label(explanation), now=stamp).with_run(
                explanation, now=stamp
            )
        if kind != SESSION_FORMAT:
            raise SessionError(
                f"cannot open {source}: not a gSMILE session (format is {kind!r}, "
                f"expected {SESSION_FORMAT!r})"
            )
        try:
            data = migrate(data)
        except ValueError as error:
            raise SessionError(f"cannot open {source}: it {error}") from None
        return Session.from_dict(data)
    except SessionError:
        raise
    except ValueError as error:
        raise SessionError(f"cannot open {source}: {error}") from None
    except (KeyError, TypeError, AttributeError) as error:
        detail = f"missing field {error}" if isinstance(error, KeyError) else "a field has the wrong type"
        raise SessionError(f"cannot open {source}: damaged session ({detail})") from None


def load_session(path: Path | str) -> Session:
    """Read a session file (or a single-explanation JSON) without touching it.

    Raises `SessionError` with a one-line message for a missing, unreadable, broken, foreign or
    newer-version file.
    """
    path = Path(path)
    return session_from_data(_read_json(path), str(path))


_OWN_HEADER = re.compile(r'\{\s*"format":\s*"gsmile\.session",\s*"version":\s*(\d{1,9})\s*,')


def _refuse_to_clobber(path: Path) -> None:
    """Never replace a file we could not read back: a newer session or somebody else's file."""
    if not path.exists():
        return
    try:
        # Our own files start with format and version: autosaving a large session need not
        # parse the whole previous file.
        with path.open("rb") as handle:
            head = handle.read(256).decode("utf-8", errors="replace")
        own = _OWN_HEADER.match(head)
        if own is not None:
            version = int(own.group(1))
            if version <= SESSION_VERSION:
                return
            raise SessionError(
                f"refusing to overwrite {path}: it is a version {version} session, newer than "
                f"this gSMILE writes ({SESSION_VERSION})"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        raise SessionError(f"refusing to overwrite {path}: it is not a readable gSMILE session") from None
    if not isinstance(data, dict) or data.get("format") not in (SESSION_FORMAT, EXPLANATION_FORMAT):
        raise SessionError(f"refusing to overwrite {path}: it is not a gSMILE session")
    version = data.get("version")
    if data.get("format") == SESSION_FORMAT and isinstance(version, int) and version > SESSION_VERSION:
        raise SessionError(
            f"refusing to overwrite {path}: it is a version {version} session, newer than this "
            f"gSMILE writes ({SESSION_VERSION})"
        )


def write_atomic(path: Path | str, text: str) -> None:
    """Write `text` to `path` atomically (`atomic.write_text_atomic`); raises `SessionError`."""
    write_text_atomic(path, text, SessionError)


def session_json(session: Session) -> str:
    return json.dumps(session.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_session(session: Session, path: Path | str, *, overwrite_foreign: bool = False) -> Path:
    """Save `session` to `path` atomically and return the path.

    The JSON is built completely before anything touches the disk. An existing file at `path`
    that is not a gSMILE session, or is a newer-version session, is not replaced unless
    `overwrite_foreign` is true. Raises `SessionError`.
    """
    path = Path(path)
    try:
        text = session_json(session)
    except (TypeError, ValueError) as error:
        raise SessionError(f"cannot save session {session.name!r}: {error}") from None
    if not overwrite_foreign:
        _refuse_to_clobber(path)
    write_atomic(path, text)
    return path


@dataclass(frozen=True)
class SessionInfo:
    """One session file as listed: enough for a picker, without keeping the runs in memory.

    `error` is the one-line reason when the file cannot be opened (it is listed, not hidden).
    """

    path: Path
    name: str
    updated_at: str
    runs: int
    groups: int
    error: str | None = None
    modified: float = 0.0


def list_sessions(folder: Path | str | None = None) -> list[SessionInfo]:
    """The `*.json` session files in `folder` (default `default_sessions_dir()`), most recently
    updated first. Broken and newer-version files are listed with their `error`."""
    folder = Path(folder) if folder is not None else default_sessions_dir()
    if not folder.is_dir():
        return []
    infos = []
    for path in folder.glob("*.json"):
        if path.name.startswith(".") or not path.is_file():
            continue
        modified = path.stat().st_mtime
        try:
            session = load_session(path)
        except SessionError as error:
            infos.append(SessionInfo(path, path.stem, "", 0, 0, str(error), modified))
            continue
        infos.append(
            SessionInfo(
                path, session.name, session.updated_at, len(session.runs), len(session.groups), None, modified
            )
        )
    infos.sort(key=lambda info: (info.error is None, info.updated_at, info.modified), reverse=True)
    return infos
