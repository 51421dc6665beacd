"""Reproducible experiments of the paper's section 5 (and the defaults grid), by name.

`EXPERIMENTS` lists them; importing this package registers every one. Each writes JSON, CSV and
a Markdown table (see `base.write_outputs`).
"""

from . import defaults, paper  # noqa: F401  (registration)
from .base import EXPERIMENTS, ExperimentContext, ExperimentResult, run_experiment, write_outputs

__all__ = ["EXPERIMENTS", "ExperimentContext", "ExperimentResult", "run_experiment", "write_outputs"]
