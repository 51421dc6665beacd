"""The run-settings form: backend, model and the method's knobs, each validated next to itself.

Validation is `gsmile_tui.forms.parse_settings` (the core's ExplainConfig decides); this widget
only lays out fields, shows each field's message under it, and marks the field invalid.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, Select

from gsmile_core.backends import backend_names
from gsmile_core.config import SAMPLER_NAMES, SURROGATE_NAMES, ExplainConfig
from gsmile_core.method.parts import DISTANCES
from gsmile_core.calls.pricing import load_prices

from ..forms import PARSERS, form_defaults, parse_settings

LABELS = {
    "perturbations": "perturbations",
    "seed": "seed",
    "sampler": "sampler",
    "max_removed": "max removed",
    "surrogate": "surrogate",
    "kernel_width": "kernel width σ",
    "max_tokens": "max tokens",
    "temperature": "temperature",
    "concurrency": "concurrency",
    "samples_per_prompt": "samples/prompt",
    "input_distance": "input distance",
    "output_distance": "output distance",
    "bootstrap": "bootstrap draws",
    "alpha": "alpha",
}
CHOICES = {
    "sampler": SAMPLER_NAMES,
    "surrogate": SURROGATE_NAMES,
    "input_distance": tuple(DISTANCES.names()),
    "output_distance": tuple(DISTANCES.names()),
}
HINTS = {
    "max_removed": "only for sampler 'local'",
    "kernel_width": "auto = median input distance, uniform = equal weights",
    "bootstrap": "0 = no p-values",
}


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

    def __init__(self, backend: str = "fake", config: ExplainConfig | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.initial_backend = backend
        self.initial = form_defaults(config)
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        names = backend_names()
        with Horizontal(classes="field"):
            yield Label("backend")
            yield Select(
                [(n, n) for n in names],
                value=self.initial_backend if self.initial_backend in names else names[0],
                allow_blank=False,
                compact=True,
                id="field-backend",
            )
        with Horizontal(classes="field"):
            yield Label("model")
            yield Input(
                placeholder="backend default",
                compact=True,
                id="field-model",
                suggester=SuggestFromList(known_models(self.initial_backend), case_sensitive=False),
            )
        for name in PARSERS:
            with Horizontal(classes="field"):
                yield Label(LABELS[name], markup=False)
                if name in CHOICES:
                    yield Select(
                        [(c, c) for c in CHOICES[name]],
                        value=self.initial[name],
                        allow_blank=False,
                        compact=True,
                        id=f"field-{name}",
                    )
                else:
                    yield Input(
                        self.initial[name], placeholder=HINTS.get(name, ""), compact=True, id=f"field-{name}"
                    )
            yield Label("", classes="error", id=f"error-{name}", markup=False)

    # -- reading the form ----------------------------------------------------------------------
    @property
    def backend(self) -> str:
        return str(self.query_one("#field-backend", Select).value)

    @property
    def model(self) -> str | None:
        return self.query_one("#field-model", Input).value.strip() or None

    def values(self) -> dict[str, str]:
        result = {}
        for name in PARSERS:
            widget = self.query_one(f"#field-{name}")
            result[name] = str(widget.value)
        return result

    def set_value(self, name: str, value: str) -> None:
        self.query_one(f"#field-{name}").value = value

    def validate(self) -> ExplainConfig | None:
        """The config, or None after showing each problem next to its field."""
        config, self.errors = parse_settings(self.values())
        for name in PARSERS:
            message = self.errors.get(name, "")
            label = self.query_one(f"#error-{name}", Label)
            label.update(message)
            label.set_class(bool(message), "shown")
            self.query_one(f"#field-{name}").set_class(bool(message), "-invalid")
        return config

    @on(Input.Changed)
    @on(Select.Changed)
    def _revalidate(self, event) -> None:
        if event.control.id == "field-backend":
            model = self.query_one("#field-model", Input)
            model.suggester = SuggestFromList(known_models(self.backend), case_sensitive=False)
        elif event.control.id != "field-model":
            self.validate()
