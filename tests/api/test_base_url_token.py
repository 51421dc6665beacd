"""A token in a base URL's query string (`--base-url https://gateway/v1?token=...`, as some
gateways want) is a credential: the SDKs send it with every request, and gSMILE masks it like a
key everywhere it writes: the audit trail, the explanation, the cache, stdout and stderr (error
messages included), the dry run and `gsmile keys list`. Over real HTTP, through the CLI."""

from __future__ import annotations

import pytest
from fakes import Fault
from test_explain_api import PROMPT, gsmile

from gsmile_core.backends import create_backend
from gsmile_core.backends.providers import validate_base_url
from gsmile_core.backends.secrets import mask_url
from gsmile_core.errors import BackendError, ConfigError
from gsmile_core.types import GenerationParams

TOKEN = "tok-URLCANARY-5e1d9b3f7a2c4e6f8a0b"
FRAGMENTS = (TOKEN, TOKEN[4:], TOKEN[-16:])


def assert_no_token(data: str | bytes, where: str) -> None:
    data = data.encode() if isinstance(data, str) else data
    for fragment in FRAGMENTS:
        assert fragment.encode() not in data, f"the URL token leaked into {where}"


def test_mask_url_masks_every_query_value_and_nothing_else():
    assert mask_url("http://h:1/v1") == "http://h:1/v1"
    masked = mask_url(f"https://h/v1?token={TOKEN}&api-version=2024-06-01")
    assert masked == "https://h/v1?token=tok…8a0b&api-version=………"
    with pytest.raises(ConfigError) as caught:
        validate_base_url(f"ftp://h/v1?token={TOKEN}")
    assert TOKEN not in str(caught.value)


async def test_the_token_reaches_the_server_and_no_error_message(provider_server):
    url = f"{provider_server.openai_base_url}?token={TOKEN}"
    backend = create_backend("openai-compatible", model="m", base_url=url)
    texts = [repr(vars(backend)), repr(backend.describe())]
    try:
        answer = await backend.generate(PROMPT, GenerationParams(max_tokens=16))
        provider_server.fail_prompt(PROMPT, Fault.http(404, message=f"no route for /v1?token={TOKEN}"))
        with pytest.raises(BackendError) as caught:
            await backend.generate(PROMPT, GenerationParams(max_tokens=16))
        texts.append(str(caught.value))
    finally:
        await backend.aclose()
    assert answer.text.startswith("Meaning is")
    assert all(r.query == {"token": TOKEN} for r in provider_server.requests)
    assert "openai-compatible server at http://127.0.0.1" in texts[-1]
    for text in texts:
        assert_no_token(text, "a repr or an error")


def test_the_cli_masks_the_token_in_everything_it_writes(provider_server, tmp_path):
    url = f"{provider_server.openai_base_url}?token={TOKEN}"
    (tmp_path / "out").mkdir()
    common = ["--backend", "openai-compatible", "--base-url", url, "--model", "m", "-n", "8", "--bootstrap", "50"]
    runs = [
        gsmile(["explain", PROMPT, *common, "--dry-run"], tmp_path),
        gsmile(["explain", PROMPT, *common, "--json", str(tmp_path / "out" / "e.json"),
                "--audit-dir", str(tmp_path / "audit")], tmp_path),
    ]
    provider_server.fail_prompt_always("What is the meaning of death?", Fault.http(404))
    runs.append(gsmile(["explain", "What is the meaning of death?", *common, "--audit-dir", str(tmp_path / "audit")],
                       tmp_path))
    runs.append(gsmile(["keys", "list"], tmp_path, {"OPENAI_BASE_URL": f"https://gateway.example/v1?token={TOKEN}"}))
    assert [r.returncode for r in runs] == [0, 0, 1, 0], [r.stderr for r in runs]
    assert "openai-compatible · model m at http://127.0.0.1" in runs[0].stdout
    assert "token=tok…" in runs[0].stdout and "token=tok…" in runs[3].stdout
    assert "not found (404)" in runs[2].stderr and "token=tok…" in runs[2].stderr
    assert provider_server.requests and all(r.query == {"token": TOKEN} for r in provider_server.requests)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    audits = [p for p in written if p.suffix == ".jsonl"]
    assert len(audits) == 2 and all(p.stat().st_size > 0 for p in audits)
    assert any(p.name == "e.json" for p in written) and any(p.suffix.startswith(".sqlite") for p in written)
    for path in written:
        assert_no_token(path.read_bytes(), str(path.relative_to(tmp_path)))
    for index, run in enumerate(runs):
        assert_no_token(run.stdout, f"stdout of run {index}")
        assert_no_token(run.stderr, f"stderr of run {index}")
