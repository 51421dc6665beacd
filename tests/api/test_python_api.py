"""The Python API a data scientist uses: `explain` on a backend name, a backend object or a plain
function (sync or async), inside and outside a running event loop, and its notebook rendering."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import gsmile_core
from gsmile_core import ConfigError, Explanation, ExplainConfig, FunctionBackend, aexplain, explain
from gsmile_core.backends.fake import FakeBackend
from gsmile_core.calls.cache import ResponseCache

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "The doctor swam in the ocean at dawn"
FAST = {"perturbations": 32, "bootstrap": 0, "ci_resamples": 0}


def rule_model(prompt: str) -> str:
    """A black box whose answer depends on two words only: 'doctor' and 'ocean'."""
    answer = "Doctors treat patients in hospitals." if "doctor" in prompt else "I cannot say."
    return answer + (" The ocean is deep and wide." if "ocean" in prompt else "")


def top_two(explanation: Explanation) -> set[str]:
    return {feature.text for feature, _ in explanation.ranked()[:2]}


def test_a_plain_function_is_explained_and_its_causal_words_rank_first():
    explanation = explain(PROMPT, rule_model, cache=False, **FAST)
    assert top_two(explanation) == {"doctor", "ocean"}
    assert explanation.provenance.backend == "function"
    assert explanation.provenance.model.startswith(f"{__name__}.rule_model@")


def test_an_async_function_through_aexplain():
    async def model(prompt: str) -> str:
        await asyncio.sleep(0)
        return rule_model(prompt)

    explanation = asyncio.run(aexplain(PROMPT, model, cache=False, **FAST))
    assert top_two(explanation) == {"doctor", "ocean"}


def test_explain_works_inside_a_running_event_loop_as_in_a_notebook_cell():
    async def cell():
        asyncio.get_running_loop()  # a notebook's loop is running here
        return explain(PROMPT, rule_model, cache=False, **FAST)

    assert top_two(asyncio.run(cell())) == {"doctor", "ocean"}


def test_backend_names_and_objects_are_accepted():
    by_name = explain("What is the meaning of life?", "fake", cache=False, **FAST)
    by_object = explain("What is the meaning of life?", FakeBackend(), cache=False, **FAST)
    assert by_name.attributions == by_object.attributions
    assert top_two(by_name) == {"meaning", "life?"}


def test_the_cache_records_a_function_and_a_second_run_calls_it_zero_times(tmp_path):
    calls = []

    def model(prompt: str) -> str:
        calls.append(prompt)
        return rule_model(prompt)

    first = explain(PROMPT, model, cache=tmp_path, **FAST)
    asked = len(calls)
    second = explain(PROMPT, model, cache=tmp_path, **FAST)
    assert asked > 0 and len(calls) == asked
    assert second.attributions == first.attributions
    with ResponseCache(tmp_path) as cache:
        assert len(cache) >= asked


def test_a_redefined_function_does_not_reuse_the_old_functions_answers(tmp_path):
    namespace: dict = {}
    exec("def model(prompt):\n    return 'alpha' if 'doctor' in prompt else 'beta'\n", namespace)
    first = namespace["model"]
    exec("def model(prompt):\n    return 'gamma' if 'ocean' in prompt else 'delta'\n", namespace)
    second = namespace["model"]
    assert FunctionBackend(first).model != FunctionBackend(second).model
    a = explain(PROMPT, first, cache=tmp_path, **FAST)
    b = explain(PROMPT, second, cache=tmp_path, **FAST)
    assert a.original_output != b.original_output


def test_concurrency_is_respected_for_a_sync_function():
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def model(prompt: str) -> str:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return rule_model(prompt)

    explain(PROMPT, model, cache=False, concurrency=3, **FAST)
    assert 1 < state["peak"] <= 3


def test_unknown_or_bad_options_raise_config_error_naming_them():
    with pytest.raises(ConfigError, match="'perturbation'.*did you mean 'perturbations'"):
        explain(PROMPT, rule_model, perturbation=8)
    with pytest.raises(ConfigError, match="perturbations"):
        explain(PROMPT, rule_model, perturbations=0)
    with pytest.raises(ConfigError, match="backend"):
        explain(PROMPT, "no-such-backend")


def test_a_config_object_and_keywords_combine():
    base = ExplainConfig(perturbations=16, bootstrap=0, ci_resamples=0)
    explanation = explain(PROMPT, rule_model, config=base, seed=3, cache=False)
    assert explanation.config["perturbations"] == 16 and explanation.config["seed"] == 3


def test_a_raising_function_gives_one_clear_error_naming_the_function_and_the_prompt():
    def broken(prompt: str) -> str:
        raise ValueError("model server said no")

    with pytest.raises(gsmile_core.BackendError) as caught:
        explain(PROMPT, broken, cache=False, **FAST)
    message = str(caught.value)
    assert "broken" in message and "ValueError: model server said no" in message
    assert "prompt" in message and "\n" not in message


def test_a_function_returning_no_text_is_refused():
    with pytest.raises(gsmile_core.BackendError, match="returned int, not str"):
        explain(PROMPT, lambda prompt: 42, cache=False, **FAST)


def test_repr_html_is_the_reports_heatmap_and_top_words_and_escapes_untrusted_text():
    hostile = 'doctor <script>alert(1)</script> ocean "quoted" & more'
    explanation = explain(hostile, rule_model, cache=False, **FAST)
    html = explanation._repr_html_()
    assert html.startswith('<div class="gsmile-explanation">') and html.endswith("</div>")
    assert '<div class="heatmap">' in html and 'class="legend"' in html and "<table>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "body {" not in html  # scoped styles only: the notebook page keeps its own
    rows = re.findall(r"<tr>", html.split("<tbody>")[1])
    assert len(rows) == min(10, len(explanation.features))


def test_drawing_a_saved_explanation_loads_no_statistics_library(tmp_path):
    """A fully cached re-run only draws a stored explanation: the terminal report must not import
    scipy.stats, POT or scikit-learn (scipy.stats alone cost 0.7 s of the 0.8 s budget)."""
    saved = tmp_path / "e.json"
    run = explain(PROMPT, "fake", cache=False, perturbations=16, bootstrap=200, ci_resamples=0)
    assert any(p.p_value is not None for p in run.perturbations)  # the removal test has p-values to use
    saved.write_text(json.dumps(run.to_dict()), encoding="utf-8")
    code = (
        "import io, json, sys\n"
        "from rich.console import Console\n"
        "from gsmile_core.types import Explanation\n"
        "from gsmile_core.reports.terminal import full_report\n"
        f"e = Explanation.from_dict(json.load(open({str(saved)!r})))\n"
        "Console(file=io.StringIO(), width=100).print(full_report(e))\n"
        "print(sorted(m for m in ('scipy.stats', 'ot', 'sklearn', 'gensim') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_import_gsmile_core_loads_no_heavy_library():
    code = (
        "import sys, gsmile_core\n"
        "heavy = {'numpy', 'scipy', 'ot', 'sklearn', 'gensim', 'openai', 'anthropic', 'together', 'textual'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
        "assert 'explain' in dir(gsmile_core) and 'explain' in gsmile_core.__all__\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_readme_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    env = {"GSMILE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    words = [line.split()[0] for line in result.stdout.splitlines()]
    assert set(words[:2]) == {"doctor", "ocean"}


def test_the_readme_audit_example_runs(tmp_path):
    """The second example (a prompt set) runs after the first, as in one notebook."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    first, second = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:2]
    env = {"GSMILE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", first + second], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "{'prompts': 3, 'ok': 3, 'failed': 0" in result.stdout
    assert result.stdout.rstrip().endswith("['doctor', 'ocean']")  # the words that move answers, not filler
    assert (tmp_path / "audit" / "report.html").exists() and (tmp_path / "audit" / "results.jsonl").exists()


def test_drill_down_from_python():
    from fakes.documents import long_document

    from gsmile_core.drill_down import drilled

    document, causal = long_document()
    explanation = explain(document, "fake", cache=False, perturbations=128, bootstrap=0, ci_resamples=0, drill_down=2)
    units, words = drilled(explanation)
    assert units == causal and {f.text for f, _ in words.ranked()[:2]} == {"doctor", "ocean"}


def test_a_run_context_carries_the_cache_audit_and_events_of_several_explanations(tmp_path):
    from gsmile_core import AuditLog, RunContext
    from gsmile_core.calls.audit import read_audit
    from gsmile_core.events import Finished

    calls, events = [], []

    def model(prompt: str) -> str:
        calls.append(prompt)
        return rule_model(prompt)

    with ResponseCache(tmp_path / "cache") as cache, AuditLog(tmp_path / "audit") as audit:
        run = RunContext(cache=cache, audit=audit, on_event=events.append)
        first = explain(PROMPT, model, run=run, **FAST)
        asked = len(calls)
        second = explain(PROMPT, model, run=run, **FAST)
        assert len(cache) >= asked  # still open: the caller's, the API does not close it
    assert asked > 0 and len(calls) == asked and second.cache_hits == first.model_calls
    assert sum(isinstance(e, Finished) for e in events) == 2
    (trail,) = (tmp_path / "audit").glob("*.jsonl")
    assert sum(r["type"] == "request" for r in read_audit(trail)) == asked


def test_a_run_context_and_the_separate_keywords_are_not_mixed():
    from gsmile_core import RunContext

    with pytest.raises(ConfigError, match="not both"):
        explain(PROMPT, rule_model, run=RunContext(), cache=False, **FAST)
    with pytest.raises(ConfigError, match="RunContext"):
        explain(PROMPT, rule_model, run={"cache": None}, **FAST)


def test_two_partials_of_one_function_do_not_share_cached_answers(tmp_path):
    import functools

    def answer(prompt: str, topic: str) -> str:
        return f"{topic}: " + rule_model(prompt)

    medical, marine = functools.partial(answer, topic="medicine"), functools.partial(answer, topic="the sea")
    assert FunctionBackend(medical).model != FunctionBackend(marine).model
    assert FunctionBackend(medical).model == FunctionBackend(functools.partial(answer, topic="medicine")).model
    a = explain(PROMPT, medical, cache=tmp_path, **FAST)
    b = explain(PROMPT, marine, cache=tmp_path, **FAST)
    assert a.original_output.startswith("medicine:") and b.original_output.startswith("the sea:")
    assert b.cache_hits == 0


def test_a_misspelt_keyword_of_the_api_itself_gets_its_close_match():
    with pytest.raises(ConfigError, match="'cach'; did you mean 'cache'"):
        explain(PROMPT, rule_model, cach=False, **FAST)
    with pytest.raises(ConfigError, match="'modelname'; did you mean 'model_name'"):
        explain(PROMPT, rule_model, modelname="mine", **FAST)


def test_concurrency_is_respected_for_an_async_function():
    state = {"now": 0, "peak": 0}

    async def model(prompt: str) -> str:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        return rule_model(prompt)

    explanation = asyncio.run(aexplain(PROMPT, model, cache=False, concurrency=3, **FAST))
    assert 1 < state["peak"] <= 3
    assert top_two(explanation) == {"doctor", "ocean"}
