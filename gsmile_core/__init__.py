"""gSMILE core: explain black-box LLMs, headless.

Everything that computes lives here (perturbation, backends, distances, surrogate, statistics,
sessions, reports); the CLI and the Textual app are thin clients of it. Nothing in this package
imports Textual or `gsmile_tui` — a test enforces that.

The public API (README, "Python API") is the names in `__all__`. They resolve on first use
(PEP 562), so `import gsmile_core` stays cheap: numpy, POT and the SDKs load only when a name
that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "explain": "gsmile_core.api",
    "aexplain": "gsmile_core.api",
    "make_config": "gsmile_core.api",
    "audit_prompts": "gsmile_core.api",
    "aaudit_prompts": "gsmile_core.api",
    "explain_tabular": "gsmile_core.api",
    "explain_counterfactual": "gsmile_core.api",
    "ExplainConfig": "gsmile_core.config",
    "preset_config": "gsmile_core.config",
    "Explanation": "gsmile_core.types",
    "FunctionBackend": "gsmile_core.backends.function",
    "create_backend": "gsmile_core.backends",
    "backend_names": "gsmile_core.backends",
    "ResponseCache": "gsmile_core.calls.cache",
    "AuditLog": "gsmile_core.calls.audit",
    "RunContext": "gsmile_core.calls.context",
    "Session": "gsmile_core.session",
    "load_session": "gsmile_core.session",
    "save_session": "gsmile_core.session",
    "refit": "gsmile_core.evaluation.refit",
    "export": "gsmile_core.reports.render",
    "explanation_html": "gsmile_core.reports.html",
    "GsmileError": "gsmile_core.errors",
    "ConfigError": "gsmile_core.errors",
    "BackendError": "gsmile_core.errors",
    "ModelError": "gsmile_core.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gsmile_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
