"""Text classifiers end to end: VADER, a scikit-learn pipeline trained here, plain callables,
module:function; bad classifiers get one clear line; the JSON and sessions round-trip."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pytest

from gsmile_core import explain
from gsmile_core.cli import main
from gsmile_core.errors import ConfigError, ModelError
from gsmile_core.scoring.summary import model_summary
from gsmile_core.session import Session, load_session, save_session
from gsmile_core.types import Explanation

TEXT = "The food was great but the service was terribly slow"
FAST = {"perturbations": 48, "bootstrap": 499, "ci_resamples": 50}


def _score(explanation, word):
    return dict((f.text, s) for f, s in explanation.ranked())[word]


def test_vader_class_target_finds_the_sentiment_words():
    e = explain(TEXT, classifier="vader", explained_class="pos", **FAST)
    ranked = [f.text for f, _ in e.ranked()]
    assert ranked[0] == "great"  # the only positive word of the lexicon here
    assert _score(e, "terribly") < 0  # removing it raises 'pos'
    model = e.extras["model"]
    assert model["kind"] == "text-classifier" and model["name"] == "vader"
    assert model["target"] == {"kind": "class", "distance": None, "class_index": 2, "class": "pos"}
    assert e.provenance.backend == "text-classifier"
    assert all(p.p_value is None for p in e.perturbations)  # per-perturbation p: not defined
    tests = model["feature_tests"]
    p_great = tests["p_values"][[f.text for f in e.features].index("great")]
    assert p_great < 0.01 and tests["draws"] == 499


def test_distribution_target_is_a_registry_distance():
    e = explain(TEXT, classifier="vader", target_distance="wasserstein-1d", **FAST)
    assert e.config["target"] == "distribution" and e.config["target_distance"] == "wasserstein-1d"
    assert e.perturbations[0].output_distance == 0
    assert all(p.output_distance >= 0 for p in e.perturbations)
    assert "output_distance" not in e.config and "max_tokens" not in e.config


def test_json_and_session_round_trip(tmp_path):
    e = explain(TEXT, classifier="vader", explained_class="neg", **FAST)
    again = Explanation.from_dict(json.loads(json.dumps(e.to_dict())))
    assert again.to_dict() == e.to_dict()
    assert model_summary(again) == model_summary(e)
    path = tmp_path / "s.json"
    save_session(Session.new("t").with_run(e), path)
    reopened = load_session(path).runs[0].explanation
    assert reopened.extras["model"]["target"]["class"] == "neg"
    assert model_summary(reopened).heading() == "text classifier vader · explained: change of 'neg'"


def test_a_scikit_learn_pipeline_trained_here():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = ["refund my money now", "great product thanks", "money back please", "thanks love it",
             "I want a refund", "love this great thing"] * 5
    labels = ["complaint", "praise", "complaint", "praise", "complaint", "praise"] * 5
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(texts, labels)
    e = explain("please refund the money for this great phone", classifier=model, explained_class="complaint", **FAST)
    top = [f.text for f, _ in e.ranked()[:2]]
    assert set(top) == {"refund", "money"}
    assert _score(e, "great") < 0
    assert e.extras["model"]["classes"] == ["complaint", "praise"]


def test_callables_mapping_vector_and_value():
    def mapping(text):
        return {"spam": 0.9 if "free" in text else 0.1, "ham": 0.1 if "free" in text else 0.9}

    e = explain("win a free cruise today", classifier=mapping, explained_class="spam", **FAST)
    assert e.ranked()[0][0].text == "free"

    def scores(text):
        return [2.0 * ("free" in text), -1.0]  # logits: softmax for the distribution target

    e = explain("win a free cruise today", classifier=scores, classes=["spam", "ham"], **FAST)
    assert e.extras["model"]["output_kind"] == "scores" and e.ranked()[0][0].text == "free"
    e = explain("win a free cruise today", classifier=lambda t: float(len(t.split())), **FAST)
    assert e.extras["model"]["output_kind"] == "value"
    assert all(math.isclose(s, 1.0, abs_tol=1e-6) for s in e.attributions)  # each word adds 1 word


def test_module_function_from_the_current_folder(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_sentiment.py").write_text(textwrap.dedent("""
        def classify(text):
            return {"bad": 1.0 if "awful" in text else 0.0, "good": 0.0 if "awful" in text else 1.0}
    """))
    monkeypatch.chdir(tmp_path)
    code = main(["explain", "an awful rainy day", "--classifier", "my_sentiment:classify", "--class", "bad",
                 "-n", "16", "--bootstrap", "99", "--ci-resamples", "0", "--json", "-", "--quiet"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    ranked = sorted(zip(data["attributions"], (f["text"] for f in data["features"])), reverse=True)
    assert ranked[0][1] == "awful"


@pytest.mark.parametrize(
    "classifier, message",
    [
        (lambda t: 1 / 0, "raised ZeroDivisionError: division by zero"),
        (lambda t: [float("nan"), 1.0], "returned NaN or infinity"),
        (lambda t: [[0.5, 0.5]], "returned shape (1, 2) for one text"),
        (lambda t: [0.5] * (2 + ("a" in t)), "returned 2 numbers for 3 classes"),
        (lambda t: {"x": 1.0} if "a" in t else {"y": 1.0}, "returned classes"),
        (lambda t: "positive", "not numbers"),
    ],
)
def test_bad_classifiers_are_one_clear_line(classifier, message, capsys):
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        explain("a b c", classifier=classifier, perturbations=8, bootstrap=0, ci_resamples=0)


def test_cli_errors_exit_2(capsys):
    assert main(["explain", "a b", "--classifier", "nope"]) == 2
    assert "unknown classifier 'nope'" in capsys.readouterr().err
    assert main(["explain", "a b", "--classifier", "no_such_module_xyz:f"]) == 2
    assert "cannot import 'no_such_module_xyz'" in capsys.readouterr().err
    assert main(["explain", "a b", "--classifier", "vader", "--shapley"]) == 2
    assert "--shapley applies to a generative model" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="drop-insignificant"):
        explain("a b c", classifier="vader", drop_insignificant=True)


def test_cli_terminal_report(capsys):
    assert main(["explain", TEXT, "--classifier", "vader", "--class", "pos", "-n", "32", "--bootstrap", "199", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "text classifier vader · explained: change of 'pos'" in out
    assert "original output: probabilities: neg 0.317 · neu 0.518 · pos 0.165" in out
    assert "p: Freedman-Lane permutation test" in out and "great" in out


def test_class_names_from_the_model_are_made_safe(capsys):
    def hostile(text):
        return {"\x1b]0;pwned\x07good\x1b[31m": 0.9 if "nice" in text else 0.2, "bad": 0.1 if "nice" in text else 0.8}

    e = explain("a nice day", classifier=hostile, **FAST)
    stored = json.dumps(e.to_dict())
    assert "\\u001b" not in stored and "\\u0007" not in stored
    assert e.extras["model"]["classes"][1] == "bad"


@pytest.mark.parametrize("run_keyword", [{"refresh": True}, {"audit": "audit-folder"}, {"cache": "cache-folder"}])
def test_a_classifier_refuses_the_model_call_keywords_instead_of_ignoring_them(run_keyword):
    with pytest.raises(ConfigError, match="runs in this process"):
        explain(TEXT, classifier="vader", **run_keyword, **FAST)
