"""Secret masking, the env → keyring → error chain, and keyring backends good and bad.

Keyrings here are real `keyring` backends: an in-memory one (a dict behind the real API), keyring's
own `fail` and `null` backends, a plaintext-file one and one that drops what it is given.
"""

from __future__ import annotations

import copy
import pickle
import traceback

import keyring
import keyring.backends.chainer
import keyring.backends.null
import pytest
from fakes.keyrings import ForgetfulKeyring, MemoryKeyring, PlaintextFileKeyring

from gsmile_core.errors import ConfigError
from gsmile_core.backends.secrets import (
    SERVICE,
    Secret,
    keyring_delete,
    keyring_get,
    keyring_set,
    keyring_status,
    locate_key,
    resolve_key,
    scrub,
)

VALUE = "sk-proj-CANARY0123456789abcdefa1b2"


def test_secret_never_shows_its_value():
    secret = Secret(VALUE)
    assert secret.reveal() == VALUE
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", f"{secret:>40}", "%s" % secret,
                  repr([secret]), repr({"k": secret})):
        assert VALUE not in shown
        assert "a1b2" in shown  # the last four characters identify it
    assert secret.masked() == "sk-…a1b2"
    assert Secret("short-key").masked() == "………"


def test_secret_refuses_to_be_pickled_or_changed():
    secret = Secret(VALUE)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        copy.deepcopy(secret)
    with pytest.raises(AttributeError):
        secret._value = "x"  # type: ignore[misc]


def test_secret_in_a_traceback_with_locals_is_masked():
    def crash(key: Secret) -> None:
        raise RuntimeError("boom")

    try:
        crash(Secret(VALUE))
    except RuntimeError as error:
        text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert "boom" in text and "Secret('sk-…a1b2')" in text
    assert VALUE not in text


def test_secret_validation_and_equality():
    assert Secret(f"  {VALUE}\n").reveal() == VALUE
    assert Secret(VALUE) == Secret(VALUE)
    assert Secret(VALUE) != Secret(VALUE + "x")
    with pytest.raises(ConfigError, match="empty"):
        Secret("   \n")
    with pytest.raises(ConfigError, match="spaces or control characters"):
        Secret("sk-abc def")
    with pytest.raises(ConfigError, match="spaces or control characters"):
        Secret("sk-abc\x1b[31mdef")


def test_scrub_removes_keys_from_provider_text():
    secret = Secret(VALUE)
    text = f"Incorrect API key provided: {VALUE}. Also sk-other-abcdef123456 and {'ab' * 32}."
    cleaned = scrub(text, secret)
    assert VALUE not in cleaned and "sk-other-abcdef123456" not in cleaned and "ab" * 32 not in cleaned
    assert "Incorrect API key provided" in cleaned
    assert scrub("model claude-haiku-4-5 is overloaded") == "model claude-haiku-4-5 is overloaded"


# -- resolution order ---------------------------------------------------------------------------
def test_environment_variable_comes_first(memory_keyring, monkeypatch):
    memory_keyring.set_password(SERVICE, "openai", "sk-from-keyring-000000000")
    monkeypatch.setenv("OPENAI_API_KEY", VALUE)
    resolved = resolve_key("openai")
    assert resolved.secret == Secret(VALUE)
    assert resolved.source == "env OPENAI_API_KEY"
    assert VALUE not in repr(resolved)


def test_keyring_is_second(memory_keyring):
    memory_keyring.set_password(SERVICE, "anthropic", VALUE)
    resolved = resolve_key("anthropic")
    assert resolved.secret == Secret(VALUE)
    assert resolved.source.startswith("keyring (") and "MemoryKeyring" in resolved.source


def test_missing_key_names_both_ways(memory_keyring):
    with pytest.raises(ConfigError) as caught:
        resolve_key("together")
    message = str(caught.value)
    assert "TOGETHER_API_KEY" in message and "gsmile keys set together" in message
    assert "\n" not in message


def test_missing_key_without_a_keyring_says_what_happened(no_keyring):
    with pytest.raises(ConfigError) as caught:
        resolve_key("openai")
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message
    assert "no system keyring is available here" in message
    assert "use the environment variable" in message


def test_env_still_works_without_a_keyring(no_keyring, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", VALUE)
    assert resolve_key("anthropic").secret == Secret(VALUE)


def test_openai_compatible_needs_no_key(no_keyring):
    resolved = resolve_key("openai-compatible")
    assert resolved.secret is None and resolved.source == "none"


def test_unknown_provider():
    with pytest.raises(ConfigError, match="unknown provider 'mistral'"):
        resolve_key("mistral")


# -- keyring backends ---------------------------------------------------------------------------
def test_save_reads_back_and_delete(memory_keyring):
    status = keyring_set("openai", Secret(VALUE))
    assert status.secure
    assert memory_keyring.store[(SERVICE, "openai")] == VALUE
    assert keyring_get("openai") == Secret(VALUE)
    assert keyring_delete("openai") is True
    assert keyring_get("openai") is None
    assert keyring_delete("openai") is False


def test_fail_backend_is_detected(no_keyring):
    status = keyring_status()
    assert not status.usable
    assert "no system keyring is available here" in status.problem
    with pytest.raises(ConfigError, match="set OPENAI_API_KEY in the environment instead"):
        keyring_set("openai", Secret(VALUE))


def test_null_backend_is_detected(use_keyring):
    use_keyring(keyring.backends.null.Keyring())
    status = keyring_status()
    assert not status.usable
    assert "disabled" in status.problem and "null" in status.problem
    with pytest.raises(ConfigError, match="disabled"):
        keyring_set("anthropic", Secret(VALUE))
    with pytest.raises(ConfigError, match="disabled"):
        keyring_get("anthropic")


def test_empty_chainer_is_detected(use_keyring):
    class NothingToChain(keyring.backends.chainer.ChainerBackend):
        backends = []  # what the chainer holds when no real backend is viable

    use_keyring(NothingToChain())
    status = keyring_status()
    assert not status.usable
    assert "no system keyring is available here" in status.problem


def test_plaintext_backend_is_refused_unless_allowed(use_keyring, tmp_path):
    backend = PlaintextFileKeyring()
    backend.path = tmp_path / "keys.txt"
    use_keyring(backend)
    status = keyring_status()
    assert status.usable and not status.secure
    assert "unencrypted" in status.problem
    with pytest.raises(ConfigError, match="refusing to save the key.*unencrypted.*--allow-insecure-keyring"):
        keyring_set("openai", Secret(VALUE))
    assert not backend.path.exists()
    keyring_set("openai", Secret(VALUE), allow_insecure=True)
    assert VALUE in backend.path.read_text()  # which is exactly why it is refused by default


def test_a_keyring_that_drops_the_key_is_caught_by_the_read_back(use_keyring):
    use_keyring(ForgetfulKeyring())
    with pytest.raises(ConfigError) as caught:
        keyring_set("together", Secret(VALUE))
    message = str(caught.value)
    assert "read back" in message and "TOGETHER_API_KEY" in message
    assert VALUE not in message


def test_a_keyring_that_raises_is_one_line(use_keyring):
    class Exploding(ForgetfulKeyring):
        def get_password(self, service, username):
            raise RuntimeError(f"dbus said no while handling {VALUE}")

    use_keyring(Exploding())
    with pytest.raises(ConfigError) as caught:
        keyring_get("openai")
    assert "RuntimeError" in str(caught.value) and VALUE not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        resolve_key("openai")
    assert "OPENAI_API_KEY" in str(caught.value) and VALUE not in str(caught.value)


def test_locate_key_order_and_only_masks(use_keyring, monkeypatch):
    """session → environment → keyring → missing; every outcome holds the mask, never the key."""
    store = use_keyring(MemoryKeyring())
    store.set_password(SERVICE, "openai", VALUE)
    status = keyring_status()
    found = locate_key("openai", status=status)
    assert (found.kind, found.masked, found.problem) == ("keyring", "sk-…a1b2", None)
    assert found.describe() == "keyring"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-0123456789abcdwxyz")
    found = locate_key("openai", status=status)
    assert (found.kind, found.masked) == ("env", "sk-…wxyz")
    assert found.describe() == "env OPENAI_API_KEY"
    assert found.describe(env_word="environment") == "environment OPENAI_API_KEY"
    session = locate_key("openai", status=status, session_key=Secret("sk-session-0123456789s3s3"))
    assert (session.kind, session.masked, session.describe()) == ("session", "sk-…s3s3", "this session only")
    monkeypatch.setenv("OPENAI_API_KEY", "two words")
    found = locate_key("openai", status=status)
    assert found.kind == "env" and found.masked == "" and "spaces" in found.describe()
    for result in (found, session, locate_key("anthropic", status=status)):
        assert VALUE not in repr(result) and "0123456789" not in repr(result)
    missing = locate_key("anthropic", status=status)
    assert (missing.kind, missing.describe()) == ("missing", "not set")
    assert locate_key("openai-compatible", status=status).describe(
        missing="missing", not_needed="missing (none needed)") == "missing (none needed)"


def test_locate_key_keeps_a_keyring_failure_as_a_problem(use_keyring):
    class Exploding(ForgetfulKeyring):
        def get_password(self, service, username):
            raise RuntimeError(f"dbus said no while handling {VALUE}")

    use_keyring(Exploding())
    found = locate_key("openai", status=keyring_status())
    assert found.kind == "keyring" and found.masked == ""
    assert found.describe().startswith("keyring error: the system keyring failed to read (RuntimeError")
    assert VALUE not in repr(found)
