"""ATT faithfulness: Pearson r against scipy and by hand; deletion/insertion curves on the fake model."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from scipy.stats import pearsonr

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_core.calls.memo import MemoBackend
from gsmile_core.evaluation.metrics.faithfulness import aopc, attribution_order, curve_masks, deletion_test, pearson_faithfulness
from gsmile_core.evaluation.probe import OutputProbe
from gsmile_core.method.segment import split_words


def test_pearson_matches_scipy_and_the_formula():
    acc = [0.70, 0.688, 0.785]
    auroc = [0.84, 0.84, 0.88]
    result = pearson_faithfulness("ATT AUROC", ["gpt", "llama", "claude"], auroc, acc)
    x, y = np.array(acc), np.array(auroc)
    by_hand = np.sum((x - x.mean()) * (y - y.mean())) / np.sqrt(np.sum((x - x.mean()) ** 2) * np.sum((y - y.mean()) ** 2))
    assert result.r == pytest.approx(by_hand)
    assert result.r == pytest.approx(pearsonr(x, y).statistic)
    assert result.p_value == pytest.approx(pearsonr(x, y).pvalue)


def test_pearson_refuses_bad_input_and_constant_is_undefined():
    with pytest.raises(ConfigError):
        pearson_faithfulness("m", ["a", "b"], [1, 2], [1, 2])
    with pytest.raises(ConfigError):
        pearson_faithfulness("m", ["a", "b", "c"], [1, 2], [1, 2, 3])
    assert pearson_faithfulness("m", ["a", "b", "c"], [1, 1, 1], [1, 2, 3]).r is None


def test_curve_masks_and_aopc_by_hand():
    order = attribution_order([0.1, 0.9, 0.5])
    assert order == [1, 2, 0]
    deletion, insertion = curve_masks(order, 3)
    assert deletion == [(1, 1, 1), (1, 0, 1), (1, 0, 0), (0, 0, 0)]
    assert insertion == [(0, 0, 0), (0, 1, 0), (0, 1, 1), (1, 1, 1)]
    assert aopc([0.0, 2.0, 4.0, 9.0]) == pytest.approx(3.0)  # inner points only


def _probe(prompt: str) -> tuple[OutputProbe, MemoBackend]:
    backend = MemoBackend(FakeBackend())
    config = ExplainConfig(perturbations=16, bootstrap=0)
    return OutputProbe(prompt, split_words(prompt), backend, config), backend


def test_true_order_beats_random_on_the_fake_model():
    prompt = "Could you please tell me what the doctor said about the ocean today"
    probe, backend = _probe(prompt)
    truth = [1.0 if w in ("doctor", "ocean") else 0.0 for w in prompt.split()]
    result = asyncio.run(deletion_test(probe, truth, random_seeds=5))
    assert result.order[:2] == ("doctor", "ocean")
    assert result.deletion[0] == pytest.approx(0.0, abs=1e-6) and result.insertion[-1] == pytest.approx(0.0, abs=1e-6)
    # removing both trigger words changes the fake answer entirely from k = 2 on
    assert result.comprehensiveness > result.random_comprehensiveness
    assert result.sufficiency < result.random_sufficiency
    # from k = 2 on the kept words give the original answer: only k = 1 of the 12 inner points moves
    assert result.sufficiency == pytest.approx(result.insertion[1] / 12, abs=1e-6)
    assert result.comprehensiveness_gain > 0 and result.sufficiency_gain > 0
    assert backend.model_calls == result.prompts_asked  # distinct texts, the original included
    # the reversed order is worse than random
    reverse = asyncio.run(deletion_test(probe, [-v for v in truth], random_seeds=5))
    assert reverse.comprehensiveness < reverse.random_comprehensiveness


def test_deletion_test_refuses_bad_input():
    probe, _ = _probe("meaning")
    with pytest.raises(ConfigError):
        asyncio.run(deletion_test(probe, [1.0]))
    probe, _ = _probe("meaning of life")
    with pytest.raises(ConfigError):
        asyncio.run(deletion_test(probe, [1.0, 2.0]))
