"""Older session files, upgraded in memory one version at a time.

`MIGRATIONS[v]` turns a version-v session dict into a version v+1 dict; `migrate` chains them.
The file on disk is only rewritten when the caller saves it; a newer version is refused, never
guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .model import SESSION_VERSION


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
