"""The run-settings form: backend, model, base URL and the method's knobs, each validated next to
itself.

Validation is the core's: `gsmile_tui.forms.parse_settings` (ExplainConfig decides) for the
method, `check_api_options` for the base URL. Each ConfigError names its field
(`ConfigError.field`); this widget lays out fields, shows each field's message under it, and marks
the field invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Select

from gsmile_core.backends import backend_names
from gsmile_core.backends.api_common import API_BACKENDS, check_api_options
from gsmile_core.config import SAMPLER_NAMES, SURROGATE_NAMES, ExplainConfig
from gsmile_core.calls.pricing import load_prices
from gsmile_core.errors import ConfigError
from gsmile_core.method.parts import DISTANCES, EMBEDDERS
from gsmile_core.method.units import UNIT_CHOICES

from ..forms import PARSERS, RUN_FIELDS, form_defaults, form_message, parse_drill_down, parse_settings

LABELS = {
    "backend": "backend",
    "model": "model",
    "base_url": "base URL",
    "system_prompt": "system prompt",
    "max_tokens": "max tokens",
    "temperature": "temperature",
    "samples_per_prompt": "samples/prompt",
    "perturbations": "perturbations",
    "seed": "seed",
    "sampler": "sampler",
    "max_removed": "max removed",
    "surrogate": "surrogate",
    "kernel_width": "kernel width σ",
    "input_distance": "input distance",
    "output_distance": "output distance",
    "embedder": "embedder",
    "bootstrap": "bootstrap draws",
    "alpha": "alpha",
    "concurrency": "concurrency",
    "call_timeout": "timeout s",
    "requests_per_minute": "requests/min",
    "max_calls": "max calls",
    "max_cost": "max cost $",
    "unit": "unit",
    "keep": "keep (regex)",
    "interactions": "interactions",
    "drill_down": "drill-down K",
}
CHOICES = {
    "sampler": SAMPLER_NAMES,
    "surrogate": SURROGATE_NAMES,
    "input_distance": tuple(DISTANCES.names()),
    "output_distance": tuple(DISTANCES.names()),
    "embedder": tuple(EMBEDDERS.names()),
    "unit": UNIT_CHOICES,
}
HINTS = {
    "system_prompt": "none",
    "max_removed": "only for sampler 'local'",
    "kernel_width": "auto = median input distance, uniform = equal weights",
    "bootstrap": "0 = no p-values",
    "requests_per_minute": "no limit",
    "max_calls": "no limit",
    "max_cost": "no limit (needs a known price)",
    "keep": "text never removed, e.g. \\d+",
    "interactions": "top units to pair; 0 = off",
    "drill_down": "0 = off; words of the top K units",
}
BASE_URL_HINTS = {
    "openai-compatible": "required, e.g. http://localhost:8000/v1",
}
# Fields of the form that are not ExplainConfig's: which backend, and where it is.
BACKEND_FIELDS = ("backend", "model", "base_url")


@dataclass(frozen=True)
class BackendChoice:
    """The backend part of the form: its name, the model ('' = the backend's default) and the
    base URL ('' = the provider's)."""

    backend: str
    model: str = ""
    base_url: str = ""


def without_answer_span(config: ExplainConfig) -> ExplainConfig:
    """The config for the form: an answer span belongs to one run (picked in its answer pane),
    never to the settings every later run starts from."""
    return config if config.answer_span is None else config.with_changes(answer_span=None)


def known_models(backend: str) -> list[str]:
    """Model names the price table lists for `backend` (suggestions; any name may be typed)."""
    try:
        return sorted(m for m in load_prices().get(backend, {}) if m != "*")
    except Exception:  # a broken user price file must not break the form (the run reports it)
        return []


class RunSettings(VerticalScroll):
    DEFAULT_CSS = """
    RunSettings { height: 1fr; padding: 0 1; }
    RunSettings .field { height: 1; }
    RunSettings .field > Label { width: 16; }
    RunSettings .field > Input, RunSettings .field > Select { width: 1fr; max-width: 40; }
    RunSettings .error { color: $error; display: none; width: 100%; height: auto; padding-left: 2; }
    RunSettings .error.shown { display: block; }
    """

    def __init__(
        self, choice: BackendChoice | None = None, config: ExplainConfig | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.initial_choice = choice or BackendChoice("fake")
        if self.initial_choice.backend not in backend_names():  # never a silent other backend
            raise ConfigError(
                f"unknown backend {self.initial_choice.backend!r} (known: {', '.join(backend_names())})",
                field="backend",
            )
        self.initial = form_defaults(config)
        self.initial_drill_down = "0"
        self.base_config = without_answer_span(config or ExplainConfig())  # the settings the form does not show
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        choice = self.initial_choice
        with Horizontal(classes="field"):
            yield Label(LABELS["backend"], markup=False)
            yield Select(
                [(n, n) for n in backend_names()], value=choice.backend, allow_blank=False, compact=True,
                id="field-backend",
            )
        yield Label("", classes="error", id="error-backend", markup=False)
        with Horizontal(classes="field"):
            yield Label(LABELS["model"], markup=False)
            yield Input(
                choice.model, placeholder="backend default", compact=True, id="field-model",
                suggester=SuggestFromList(known_models(choice.backend), case_sensitive=False),
            )
        yield Label("", classes="error", id="error-model", markup=False)
        with Horizontal(classes="field"):
            yield Label(LABELS["base_url"], markup=False)
            yield Input(choice.base_url, compact=True, id="field-base_url")
        yield Label("", classes="error", id="error-base_url", markup=False)
        for name in PARSERS:
            with Horizontal(classes="field"):
                yield Label(LABELS[name], markup=False)
                if name in CHOICES:
                    yield Select(
                        [(c, c) for c in CHOICES[name]], value=self.initial[name], allow_blank=False,
                        compact=True, id=f"field-{name}",
                    )
                else:
                    yield Input(
                        self.initial[name], placeholder=HINTS.get(name, ""), compact=True, id=f"field-{name}"
                    )
            yield Label("", classes="error", id=f"error-{name}", markup=False)
        for name in RUN_FIELDS:
            with Horizontal(classes="field"):
                yield Label(LABELS[name], markup=False)
                yield Input(self.initial_drill_down, placeholder=HINTS.get(name, ""), compact=True, id=f"field-{name}")
            yield Label("", classes="error", id=f"error-{name}", markup=False)

    def on_mount(self) -> None:
        self._follow_backend()

    # -- reading the form ----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        return str(self.query_one("#field-backend", Select).value)

    @property
    def model(self) -> str | None:
        return self.query_one("#field-model", Input).value.strip() or None

    @property
    def base_url(self) -> str | None:
        """The typed base URL, for API backends only (other backends take none)."""
        if self.backend not in API_BACKENDS:
            return None
        return self.query_one("#field-base_url", Input).value.strip() or None

    @property
    def choice(self) -> BackendChoice:
        return BackendChoice(self.backend, self.model or "", self.base_url or "")

    def values(self) -> dict[str, str]:
        return {name: str(self.query_one(f"#field-{name}").value) for name in PARSERS}

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#field-{name}").value = value

    def restore(self, choice: BackendChoice | None = None, config: ExplainConfig | None = None) -> None:
        """Put a backend choice and/or a config's values in the form (a reopened session, saved
        settings). A backend this installation does not know raises ConfigError, form unchanged."""
        if choice is not None:
            if choice.backend not in backend_names():
                raise ConfigError(
                    f"unknown backend {choice.backend!r} (known: {', '.join(backend_names())})", field="backend"
                )
            self.query_one("#field-backend", Select).value = choice.backend
            self.query_one("#field-model", Input).value = choice.model
            self.query_one("#field-base_url", Input).value = choice.base_url
        if config is not None:
            self.base_config = without_answer_span(config)
            for name, text in form_defaults(config).items():
                self.set_value(name, text)
        self._follow_backend()

    @property
    def drill_down(self) -> int:
        """The drill-down depth (0 when the field is not valid: `validate` says so)."""
        try:
            return parse_drill_down(self.query_one("#field-drill_down", Input).value)
        except ConfigError:
            return 0

    def current_config(self) -> ExplainConfig:
        """The form's config if it is valid, else the settings it started from (nothing shown)."""
        return parse_settings(self.values(), self.base_config)[0] or self.base_config

    def validate(self) -> ExplainConfig | None:
        """The config, or None after showing each problem next to its field (the backend's
        base URL and the drill-down depth included)."""
        config, self.errors = parse_settings(self.values(), self.base_config)
        try:
            parse_drill_down(self.query_one("#field-drill_down", Input).value)
        except ConfigError as error:
            self.errors["drill_down"] = form_message(error)
        try:
            check_api_options(self.backend, base_url=self.base_url)
        except ConfigError as error:
            self.errors[error.field if error.field in BACKEND_FIELDS else "base_url"] = form_message(error)
        for name in (*BACKEND_FIELDS, *PARSERS, *RUN_FIELDS):
            message = self.errors.get(name, "")
            label = self.query_one(f"#error-{name}", Label)
            label.update(message)
            label.set_class(bool(message), "shown")
            self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")
        return None if self.errors else config

    def first_invalid(self):
        """The first field with a problem (to focus it), or None."""
        for name in (*BACKEND_FIELDS, *PARSERS, *RUN_FIELDS):
            if name in self.errors:
                return self.query_one(f"#field-{name}")
        return None

    def _follow_backend(self) -> None:
        """Suggestions and the base-URL field follow the backend (only API backends take a URL)."""
        backend = self.backend
        self.query_one("#field-model", Input).suggester = SuggestFromList(known_models(backend), case_sensitive=False)
        base_url = self.query_one("#field-base_url", Input)
        base_url.disabled = backend not in API_BACKENDS
        base_url.placeholder = (
            BASE_URL_HINTS.get(backend, "the provider's") if backend in API_BACKENDS else f"none for {backend}"
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _revalidate(self, event) -> None:
        if event.control.id == "field-backend":
            self._follow_backend()
        if event.control.id != "field-model" and self.is_mounted:
            self.validate()
