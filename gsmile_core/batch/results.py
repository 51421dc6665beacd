"""The audit folder: `results.jsonl` written one whole line at a time, and the manifest that
makes a resumed audit the same audit.

Why: an audit of thousands of prompts runs for hours and will be interrupted (Ctrl-C, SIGKILL,
a crash, a reboot). Each finished prompt is one line, written with a single `write` on a file
opened for appending, so a kill leaves whole lines only (a tail cut by a full disk is cut off on
the next start, with a notice). The next run reads the ids already done and skips them; the
response cache keeps the calls of the prompt that was in flight. The manifest (`audit.json`)
records what determines the results (input, model, method options); a run with other options
on the same folder is refused, since mixing them would make one table of incomparable rows.
`--force` starts over, deleting only the files an audit writes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import ConfigError
from ..types import json_safe

RESULTS_FILE = "results.jsonl"
MANIFEST_FILE = "audit.json"
SUMMARY_FILE = "summary.json"
REPORT_HTML = "report.html"
REPORT_MD = "report.md"
AUDIT_FILES = (RESULTS_FILE, MANIFEST_FILE, SUMMARY_FILE, REPORT_HTML, REPORT_MD)
MANIFEST_FORMAT = "gsmile.audit"
MANIFEST_VERSION = 1


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    changed = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            changed.append(f"{key} {_short(old.get(key))} -> {_short(new.get(key))}")
    return changed


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:39] + "…"


class AuditFolder:
    """The files of one audit under `directory`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.results = self.directory / RESULTS_FILE
        self.manifest = self.directory / MANIFEST_FILE
        self.summary = self.directory / SUMMARY_FILE
        self.report_html = self.directory / REPORT_HTML
        self.report_md = self.directory / REPORT_MD

    # -- starting ------------------------------------------------------------------------------
    def check(self, identity: Mapping[str, Any], *, force: bool = False) -> str:
        """Before any call: whether this folder can hold an audit of `identity` (what determines
        the results). Returns 'new', 'resume' or 'restart' (with `force`); ConfigError otherwise."""
        directory = self.directory
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--out {directory} is a file, not a folder")
        if not directory.parent.exists():
            raise ConfigError(f"cannot write {directory}: folder {directory.parent} does not exist")
        if not directory.exists():
            return "new"
        if not self.manifest.exists():
            if any(directory.iterdir()):
                raise ConfigError(f"--out {directory} is not empty and holds no audit: choose a new or empty folder")
            return "new"
        stored = self.read_manifest()
        if stored.get("identity") == dict(identity):
            return "restart" if force else "resume"
        if force:
            return "restart"
        changed = _differences(stored.get("identity") or {}, identity)
        raise ConfigError(
            f"{directory} holds an audit made with other options ({'; '.join(changed[:4])}"
            f"{'; …' if len(changed) > 4 else ''}): use another --out, or --force to start over"
        )

    def read_manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"cannot read {self.manifest}: {error}; --force starts over") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ConfigError(f"{self.manifest} is not a gSMILE audit manifest; --force starts over")
        return data

    def start(self, identity: Mapping[str, Any], settings: Mapping[str, Any], mode: str) -> None:
        """Create the folder (or clear an audit's files, on 'restart') and write the manifest."""
        self.directory.mkdir(exist_ok=True)
        if mode == "restart":
            for name in AUDIT_FILES:
                (self.directory / name).unlink(missing_ok=True)
        if mode != "resume":
            manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                        "identity": dict(identity), "settings": dict(settings)}
            write_text_atomic(self.manifest, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", ConfigError)

    # -- results -------------------------------------------------------------------------------
    def repair_tail(self) -> bool:
        """Cut a last line left without its newline (a write cut short); True if one was cut."""
        if not self.results.exists():
            return False
        with open(self.results, "rb+") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            if size == 0:
                return False
            handle.seek(size - 1)
            if handle.read(1) == b"\n":
                return False
            # find the last newline, reading backwards in blocks
            position, block = size, 65536
            keep = 0
            while position > 0:
                start = max(0, position - block)
                handle.seek(start)
                chunk = handle.read(position - start)
                found = chunk.rfind(b"\n")
                if found >= 0:
                    keep = start + found + 1
                    break
                position = start
            handle.truncate(keep)
        return True

    def append(self, record: Mapping[str, Any]) -> None:
        """One record as one line, written whole (a single write on an append-only descriptor)."""
        line = (json.dumps(json_safe(dict(record)), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        descriptor = os.open(self.results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(line)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
        finally:
            os.close(descriptor)

    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.results.exists():
            return
        with open(self.results, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith("\n"):
                    return  # a tail being written or cut: not a record yet
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    yield number, record

    def statuses(self) -> dict[str, str]:
        """Each id's latest status ('ok' or 'error'): a retried prompt's newer line wins."""
        return {record["id"]: str(record.get("status")) for _, record in self._lines()}

    def records(self) -> Iterator[dict[str, Any]]:
        """The latest record of each id, in file order, one at a time (memory: one dict per id
        for the line numbers, never every record)."""
        latest = {record["id"]: number for number, record in self._lines()}
        for number, record in self._lines():
            if latest.get(record["id"]) == number:
                yield record

    def record_of(self, item_id: str) -> dict[str, Any] | None:
        found = None
        for _, record in self._lines():
            if record["id"] == item_id:
                found = record
        return found
