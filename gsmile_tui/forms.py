"""Turn the run-settings form (text typed by the user) into an `ExplainConfig`.

Parsing text is the UI's job; deciding what is valid is `ExplainConfig`'s: each field is checked
on its own against the core (so the message shown next to a field is the core's ConfigError
message), then the whole config is built for the rules that tie fields together. The core says
which field a message is about (`ConfigError.field`), so no message is read to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gsmile_core.config import KERNEL_WIDTH_RULES, ExplainConfig
from gsmile_core.errors import ConfigError


def _int(text: str) -> int:
    try:
        return int(text.strip().replace("_", "").replace(",", ""))
    except ValueError:
        raise ConfigError(f"expected a whole number, got {text.strip()!r}") from None


def parse_whole_number(text: str, field: str) -> int:
    """A whole number typed into `field`; ConfigError "field: expected a whole number, got 'x'"."""
    try:
        return _int(text)
    except ConfigError as error:
        raise ConfigError(f"{field}: {error}", field=field) from None


def _optional_int(text: str) -> int | None:
    return None if not text.strip() else _int(text)


def _float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ConfigError(f"expected a number, got {text.strip()!r}") from None


def _optional_float(text: str) -> float | None:
    return None if not text.strip() else _float(text)


def _kernel_width(text: str) -> float | str:
    """A rule name, a number, or (an empty field) the configuration's own default."""
    rule = text.strip().lower() or ExplainConfig().kernel_width
    return rule if rule in KERNEL_WIDTH_RULES else _float(text)


def _text(text: str) -> str:
    return text


def _optional_text(text: str) -> str | None:
    return text if text.strip() else None


# Config field → parser of its text, in the form's order. Fields not listed here are not in the form.
PARSERS: dict[str, Callable[[str], Any]] = {
    "system_prompt": _optional_text,
    "max_tokens": _int,
    "temperature": _float,
    "samples_per_prompt": _int,
    "perturbations": _int,
    "seed": _int,
    "sampler": _text,
    "max_removed": _optional_int,
    "surrogate": _text,
    "kernel_width": _kernel_width,
    "input_distance": _text,
    "output_distance": _text,
    "embedder": _text,
    "bootstrap": _int,
    "alpha": _float,
    "concurrency": _int,
    "call_timeout": _float,
    "requests_per_minute": _optional_float,
    "max_calls": _optional_int,
    "max_cost": _optional_float,
    "unit": _text,
    "keep": _optional_text,
    "interactions": _int,
}
# Fields of the form that are not ExplainConfig's but say how a run is made: the drill-down's
# depth (after the sentences or paragraphs, explain the words of the top K; 0 = off).
RUN_FIELDS = ("drill_down",)


def parse_drill_down(text: str) -> int:
    """The drill-down depth typed into the form: a whole number, 0 (off) or more (ConfigError
    with field "drill_down"; how many units there are is known only when the run has them)."""
    try:
        depth = _int(text) if text.strip() else 0
    except ConfigError as error:
        raise ConfigError(f"{{setting}}: {error}", field="drill_down") from None
    if depth < 0:
        raise ConfigError(f"{{setting}} must be 0 (off) or the number of top units to explain word by word; got {depth}",
                          field="drill_down")
    return depth


def form_text(value: Any) -> str:
    """How a config value is shown in its field (None: an empty field)."""
    return "" if value is None else str(value)


def form_defaults(config: ExplainConfig | None = None) -> dict[str, str]:
    """The text each field starts with."""
    config = config or ExplainConfig()
    return {name: form_text(getattr(config, name)) for name in PARSERS}


def form_message(error: ConfigError) -> str:
    """The core's message, naming the setting as the form does (shown under that field)."""
    return error.render(lambda field: field.replace("_", " "))


def parse_settings(
    values: Mapping[str, str], base: ExplainConfig | None = None
) -> tuple[ExplainConfig | None, dict[str, str]]:
    """(config, {}) when the form is valid, else (None, {field: one-line message}).

    `base` holds the settings the form does not show (default: ExplainConfig's defaults).
    Text that does not parse is reported first; then the config is built from everything that
    parsed, and each ConfigError is pinned to the field it names (`ConfigError.field`; a rule
    tying two fields names one of them); that field is set aside and the config is built again,
    so every bad field is shown.
    """
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, parser in PARSERS.items():
        if name not in values:
            continue
        try:
            parsed[name] = parser(values[name])
        except ConfigError as error:
            errors[name] = form_message(error)
    base = base or ExplainConfig()
    for _ in range(len(PARSERS) + 1):
        try:
            config = base.with_changes(**parsed)
        except ConfigError as error:
            name = error.field if error.field in PARSERS else next(iter(parsed), "perturbations")
            errors.setdefault(name, form_message(error))
            if parsed.pop(name, None) is None:
                break  # the message names no field we can set aside
            continue
        return (None, errors) if errors else (config, {})
    return None, errors
