"""`gsmile explain` method flags: distances per side, embedder, surrogate, `--preset paper`."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from gsmile_core.cli.explain import add_explain_options, config_from_args
from gsmile_core.config import PRESETS, ExplainConfig, preset_config
from gsmile_core.errors import ConfigError

GSMILE = [sys.executable, "-m", "gsmile_core"]
ENV = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}


def run(*args):
    return subprocess.run([*GSMILE, *args], capture_output=True, text=True, env=ENV, timeout=600)


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_explain_options(parser)
    return config_from_args(parser.parse_args(list(argv)))


def test_distance_flags_reach_the_config_per_side():
    config = parse("--input-distance", "kuiper", "--output-distance", "wmd+cosine")
    assert (config.input_distance, config.output_distance) == ("kuiper", "wmd+cosine")


def test_preset_paper_pins_the_papers_configuration_and_explicit_flags_win():
    config = parse("--preset", "paper")
    for name, value in PRESETS["paper"].items():
        assert getattr(config, name) == value
    assert config == preset_config("paper")
    assert parse("--preset", "paper", "--output-distance", "ks").output_distance == "ks"
    assert parse("--preset", "paper", "--surrogate", "bayes").surrogate == "bayes"


def test_no_preset_leaves_the_plain_defaults():
    assert parse() == ExplainConfig()


def test_unknown_preset_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown preset"):
        preset_config("fastest")


def test_cli_runs_every_distance_pair_kind_and_records_it():
    result = run(
        "explain", "meaning of life today", "--backend", "fake", "--json", "-",
        "--input-distance", "cvm", "--output-distance", "ad", "--surrogate", "bayes",
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["config"]["input_distance"] == "cvm" and data["config"]["output_distance"] == "ad"
    assert all(p["output_distance"] >= 0 for p in data["perturbations"])


def test_cli_rejects_an_unknown_distance_in_one_line():
    result = run("explain", "hi there", "--backend", "fake", "--output-distance", "hamming")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "invalid choice: 'hamming'" in result.stderr


def test_shapley_flag_prints_the_reference_table_and_stores_it():
    result = run("explain", "the doctor saw the ocean", "--backend", "fake", "--shapley", "--no-cache")
    assert result.returncode == 0, result.stderr
    assert "Exact Shapley values" in result.stdout and "Shapley rank" in result.stdout
    result = run("explain", "the doctor saw the ocean", "--backend", "fake", "--shapley", "--json", "-", "--no-cache")
    data = json.loads(result.stdout)
    shapley = data["extras"]["shapley"]
    assert len(shapley["values"]) == 5 and shapley["masks_total"] == 31
    assert shapley["masks_queried"] == 0  # 30 masks fit in 64 perturbations: all enumerated


def test_shapley_refuses_long_prompts_before_any_call():
    result = run("explain", " ".join(["word"] * 13), "--backend", "fake", "--shapley")
    assert result.returncode == 2
    assert result.stderr.startswith("gsmile: error: --shapley enumerates") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("surrogate,headers", [("bayes", ["95% credible", "95% bootstrap CI"]), ("wls", ["95% bootstrap CI"])])
def test_word_table_shows_intervals_and_marks_zero_crossings(surrogate, headers):
    result = run("explain", "Could you please tell me what the doctor said about the ocean today", "--backend", "fake", "--surrogate", surrogate)
    assert result.returncode == 0, result.stderr
    for header in headers:
        assert header in result.stdout
    assert "∋0" in result.stdout and "sign is not reliable" in result.stdout
    assert "Monte-Carlo s.e." in result.stdout
