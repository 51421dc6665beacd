"""Timestamps as gSMILE writes them: ISO-8601 UTC to the second, one format in every file.

Sessions, trust checks and reports stamp what they record; they share this one function so their
times compare and sort as text.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    """An ISO-8601 UTC timestamp to the second, e.g. 2026-11-22T13:40:00Z."""
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
