"""The settings form's text → ExplainConfig, with the core's own messages pinned to fields."""

import pytest

from gsmile_core.config import ExplainConfig
from gsmile_core.errors import ConfigError
from gsmile_tui.forms import form_defaults, parse_settings


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
