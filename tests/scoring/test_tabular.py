"""Tabular models end to end on scikit-learn's bundled data sets and models trained here: the
causal columns rank first, categorical and numeric columns, the counterfactual, the CLI, and one
clear line for every bad input."""

from __future__ import annotations

import csv
import json
import pickle

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from gsmile_core import explain_counterfactual, explain_tabular
from gsmile_core.cli import main
from gsmile_core.errors import ConfigError, ModelError
from gsmile_core.session import Session, load_session, save_session
from gsmile_core.types import Explanation

FAST = {"perturbations": 64, "bootstrap": 499, "ci_resamples": 50}


def _columns(bunch):
    return {name: bunch.data[:, i] for i, name in enumerate(bunch.feature_names)}


def test_causal_columns_of_a_synthetic_regressor_rank_first():
    rng = np.random.default_rng(0)
    data = {f"x{i}": rng.normal(size=300) for i in range(6)}
    target = 3 * data["x1"] - 2 * data["x4"]
    model = LinearRegression().fit(np.column_stack(list(data.values())), target)
    e = explain_tabular(model, data, row=7, **FAST)
    by_size = sorted(e.ranked(), key=lambda pair: -abs(pair[1]))  # a value target's scores are signed
    assert {f.text.split("=")[0] for f, _ in by_size[:2]} == {"x1", "x4"}
    p_values = e.extras["model"]["feature_tests"]["p_values"]
    assert p_values[1] < 0.01 and p_values[4] < 0.01
    assert all(p_values[i] > 0.01 for i in (0, 2, 3, 5))
    assert e.extras["model"]["output_kind"] == "value"
    for feature, column in zip(e.features, data):
        assert feature.text.startswith(column + "=")
        assert e.prompt[feature.start:feature.end] == feature.text


def test_breast_cancer_forest_class_target_and_round_trip(tmp_path):
    bunch = load_breast_cancer()
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(bunch.data, bunch.target)
    e = explain_tabular(model, _columns(bunch), row=10, explained_class="1", **FAST)
    assert e.extras["model"]["target"]["class"] == "1" and e.extras["model"]["row"] == 10
    assert e.model_calls <= 64 and e.fidelity.n_features == 30
    assert e.perturbations[0].input_distance == 0 and all(0 <= p.input_distance <= 1 for p in e.perturbations)
    again = Explanation.from_dict(json.loads(json.dumps(e.to_dict())))
    assert again.to_dict() == e.to_dict()
    path = tmp_path / "s.json"
    save_session(Session.new().with_run(e), path)
    assert load_session(path).runs[0].explanation.extras["model"]["columns"][0] == "mean radius"


def test_wine_from_parquet_and_the_same_seed_gives_the_same_explanation(tmp_path):
    bunch = load_wine()
    model = LogisticRegression(max_iter=5000).fit(bunch.data, bunch.target)
    path = tmp_path / "wine.parquet"
    pq.write_table(pa.table(_columns(bunch)), path)
    first = explain_tabular(model, path, row=0, **{**FAST, "ci_resamples": 0})
    second = explain_tabular(model, _columns(bunch), row=0, **{**FAST, "ci_resamples": 0})
    assert first.attributions == second.attributions
    assert first.extras["model"]["data"] == "wine.parquet"


def _people(tmp_path, n=300):
    rng = np.random.default_rng(1)
    income = rng.normal(50, 15, n)
    sex = rng.choice(["F", "M"], n)
    city = rng.choice(["north", "south", "east"], n)
    age = rng.integers(18, 80, n)
    label = ((income > 50) | (sex == "M")).astype(int)
    path = tmp_path / "people.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["age", "income", "sex", "city", "label"])
        writer.writerows(zip(age, income.round(2), sex, city, label))
    return path


def biased_model(rows):
    """A deliberately unfair rule on (age, income, sex, city): men always get 1."""
    income = rows[:, 1].astype(float)
    male = rows[:, 2] == "M"
    p = np.where(male, 0.95, 1 / (1 + np.exp(-(income - 50) / 5)))
    return np.column_stack([1 - p, p])


def test_categorical_columns_and_the_counterfactual(tmp_path):
    path = _people(tmp_path)
    found = explain_counterfactual(biased_model, path, 2, "sex", drop=["label"], classes=["deny", "grant"],
                                   explained_class="grant", **FAST)
    assert found.labels[0].startswith("sex=") and {found.labels[0], found.labels[1]} == {"sex=F", "sex=M"}
    assert found.original.extras["model"]["background_draws"] == found.swapped.extras["model"]["background_draws"]
    rows = {row.word: row for row in found.comparison.rows}
    assert set(rows) == {"age", "income", "sex", "city"}  # aligned by column, not by text
    assert abs(rows["sex"].deltas[1]) == max(abs(r.deltas[1]) for r in rows.values())
    assert found.swapped.extras["model"]["values"][2] != found.original.extras["model"]["values"][2]
    with pytest.raises(ConfigError, match="has 3 values"):
        explain_counterfactual(biased_model, path, 2, "city", drop=["label"], **FAST)
    with pytest.raises(ConfigError, match="numeric: give the counterfactual value"):
        explain_counterfactual(biased_model, path, 2, "income", drop=["label"], **FAST)


def test_cli_tabular_with_counterfactual_session_and_json(tmp_path, capsys):
    path = _people(tmp_path)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int))
    model_path = tmp_path / "m.joblib"
    joblib.dump(model, model_path)
    table = tmp_path / "xy.csv"
    table.write_text("a,b\n" + "\n".join(f"{u},{v}" for u, v in x) + "\n")
    assert main(["tabular", str(model_path), str(table), "--row", "3", "-n", "16", "--bootstrap", "99", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "loading m.joblib runs code stored inside it" in captured.err
    assert "tabular model LogisticRegression.predict_proba · row 3 of xy.csv" in captured.out
    assert "Features by importance" in captured.out

    pipeline_path = tmp_path / "rule.pkl"
    with pipeline_path.open("wb") as handle:
        pickle.dump(RuleModel(), handle)
    session = tmp_path / "audit.json"
    code = main(["tabular", str(pipeline_path), str(path), "--row", "4", "--drop", "label", "--protected", "sex",
                 "-n", "16", "--bootstrap", "99", "--quiet", "--session", str(session), "--json", str(tmp_path / "cf.json")])
    assert code == 0
    out = capsys.readouterr().out
    assert "Counterfactual: sex=" in out and "Scores side by side" in out
    saved = load_session(session)
    assert len(saved.groups) == 1 and len(saved.runs) == 2
    assert len(json.loads((tmp_path / "cf.json").read_text())) == 2


class RuleModel:
    """A picklable 'estimator' with predict_proba over (age, income, sex, city)."""

    classes_ = np.array(["deny", "grant"])

    def predict_proba(self, rows):
        return biased_model(rows)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--row", "999"], "row 999 is out of range: people.csv has 300 rows (0 to 299)"),
        (["--row", "1", "--drop", "nope"], "no column 'nope'"),
        (["--row", "1", "--protected", "sex", "--swap", "X"], "'X' is not a value of column 'sex'"),
        (["--row", "1", "--swap", "F"], "--swap needs --protected"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, capsys, args, message):
    path = _people(tmp_path)
    model_path = tmp_path / "rule.pkl"
    model_path.write_bytes(pickle.dumps(RuleModel()))
    code = main(["tabular", str(model_path), str(path), "--drop", "label", "-n", "8", "--quiet", *args]
                if "--drop" not in args else ["tabular", str(model_path), str(path), "-n", "8", "--quiet", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("gsmile: error: ") and message in err[-1]


def test_model_files_refused_in_one_line(tmp_path):
    from gsmile_core.scoring.tabular import load_model_file

    (tmp_path / "garbage.pkl").write_bytes(b"not a pickle at all")
    with pytest.raises(ModelError, match="cannot load the model in garbage.pkl"):
        load_model_file(tmp_path / "garbage.pkl")
    (tmp_path / "model.txt").write_text("x")
    with pytest.raises(ModelError, match="MODEL must be a .joblib, .pkl, .pickle file"):
        load_model_file(tmp_path / "model.txt")
    with pytest.raises(ModelError, match="no model file"):
        load_model_file(tmp_path / "missing.joblib")
    notices = []
    joblib.dump(LinearRegression(), tmp_path / "ok.joblib")
    load_model_file(tmp_path / "ok.joblib", notices.append)
    assert "a pickle can run any code" in notices[0]


@pytest.mark.parametrize(
    "model, message",
    [
        (lambda rows: 1 / 0, "raised ZeroDivisionError"),
        (lambda rows: np.full(len(rows), np.nan), "returned NaN or infinity for row"),
        (lambda rows: np.zeros(len(rows) + 1), "returned shape"),
    ],
)
def test_bad_models_are_one_clear_line(model, message):
    with pytest.raises(ModelError, match=message):
        explain_tabular(model, {"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.0]}, row=0, perturbations=4, bootstrap=0)


def test_bad_data_is_one_clear_line(tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("a,b\n1,2\n3,oops\n5,6\n7,8\n")
    with pytest.raises(ConfigError, match=r"column 'b' of mixed.csv mixes numbers and text \(row 1 is 'oops'\)"):
        explain_tabular(lambda r: r[:, 0], mixed, row=0)
    holes = tmp_path / "holes.csv"
    holes.write_text("a,b\n1,2\n3,\n5,6\n")
    with pytest.raises(ConfigError, match="column 'b' of holes.csv has 1 missing values"):
        explain_tabular(lambda r: r[:, 0], holes, row=0)
    with pytest.raises(ConfigError, match="the model expects 3 features"):
        explain_tabular(LinearRegression().fit(np.zeros((4, 3)), np.arange(4)), {"a": [1.0, 2.0], "b": [3.0, 4.0]}, row=0)


def test_enumerated_masks_spend_the_budget_on_more_background_draws():
    rng = np.random.default_rng(5)
    data = {"a": rng.normal(size=200), "b": rng.normal(size=200), "c": rng.normal(size=200)}
    background = np.column_stack(list(data.values()))

    def model(rows):
        return 1 / (1 + np.exp(-3 * np.asarray(rows, dtype=float)[:, 0]))

    e = explain_tabular(model, data, row=0, perturbations=64, bootstrap=0, ci_resamples=0)
    stored = e.extras["model"]
    assert e.extras["enumerated"] and len(e.perturbations) == 7
    assert stored["draws_per_mask"] == 9 and e.model_calls <= 64
    for perturbation, draws, output in zip(e.perturbations, stored["background_draws"], stored["outputs"]):
        assert 0 not in draws  # the explained row is never drawn
        rows = np.where(np.asarray(perturbation.mask, bool), background[0], background[draws])
        assert output[0] == pytest.approx(model(rows).mean())  # each mask: the mean over its draws
