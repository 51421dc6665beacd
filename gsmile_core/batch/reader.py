"""The prompts of an audit, read from a JSONL, CSV or plain-text file.

Why a reader of its own: an audit file is untrusted input written by hand or by another tool,
and a mistake in line 4,812 must be one clear line naming that line, not a traceback after an
hour of paid calls. Everything is checked before the first call: the file is UTF-8 text, each
line or row is well formed (a broken one stops the audit or is skipped, as the user chose), ids
are unique, the file holds at least one prompt. Whether a prompt is within the limits (words,
units) is checked per prompt by the runner: such a prompt fails alone and the audit goes on.

Formats, by extension (or `--format`):
- `.jsonl` / `.ndjson`: one object a line: `id`, `prompt`, optional `system_prompt`, optional
  `expected` (keywords: a list of strings, or one string split at `;`);
- `.csv`: a header row with columns `id` and `prompt` (and optionally `system_prompt`,
  `expected`); other columns are ignored;
- anything else: plain text, one prompt per line, blank lines skipped, the id its line number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sanitize import one_line
from ..text_files import read_user_text

FORMATS = ("jsonl", "csv", "text")
BAD_LINE_CHOICES = ("stop", "skip")
MAX_ID_CHARS = 200


@dataclass(frozen=True)
class PromptItem:
    """One prompt of an audit. `line`: where it was read (1-based). `group`, `template`, `slot`
    and `filler`: set for the variants of a fairness template (`fairness`)."""

    id: str
    prompt: str
    line: int = 0
    system_prompt: str | None = None
    expected: tuple[str, ...] = ()
    template: str | None = None
    slot: str | None = None
    group: str | None = None
    filler: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "prompt": self.prompt, "line": self.line}
        for name in ("system_prompt", "template", "slot", "group", "filler"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.expected:
            data["expected"] = list(self.expected)
        return data


@dataclass(frozen=True)
class PromptSet:
    """The prompts read, and the lines skipped (with why) when bad lines are skipped."""

    items: tuple[PromptItem, ...]
    skipped: tuple[str, ...] = field(default=())


class BadLine(ConfigError):
    """One line or row of the input cannot be used."""


def format_of(path: Path, chosen: str | None = None) -> str:
    if chosen is not None:
        if chosen not in FORMATS:
            raise ConfigError(f"unknown input format {chosen!r} (known: {', '.join(FORMATS)})")
        return chosen
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "text"


def read_prompts(path: str | Path, *, format: str | None = None, on_bad_line: str = "stop") -> PromptSet:
    """Every prompt of `path`, checked. `on_bad_line`: `stop` (a bad line is a `BadLine` error)
    or `skip` (it is left out and listed in `skipped`)."""
    path = Path(path)
    if on_bad_line not in BAD_LINE_CHOICES:
        raise ConfigError(f"--on-bad-line must be one of {', '.join(BAD_LINE_CHOICES)}, got {on_bad_line!r}")
    kind = format_of(path, format)
    text = read_user_text(path, "prompt file")
    rows = {"jsonl": _jsonl_rows, "csv": _csv_rows, "text": _text_rows}[kind](text, path)
    items: list[PromptItem] = []
    skipped: list[str] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        try:
            if isinstance(row, BadLine):
                raise row
            item = _item(row, line, path)
            if item.id in seen:
                raise BadLine(f"{path}, line {line}: duplicate id {item.id!r} (first on line {seen[item.id]}); ids must be unique")
        except BadLine as bad:
            if on_bad_line == "stop":
                raise BadLine(f"{bad} (--on-bad-line skip leaves such lines out)") from None
            skipped.append(str(bad))
            continue
        seen[item.id] = line
        items.append(item)
    if not items:
        detail = f" ({len(skipped)} bad line(s) skipped)" if skipped else ""
        raise ConfigError(f"{path} holds no prompt{detail}")
    return PromptSet(tuple(items), tuple(skipped))


def _text_rows(text: str, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, {"id": str(number), "prompt": line}


def _jsonl_rows(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, BadLine(f"{path}, line {number}: not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(row, dict):
            yield number, BadLine(f"{path}, line {number}: expected a JSON object with 'id' and 'prompt', got {type(row).__name__}")
            continue
        yield number, row


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [name for name in ("id", "prompt") if name not in columns]
    if missing:
        raise ConfigError(f"{path}: the CSV header must name the columns id and prompt (missing: {', '.join(missing)})")
    try:
        for row in reader:
            number = reader.line_num
            if None in row or any(value is None for value in row.values()):
                yield number, BadLine(f"{path}, line {number}: {len(columns)} columns expected, the row has a different count")
                continue
            yield number, row
    except csv.Error as error:
        yield reader.line_num, BadLine(f"{path}, line {reader.line_num}: {error}")


def _item(row: dict[str, Any], line: int, path: Path) -> PromptItem:
    where = f"{path}, line {line}"
    raw_id, prompt = row.get("id"), row.get("prompt")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise BadLine(f"{where}: no id")
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
        raise BadLine(f"{where}: the id must be a string or an integer")
    item_id = one_line(str(raw_id).strip(), MAX_ID_CHARS)
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadLine(f"{where}: no prompt (an empty or missing 'prompt')")
    system = row.get("system_prompt")
    if system is not None and not isinstance(system, str):
        raise BadLine(f"{where}: 'system_prompt' must be a string")
    return PromptItem(item_id, prompt, line, system or None, _expected(row.get("expected"), where))


def _expected(value: Any, where: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        words = [w.strip() for w in value.split(";")]
    elif isinstance(value, list) and all(isinstance(w, str) for w in value):
        words = [w.strip() for w in value]
    else:
        raise BadLine(f"{where}: 'expected' must be a list of keywords or a ';'-separated string")
    return tuple(w for w in words if w)
