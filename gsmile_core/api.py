"""The Python API: `explain` a prompt on any model from a script or a notebook.

    from gsmile_core import explain
    explanation = explain("What is the meaning of life?", "local", perturbations=32)

`model` is a backend name (`"local"`, `"openai"`, ...; its options in `backend_options`), a backend
object, or any Python callable `str -> str`, sync or async (wrapped by `FunctionBackend`). Options
are `ExplainConfig` fields as keywords, or a whole `config=`; an unknown keyword raises
`ConfigError` naming it. `explain` works inside a running event loop (a Jupyter cell): it runs the
explanation on a worker thread there. `aexplain` is the coroutine for async code.

`audit_prompts` (`aaudit_prompts`) explains a whole prompt set or fairness set into a folder, as
`gsmile audit` does, and returns its summary.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any, Union

from .calls.audit import AuditLog
from .backends import create_backend
from .calls.backend_options import options_for_run
from .backends.base import Backend
from .backends.function import FunctionBackend
from .calls.cache import ResponseCache
from .config import ExplainConfig
from .errors import ConfigError
from .events import EventHandler, ignore
from .calls.context import RunContext
from .types import Explanation

ModelLike = Union[str, Backend, Callable[[str], str], Callable[[str], Awaitable[str]]]
CacheLike = Union[bool, str, os.PathLike, ResponseCache, None]
CONFIG_FIELDS = tuple(f.name for f in fields(ExplainConfig))


def _refuse_unknown(options: Mapping[str, Any], also: Sequence[str] = ()) -> None:
    """ConfigError for the first name that is no ExplainConfig field, with the closest name
    among the fields and `also` (the caller's own keywords)."""
    unknown = [name for name in options if name not in CONFIG_FIELDS]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, (*CONFIG_FIELDS, *also), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (see ExplainConfig: {', '.join(CONFIG_FIELDS)})"
        raise ConfigError(f"unknown option {name!r}{hint}")


def make_config(config: ExplainConfig | None = None, **options: Any) -> ExplainConfig:
    """`config` (default: the defaults) with `options` applied; unknown names raise ConfigError."""
    _refuse_unknown(options)
    base = config if config is not None else ExplainConfig()
    if not isinstance(base, ExplainConfig):
        raise ConfigError(f"config must be an ExplainConfig, got {type(base).__name__}")
    return base.with_changes(**options) if options else base


def make_backend(model: ModelLike, backend_options: Mapping[str, Any] | None = None,
                 model_name: str | None = None, config: ExplainConfig | None = None) -> tuple[Backend, bool]:
    """The backend for `model`, and whether this call made it (and so closes it). A backend named
    by a string gets the options that follow from `config` (the local model's parallel slots are
    its concurrency), then `backend_options`."""
    if isinstance(model, str):
        options = options_for_run(model, config or ExplainConfig())
        return create_backend(model, **{**options, **dict(backend_options or {})}), True
    if backend_options:
        raise ConfigError("backend_options apply to a backend named by a string")
    if hasattr(model, "generate") and hasattr(model, "describe"):
        return model, False  # type: ignore[return-value]
    if callable(model):
        return FunctionBackend(model, name=model_name), True
    raise ConfigError(f"model must be a backend name, a backend or a callable, got {type(model).__name__}")


def _open_cache(cache: CacheLike) -> tuple[ResponseCache | None, bool]:
    if cache is None or cache is False:
        return None, False
    if cache is True:
        return ResponseCache(), True
    if isinstance(cache, ResponseCache):
        return cache, False
    return ResponseCache(cache), True


async def aexplain(
    prompt: str,
    model: ModelLike | None = None,
    *,
    config: ExplainConfig | None = None,
    backend_options: Mapping[str, Any] | None = None,
    model_name: str | None = None,
    cache: CacheLike = True,
    refresh: bool = False,
    audit: str | os.PathLike | AuditLog | None = None,
    on_event: EventHandler | None = None,
    run: RunContext | None = None,
    drill_down: int = 0,
    classifier: Any = None,
    **options: Any,
) -> Explanation:
    """Explain which words of `prompt` drive `model`'s answer (the coroutine; see the module doc).

    classifier: explain a text classifier instead of a generative model (`model` is then left
    out): "vader", "module:function", a callable returning class probabilities or scores for a
    text, or a scikit-learn pipeline with `predict_proba` (`gsmile_core.scoring.classifier`).
    Its options: explained_class (explain one class's probability change; default: the distance
    between the output distributions), target_distance (that distance: tv, wasserstein-1d, ks,
    kuiper, cvm, ad), classes (names for a callable's outputs).

    drill_down: after a long prompt's sentences (or paragraphs), explain the words of the top
    `drill_down` of them (`gsmile_core.drill_down`; the word level is in `extras["drill_down"]`).

    cache: True (the user's response cache, as the CLI), False/None (no cache), a folder, or a
    `ResponseCache`. refresh: ask again and overwrite cached answers. audit: a folder (or an
    `AuditLog`) that receives every request and response as JSON lines. on_event: the progress
    stream (`gsmile_core.events`). run: all four at once, as a `RunContext` whose cache and audit
    log the caller opened (and closes); then none of the four may be given too.
    """
    from .drill_down import explain_drill_down
    from .pipeline import explain as run_pipeline

    if classifier is not None:
        if model is not None:
            raise ConfigError("give a model or a classifier, not both")
        model_options = {k: options.pop(k) for k in CLASSIFIER_OPTIONS if k in options}
        _refuse_unknown(options, also=(*API_KEYWORDS, *CLASSIFIER_OPTIONS))
        settings = make_config(config, **options)
        if refresh or audit is not None or (cache not in (True, False, None)) or run is not None:
            raise ConfigError("a classifier runs in this process: cache, refresh, audit and run= do not apply "
                              "(give on_event= for progress)")
        return await asyncio.to_thread(
            _explain_classifier, prompt, classifier, settings, model_name, on_event or ignore, model_options
        )
    if model is None:
        raise ConfigError("give the model to explain (a backend name, a backend or a function) or a classifier=")
    _refuse_unknown(options, also=API_KEYWORDS)  # a typo of `cache` is not an ExplainConfig field either
    settings = make_config(config, **options)
    if run is not None:
        if not isinstance(run, RunContext):
            raise ConfigError(f"run must be a RunContext, got {type(run).__name__}")
        if (cache, refresh, audit, on_event) != (True, False, None, None):
            raise ConfigError("give cache, refresh, audit and on_event inside run=, or without it, not both")
    backend, owned = make_backend(model, backend_options, model_name, settings)
    response_cache = owns_cache = audit_log = None
    try:
        if run is None:
            response_cache, owns_cache = _open_cache(cache)
            audit_log = AuditLog(audit) if isinstance(audit, (str, os.PathLike)) else audit
            run = RunContext(response_cache, refresh, audit_log, on_event or ignore)
        if drill_down:
            return await explain_drill_down(prompt, backend, settings, drill_down, run=run)
        return await run_pipeline(prompt, backend, settings, run=run)
    finally:
        if owned:
            await backend.aclose()
        if owns_cache and response_cache is not None:
            response_cache.close()
        if audit_log is not None and audit_log is not audit:
            audit_log.close()


API_KEYWORDS = tuple(name for name, parameter in inspect.signature(aexplain).parameters.items()
                     if parameter.kind is inspect.Parameter.KEYWORD_ONLY)


def explain(prompt: str, model: ModelLike | None = None, **arguments: Any) -> Explanation:
    """Explain which words of `prompt` drive `model`'s answer; the arguments are `aexplain`'s.

    Without a running event loop the explanation runs on this thread; inside one (a notebook
    cell) it runs on a worker thread with its own loop, and this call waits for it.
    """
    return _run_to_completion(lambda: aexplain(prompt, model, **arguments))


CLASSIFIER_OPTIONS = ("explained_class", "target_distance", "classes")
TABULAR_OPTIONS = ("explained_class", "target_distance", "row_distance", "drop", "classes", "instance")


def _explain_classifier(prompt, classifier, settings, model_name, on_event, model_options) -> Explanation:
    from .scoring.classifier import explain_text_classifier

    return explain_text_classifier(prompt, classifier, settings, model_name=model_name, on_event=on_event, **model_options)


def explain_tabular(
    model: Any,
    data: Any,
    row: int | None = None,
    *,
    config: ExplainConfig | None = None,
    model_name: str | None = None,
    on_event: EventHandler | None = None,
    **options: Any,
) -> Explanation:
    """Explain which features of row `row` (0-based) of `data` drive `model`'s prediction.

    model: a fitted scikit-learn estimator or pipeline, or a callable from a 2-D array of rows to
    predictions (`gsmile_core.scoring.tabular`). data: a CSV or Parquet path, a data frame or a
    mapping {column: values}; its rows are the background the dropped features are drawn from.
    Model options: explained_class, target_distance (as for a classifier), row_distance (the
    input side's ECDF distance: wasserstein-1d, cvm, ad, ks, kuiper), drop (columns the model
    does not take), classes, instance (explain these values instead of the row's). The other
    options are `ExplainConfig` fields. Each feature's text starts with its column name.
    """
    from .scoring.tabular import explain_row

    model_options = {k: options.pop(k) for k in TABULAR_OPTIONS if k in options}
    settings = make_config(config, **options)
    return explain_row(model, data, row, settings, model_name=model_name, on_event=on_event or ignore, **model_options)


def explain_counterfactual(
    model: Any,
    data: Any,
    row: int,
    protected: str,
    value: Any = None,
    *,
    config: ExplainConfig | None = None,
    model_name: str | None = None,
    top_k: int = 5,
    on_event: EventHandler | None = None,
    **options: Any,
):
    """Row `row` and the same row with column `protected` set to `value` (the other category of a
    two-valued column by default), both explained with the same masks and background draws, and
    their side-by-side comparison (`gsmile_core.scoring.counterfactual.Counterfactual`)."""
    from .scoring.counterfactual import explain_counterfactual as run

    model_options = {k: options.pop(k) for k in TABULAR_OPTIONS if k in options and k != "instance"}
    settings = make_config(config, **options)
    return run(model, data, row, protected, value, settings, top_k=top_k, model_name=model_name,
               on_event=on_event or ignore, **model_options)


async def aaudit_prompts(
    source: str | os.PathLike | None = None,
    model: ModelLike | None = None,
    *,
    out: str | os.PathLike,
    templates: str | os.PathLike | None = None,
    groups: str | os.PathLike | None = None,
    format: str | None = None,
    on_bad_line: str = "stop",
    force: bool = False,
    retry_failed: bool = False,
    config: ExplainConfig | None = None,
    backend_options: Mapping[str, Any] | None = None,
    model_name: str | None = None,
    cache: CacheLike = True,
    refresh: bool = False,
    on_progress: Callable[[Any], None] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Explain every prompt of `source` (JSONL, CSV or one prompt a line), or every variant of
    fairness `templates` filled from `groups`, into the folder `out`, as `gsmile audit` does
    (README, "Audits"); returns the summary (the content of `out/summary.json`).

    The same call again continues where a stopped one left off; other options on the same folder
    raise ConfigError unless `force=True` (start over). `retry_failed=True` runs only the prompts
    that failed. All prompts share one concurrency, rate limit and `max_calls` / `max_cost`
    budget; a budget the set cannot meet is refused before any call. `model`, `config`,
    `backend_options`, `cache`, `refresh` and the options are `aexplain`'s; `on_progress` gets a
    `gsmile_core.batch.runner.AuditProgress` after each prompt. A stop that ends the set (the
    budget, a rejected key) leaves the finished prompts on disk and is in the summary's `stopped`.
    """
    import time

    from .batch.audit import AuditInput, finish_audit, open_audit, prepare_audit
    from .batch.executors.local import LocalExecutor
    from .batch.plan import plan_set, refuse_over_budget
    from .batch.runner import pending_items, run_audit
    from .calls.jobs import identity_of

    if model is None:
        raise ConfigError("give the model to audit (a backend name, a backend or a function)")
    _refuse_unknown(options, also=AUDIT_KEYWORDS)
    settings = make_config(config, **options)
    source_text = None if source is None else os.fspath(source)
    what = AuditInput(source_text, format, on_bad_line,
                      None if templates is None else os.fspath(templates), None if groups is None else os.fspath(groups))
    backend, owned = make_backend(model, backend_options, model_name, settings)
    response_cache = owns_cache = None
    try:
        identity = identity_of(backend)
        prepared = prepare_audit(what, out, settings, identity, force=force, executor="local")
        response_cache, owns_cache = _open_cache(cache)
        run = RunContext(response_cache, refresh)
        items, folder = prepared.prompts.items, prepared.folder
        todo, done = (items, 0) if prepared.mode != "resume" else pending_items(items, folder, retry_failed)
        if settings.max_calls is not None or settings.max_cost is not None:
            refuse_over_budget(plan_set(todo, settings, identity, run, already_done=done), settings, identity)
        open_audit(prepared)
        started, outcome = time.monotonic(), None
        try:
            executor = LocalExecutor(backend, prepared.config, run)
            outcome = await run_audit(items, folder, executor, retry_failed=retry_failed,
                                      on_progress=on_progress or (lambda _: None))
        finally:  # after a stop or a cancel too: the summary and reports of what is done
            summary = finish_audit(prepared, wall_s=time.monotonic() - started,
                                   stopped="cancelled" if outcome is None else outcome.stopped)
        return summary
    finally:
        if owned:
            await backend.aclose()
        if owns_cache and response_cache is not None:
            response_cache.close()


AUDIT_KEYWORDS = tuple(name for name, parameter in inspect.signature(aaudit_prompts).parameters.items()
                       if parameter.kind is inspect.Parameter.KEYWORD_ONLY)


def audit_prompts(source: str | os.PathLike | None = None, model: ModelLike | None = None, **arguments: Any) -> dict[str, Any]:
    """`aaudit_prompts` from synchronous code, or from a notebook cell (on a worker thread there)."""
    return _run_to_completion(lambda: aaudit_prompts(source, model, **arguments))


def _run_to_completion(coroutine: Callable[[], Awaitable[Any]]) -> Any:
    """Run the coroutine `coroutine()` makes: here, or on a worker thread with its own event loop
    when this thread already runs one (a notebook cell)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gsmile-api") as worker:
        return worker.submit(lambda: asyncio.run(coroutine())).result()
