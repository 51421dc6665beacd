"""gSMILE core: explain black-box LLMs, headless.

Everything that computes lives here (perturbation, backends, distances, surrogate, statistics,
sessions, reports); the CLI and the Textual app are thin clients of it. Nothing in this package
imports Textual or `gsmile_tui` — a test enforces that.
"""

__version__ = "0.1.0"
