"""How many cores this process may use (its CPU affinity, not the machine's core count)."""

from __future__ import annotations

import os


def available_cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return max(os.cpu_count() or 1, 1)
