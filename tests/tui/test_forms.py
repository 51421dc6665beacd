"""The settings form's text → ExplainConfig, with the core's own messages pinned to the fields the
core names (ConfigError.field), never found by reading the message."""

import pytest

from gsmile_core.config import MAX_PERTURBATIONS, ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_tui.forms import PARSERS, form_defaults, parse_settings


def core_message(**values) -> str:
    with pytest.raises(ConfigError) as raised:
        ExplainConfig(**values)
    return str(raised.value)


def test_defaults_round_trip_to_the_default_config():
    config, errors = parse_settings(form_defaults())
    assert errors == {} and config == ExplainConfig()


def test_every_bad_field_gets_the_cores_message():
    values = form_defaults() | {"perturbations": "0", "seed": "-1", "kernel_width": "x", "sampler": "local"}
    config, errors = parse_settings(values)
    assert config is None
    assert errors["perturbations"] == core_message(perturbations=0)
    assert errors["seed"] == core_message(seed=-1)
    assert errors["sampler"] == core_message(sampler="local")
    assert errors["kernel_width"] == "expected a number, got 'x'"


def test_a_rule_between_two_fields_is_checked_with_the_values_typed():
    values = form_defaults() | {"samples_per_prompt": "3"}
    message = parse_settings(values)[1]["samples_per_prompt"]
    assert "needs a temperature above 0" in message and "--" not in message  # the form's words, no CLI flag
    config, errors = parse_settings(values | {"temperature": "0.7"})
    assert errors == {} and (config.samples_per_prompt, config.temperature) == (3, 0.7)


def test_blank_optional_and_auto_fields():
    config, errors = parse_settings(form_defaults() | {"max_removed": "  ", "kernel_width": ""})
    # an empty field is the configuration's default (uniform), not another rule
    assert errors == {} and config.max_removed is None and config.kernel_width == ExplainConfig().kernel_width == "uniform"
    config, _ = parse_settings(form_defaults() | {"sampler": "local", "max_removed": "2", "kernel_width": "0.5"})
    assert (config.sampler, config.max_removed, config.kernel_width) == ("local", 2, 0.5)


def test_the_field_comes_from_the_core_and_messages_name_settings_in_the_forms_words():
    values = form_defaults() | {"max_tokens": "0", "alpha": "2"}
    _, errors = parse_settings(values)
    assert errors["max_tokens"] == "max tokens must be a positive integer, got 0"
    assert errors["alpha"].startswith("alpha must be between 0 and 1")
    assert not any("--" in message for message in errors.values())


def test_the_cli_names_the_same_error_by_its_flag():
    from gsmile_core.cli import flag_of

    try:
        ExplainConfig(max_tokens=0, call_timeout=-1)
    except ConfigError as error:
        assert error.field == "max_tokens"
        assert error.render(flag_of) == "--max-tokens must be a positive integer, got 0"
        assert str(error) == "max_tokens must be a positive integer, got 0"
    assert flag_of("call_timeout") == "--timeout" and flag_of("requests_per_minute") == "--rpm"


@pytest.mark.parametrize(
    ("field", "text", "words"),
    [
        ("call_timeout", "0", "the timeout must be a positive number of seconds"),
        ("requests_per_minute", "-3", "requests per minute must be a positive number"),
        ("max_calls", "0", "max calls must be a positive whole number"),
        ("max_cost", "-1", "max cost must be a number of US dollars >= 0"),
        ("embedder", "word2vec", "unknown embedder 'word2vec'"),
        ("perturbations", "99,999,999", "99,999,999 perturbations would be up to 99,999,999 model calls"),
    ],
)
def test_each_new_field_gets_its_own_message(field, text, words):
    config, errors = parse_settings(form_defaults() | {field: text})
    assert config is None and list(errors) == [field]
    assert "--" not in errors[field] and (words in errors[field] or field != "perturbations")


def test_engine_fields_and_system_prompt_reach_the_config():
    values = form_defaults() | {
        "call_timeout": "30", "requests_per_minute": "90", "max_calls": "500", "max_cost": "0.25",
        "system_prompt": "Answer in one word.", "embedder": "minilm", "perturbations": f"{MAX_PERTURBATIONS:,}",
    }
    config, errors = parse_settings(values)
    assert errors == {}
    assert (config.call_timeout, config.requests_per_minute, config.max_calls, config.max_cost) == (30.0, 90.0, 500, 0.25)
    assert (config.system_prompt, config.embedder, config.perturbations) == ("Answer in one word.", "minilm", MAX_PERTURBATIONS)
    config, _ = parse_settings(values | {"system_prompt": "  ", "max_calls": "", "max_cost": ""})
    assert (config.system_prompt, config.max_calls, config.max_cost) == (None, None, None)


def test_settings_the_form_does_not_show_come_from_the_base():
    base = ExplainConfig(max_words=300, ci_resamples=7, p=2)
    config, errors = parse_settings(form_defaults(base), base)
    assert errors == {} and config == base
    assert {"max_words", "ci_resamples", "p"}.isdisjoint(PARSERS)
