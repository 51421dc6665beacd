"""The TUI's word details and words table take their verdict from the one significance rule
(`gsmile_core.method.word_support`): a word the fake model ignores reads "not significant" with
its removal-test p beside it, and the details end with the rule the reports state."""

from __future__ import annotations

from gsmile_core.backends.fake import FakeBackend
from gsmile_core.config import ExplainConfig
from gsmile_core.method.word_support import support_rule, word_support
from gsmile_core.pipeline import explain_sync
from gsmile_tui.widgets.word_detail import describe_word


def test_an_ignored_word_reads_not_significant_with_its_evidence():
    explanation = explain_sync("What is the meaning of life?", FakeBackend(), ExplainConfig(perturbations=32))
    supports = {s.feature.text: s for s in word_support(explanation)}
    ignored = describe_word(explanation, supports["is"]).plain
    assert "\nnot significant (removal test p = 1)" in ignored
    assert ignored.rstrip().endswith(f"rule: {support_rule(explanation)}")
    trigger = describe_word(explanation, supports["meaning"]).plain
    assert "\nsignificant (removal test p = 0.00" in trigger
