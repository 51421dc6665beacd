"""The defaults chosen by measurement (docs/defaults.md), and the paper's configuration one flag away."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.cli.explain import kernel_width
from gsmile_core.config import ExplainConfig, preset_config
from gsmile_core.errors import ConfigError
from gsmile_core.pipeline import explain
from gsmile_core.method.stats import kernel_width_for


def test_defaults_are_the_measured_winner_and_paper_preset_is_the_paper():
    d = ExplainConfig()
    assert (d.sampler, d.kernel_width, d.surrogate, d.input_distance, d.output_distance) == (
        "uniform-count", "uniform", "wls", "wmd", "wmd")
    p = preset_config("paper")
    assert (p.sampler, p.kernel_width, p.surrogate, p.input_distance, p.output_distance) == (
        "bernoulli", "auto", "wls", "wmd", "wmd")


def test_kernel_width_rules():
    distances = np.array([0.0, 1.0, 3.0, 2.0])
    assert kernel_width_for("auto", distances) == 2.0
    assert math.isinf(kernel_width_for("uniform", distances))
    assert kernel_width_for(0.5, distances) == 0.5
    assert kernel_width("uniform") == "uniform" and kernel_width("0.3") == 0.3
    with pytest.raises(ConfigError, match="'uniform'"):
        ExplainConfig(kernel_width="wide")


def test_uniform_kernel_weighs_every_perturbation_one():
    e = asyncio.run(explain("Could you tell me what the doctor said", FakeBackend(), ExplainConfig(bootstrap=0)))
    assert all(p.weight == 1.0 for p in e.perturbations)
    assert e.effective_sample_size == pytest.approx(len(e.perturbations))
    assert e.ranked()[0][0].text == "doctor"
