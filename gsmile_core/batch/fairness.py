"""Fairness sets: templates with a slot, groups of fillers, expanded into an audit's prompts.

`The {person} asked the doctor about the results.` with `person: [he, she, they]` gives three
variants. Each variant's filler is a protected span (`[[he]]`, never removed), so every variant
of a template has the same units and therefore the same masks: the variants are explained on
the same perturbations, and a word's importance can be compared between them position by
position. A slot's groups are either its fillers (`person: [he, she, they]`: each filler its own
group) or named lists (`name: {female: [Mary, Linda], male: [James, John]}`: each name a
variant, a group's figures the mean over its names).

Groups file formats: JSON or TOML (`person = ["he", "she"]`, `[name]` tables of lists), or
lines `slot: [a, b, c]` / `slot: a, b, c` / `slot.group: [a, b]` (`#` starts a comment).
Templates: one per line (the id is the line number), or JSONL with `id`, `template` and an
optional `system_prompt`. A template uses exactly one slot (any number of times); a slot with
no group is one clear error naming the template's line.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..sanitize import one_line
from ..text_files import read_user_text
from .reader import PromptItem, PromptSet

SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([^:]+?))?\s*:\s*(.*?)\s*$")
MAX_FILLER_CHARS = 200


@dataclass(frozen=True)
class Template:
    id: str
    text: str
    line: int
    slot: str
    system_prompt: str | None = None


Groups = dict[str, dict[str, tuple[str, ...]]]  # slot -> group label -> fillers


def read_templates(path: Path) -> list[Template]:
    text = read_user_text(path, "templates file")
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson")
    templates: list[Template] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        system = None
        if jsonl:
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise ConfigError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
            if not isinstance(row, dict) or not isinstance(row.get("template"), str) or not row["template"].strip():
                raise ConfigError(f"{where}: expected an object with a non-empty 'template'")
            template_id = one_line(str(row.get("id", number)), 200)
            body, system = row["template"], row.get("system_prompt")
            if system is not None and not isinstance(system, str):
                raise ConfigError(f"{where}: 'system_prompt' must be a string")
        else:
            template_id, body = str(number), line
        slots = sorted(set(SLOT.findall(body)))
        if not slots:
            raise ConfigError(f"{where}: the template has no {{slot}} to fill")
        if len(slots) > 1:
            raise ConfigError(f"{where}: the template uses {len(slots)} slots ({', '.join('{' + s + '}' for s in slots)}); "
                              "one slot per template, so its variants differ in one place")
        if template_id in seen:
            raise ConfigError(f"{where}: duplicate template id {template_id!r} (first on line {seen[template_id]})")
        seen[template_id] = number
        templates.append(Template(template_id, body, number, slots[0], system or None))
    if not templates:
        raise ConfigError(f"templates file {path} holds no template")
    return templates


def read_groups(path: Path) -> Groups:
    text = read_user_text(path, "groups file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            raw = json.loads(text)
        elif suffix == ".toml":
            raw = tomllib.loads(text)
        else:
            raw = _parse_lines(text, path)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"groups file {path} is not valid {suffix[1:].upper()}: {error}") from None
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"groups file {path} defines no slot (expected e.g. 'person: [he, she, they]')")
    return {str(slot): _groups_of(str(slot), value, path) for slot, value in raw.items()}


def _parse_lines(text: str, path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ConfigError(f"{path}, line {number}: expected 'slot: [a, b, c]' or 'slot.group: [a, b]'")
        slot, group, body = match.groups()
        body = body.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        fillers = [f.strip().strip("'\"").strip() for f in body.split(",")]
        fillers = [f for f in fillers if f]
        if not fillers:
            raise ConfigError(f"{path}, line {number}: no filler after ':'")
        if group is None:
            if slot in found:
                raise ConfigError(f"{path}, line {number}: slot {slot!r} is defined twice")
            found[slot] = fillers
        else:
            target = found.setdefault(slot, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{path}, line {number}: slot {slot!r} is both a list and named groups")
            target[group.strip()] = fillers
    return found


def _groups_of(slot: str, value: Any, path: Path) -> dict[str, tuple[str, ...]]:
    if isinstance(value, list):
        listed = [_filler(f, slot, path) for f in value]
        if len(set(listed)) != len(listed):
            raise ConfigError(f"groups file {path}: slot {slot!r} lists a filler twice")
        groups = {f: (f,) for f in listed}
    elif isinstance(value, dict):
        groups = {}
        for label, names in value.items():
            if isinstance(names, str):
                names = [names]
            if not isinstance(names, list) or not names:
                raise ConfigError(f"groups file {path}: group {slot}.{label} must be a non-empty list of fillers")
            groups[one_line(str(label), 100)] = tuple(_filler(n, slot, path) for n in names)
    else:
        raise ConfigError(f"groups file {path}: slot {slot!r} must be a list of fillers or named lists")
    if len(groups) < 2:
        raise ConfigError(f"groups file {path}: slot {slot!r} needs at least two groups to compare")
    fillers = [f for names in groups.values() for f in names]
    if len(set(fillers)) != len(fillers):
        raise ConfigError(f"groups file {path}: slot {slot!r} lists a filler twice")
    return groups


def _filler(value: Any, slot: str, path: Path) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"groups file {path}: the fillers of {slot!r} must be words or names")
    text = one_line(str(value))
    if not text or len(text) > MAX_FILLER_CHARS or "[[" in text or "]]" in text or SLOT.search(text):
        raise ConfigError(f"groups file {path}: filler {text[:40]!r} of {slot!r} is empty, too long or holds '[[', ']]' or a slot")
    return text


def variant_prompt(template: Template, filler: str) -> str:
    """The template with every occurrence of its slot filled by `filler`, protected (`[[...]]`)."""
    return SLOT.sub(lambda _: f"[[{filler}]]", template.text)


def expand(templates: list[Template], groups: Groups) -> PromptSet:
    """Every variant of every template, as audit items (id `template/group` or
    `template/group/filler` when a group has several fillers)."""
    items = []
    for template in templates:
        if template.slot not in groups:
            known = ", ".join(sorted(groups))
            raise ConfigError(f"template on line {template.line} uses {{{template.slot}}}, which the groups file does not "
                              f"define (it defines: {known})")
        for label, fillers in groups[template.slot].items():
            for filler in fillers:
                suffix = label if len(fillers) == 1 else f"{label}/{filler}"
                items.append(PromptItem(
                    id=f"{template.id}/{suffix}", prompt=variant_prompt(template, filler), line=template.line,
                    system_prompt=template.system_prompt, template=template.id, slot=template.slot,
                    group=label, filler=filler,
                ))
    return PromptSet(tuple(items))
