"""Explain a text classifier: which words of a text drive its class probabilities.

The text is cut into units and masked exactly as a prompt is (`method.segment`,
`method.perturb`: order-preserving deletion, the mask is the text sent); the classifier scores
every unique perturbed text; the target is the distance between the perturbed and the original
output distributions, or one class's probability change (`outputs`); the fit is gSMILE's
(`engine`). The input distance between the text and each perturbed text, when the kernel uses
it, is the text pipeline's (`--input-distance` on `--embedder` vectors).

A classifier is any of:
- `"vader"`: the bundled demo model (`vader`);
- `"module:function"`: a function importable by that name (the current folder is searched too);
- an object with `predict_proba` (a fitted scikit-learn pipeline on raw texts): called on batches
  of texts, its `classes_` name the classes;
- a callable from one text to class probabilities or scores: a mapping {class: number} (the
  classes are its keys), a sequence of numbers (`classes=` names them, else class 0, 1, ...), or
  one number (a score or a value: explained as its change).
A classifier that raises, returns NaN, or changes its number of outputs is one clear line
(`ModelError`).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import ExplainConfig, mask_options, unit_options
from ..errors import ConfigError, ModelError
from ..events import EventHandler, Finished, Notice, ignore
from ..sanitize import one_line
from ..types import Explanation
from .engine import TEXT_CLASSIFIER, PerturbedRun, check_options, evaluate, explain_run
from .outputs import choose_target, output_kind
from .parts import BUNDLED_CLASSIFIERS, OUTPUT_DISTANCES

BUNDLED = BUNDLED_CLASSIFIERS


@dataclass(frozen=True)
class TextClassifier:
    """A classifier behind one contract: a batch of texts in, a (texts × classes) matrix out."""

    predict: Callable[[list[str]], np.ndarray]
    classes_of: Callable[[], tuple[str, ...]]
    name: str

    @property
    def classes(self) -> tuple[str, ...]:
        return self.classes_of()


def load_callable(spec: str) -> Callable[..., Any]:
    """The object `module:attribute` names; the current folder is importable too."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ModelError(f"{spec!r} is not module:function")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any import failure is theirs to read
        raise ModelError(f"cannot import {module_name!r} for {spec!r}: {type(error).__name__}: {one_line(str(error), 160)}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ModelError(f"{module_name!r} has no {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ModelError(f"{spec!r} is a {type(target).__name__}, not a function")
    return target


def check_rows(block: Any, count: int, name: str, what: Callable[[int], str]) -> np.ndarray:
    """A model's batch output as a finite (count × K) float matrix, or one clear line."""
    try:
        values = np.asarray(block, dtype=float)
    except (TypeError, ValueError):
        raise ModelError(f"{name} returned {type(block).__name__}, not numbers") from None
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2 or values.shape[0] != count:
        raise ModelError(f"{name} returned shape {values.shape} for {count} inputs (expected {count} rows)")
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if bad.size:
        raise ModelError(f"{name} returned NaN or infinity for {what(int(bad[0]))}")
    return values


class _PerText:
    """A callable scored one text at a time; its classes come from its first answer."""

    def __init__(self, function: Callable[[str], Any], classes: Sequence[str] | None, name: str) -> None:
        self.function, self.name = function, name
        self.classes: tuple[str, ...] | None = tuple(str(c) for c in classes) if classes is not None else None
        self.keys: tuple[Any, ...] | None = None

    def _row(self, text: str) -> list[float]:
        try:
            result = self.function(text)
        except Exception as error:
            raise ModelError(
                f"the classifier {self.name} raised {type(error).__name__}: {one_line(str(error), 160)} "
                f"(text {one_line(text, 60)!r})"
            ) from None
        if isinstance(result, Mapping):
            keys = tuple(result)
            if self.keys is None:
                self.keys = keys
                self.classes = self.classes or tuple(str(k) for k in keys)
            elif set(keys) != set(self.keys):
                raise ModelError(f"the classifier {self.name} returned classes {list(keys)} after {list(self.keys)}")
            result = [result[k] for k in self.keys]
        values = np.atleast_1d(np.asarray(result, dtype=object))
        if values.ndim != 1:
            raise ModelError(f"the classifier {self.name} returned shape {values.shape} for one text (expected one number per class)")
        try:
            row = [float(v) for v in values]
        except (TypeError, ValueError):
            raise ModelError(f"the classifier {self.name} returned {type(result).__name__}, not numbers (text {one_line(text, 60)!r})") from None
        if self.classes is None:
            self.classes = ("score",) if len(row) == 1 else tuple(f"class {k}" for k in range(len(row)))
        if len(row) != len(self.classes):
            raise ModelError(f"the classifier {self.name} returned {len(row)} numbers for {len(self.classes)} classes "
                             f"(text {one_line(text, 60)!r})")
        return row

    def predict(self, texts: list[str]) -> np.ndarray:
        rows = [self._row(t) for t in texts]
        return check_rows(rows, len(texts), f"the classifier {self.name}", lambda i: f"text {one_line(texts[i], 60)!r}")

    def known_classes(self) -> tuple[str, ...]:
        if self.classes is None:
            raise ModelError(f"the classifier {self.name} has not named its classes yet")
        return self.classes


def text_classifier(model: Any, classes: Sequence[str] | None = None, name: str | None = None) -> TextClassifier:
    """`model` (see the module doc) behind the `TextClassifier` contract."""
    if isinstance(model, TextClassifier):
        return model
    if isinstance(model, str):
        if model == "vader":
            from .vader import VADER_CLASSES, vader

            return TextClassifier(vader, lambda: VADER_CLASSES, "vader")
        if ":" not in model:
            raise ConfigError(f"unknown classifier {model!r}: use {', '.join(BUNDLED)} or module:function")
        function = load_callable(model)
        return text_classifier(function, classes, name or model)
    if hasattr(model, "predict_proba"):
        label = name or type(model).__name__
        named = tuple(str(c) for c in getattr(model, "classes_", ())) or None

        def predict(texts: list[str]) -> np.ndarray:
            try:
                block = model.predict_proba(list(texts))
            except Exception as error:
                raise ModelError(f"{label}.predict_proba raised {type(error).__name__}: {one_line(str(error), 160)}") from None
            return check_rows(block, len(texts), f"{label}.predict_proba", lambda i: f"text {one_line(texts[i], 60)!r}")

        def known() -> tuple[str, ...]:
            return tuple(classes) if classes is not None else named or ()

        return TextClassifier(predict, known, label)
    if callable(model):
        label = name or f"{getattr(model, '__module__', '') or ''}.{getattr(model, '__qualname__', type(model).__name__)}".lstrip(".")
        per_text = _PerText(model, classes, label)
        return TextClassifier(per_text.predict, per_text.known_classes, label)
    raise ConfigError(f"a classifier is 'vader', module:function, a callable or an object with predict_proba, not {type(model).__name__}")


def explain_text_classifier(
    text: str,
    classifier: Any,
    config: ExplainConfig | None = None,
    *,
    explained_class: str | int | None = None,
    target_distance: str | None = None,
    classes: Sequence[str] | None = None,
    model_name: str | None = None,
    on_event: EventHandler = ignore,
) -> Explanation:
    """Explain which words of `text` drive `classifier`'s output (see the module doc)."""
    from ..method import perturb, segment
    from ..method.fitting import kernel_uses_input_distances

    started = time.perf_counter()
    config = config or ExplainConfig()
    check_options(config)
    if target_distance is not None:
        OUTPUT_DISTANCES.get(target_distance)
    model = text_classifier(classifier, classes, model_name)
    clean, features = segment.prepare_prompt(text, **unit_options(config))
    masks, texts, enumerated = perturb.plan_perturbations(clean, features, **mask_options(config))
    warnings = []
    if len(features) == 1:
        warnings.append("a one-word text has no perturbation but the original: every score is 0")
        on_event(Notice(warnings[-1]))
    t0 = time.perf_counter()
    outputs, calls = evaluate(model.predict, texts, lambda t: t, max_calls=config.max_calls, on_event=on_event)
    model_seconds = time.perf_counter() - t0
    model_classes = model.classes
    if len(model_classes) != outputs.shape[1]:
        raise ModelError(f"the classifier {model.name} names {len(model_classes)} classes but returned {outputs.shape[1]} numbers")
    kind = output_kind(outputs)
    target = choose_target(model_classes, kind, explained_class, target_distance)
    t0 = time.perf_counter()
    deltas_in = np.full(len(texts), np.nan)
    embedder_name = ""
    if kernel_uses_input_distances(surrogate=config.surrogate, kernel_width=config.kernel_width):
        from ..method.embed import get_embedder
        from ..method.parts import DISTANCES

        embedder = get_embedder(config.embedder)
        distance = DISTANCES.get(config.input_distance)
        vectors = {t: embedder.embed(t) for t in dict.fromkeys(texts)}
        deltas_in = np.array([distance(vectors[texts[0]], vectors[t], config.p) for t in texts])
        embedder_name = config.embedder
    run = PerturbedRun(
        prompt=clean, features=features, masks=masks, enumerated=enumerated, inputs=texts, outputs=outputs,
        classes=model_classes, output_kind=kind, input_distances=deltas_in, model_calls=calls,
        kind=TEXT_CLASSIFIER, model_name=model.name, embedder=embedder_name,
        model_s=model_seconds, distances_s=time.perf_counter() - t0,
    )
    settings = {"target": target.kind, "target_distance": target.distance, "explained_class": target.class_name}
    explanation = explain_run(run, target, config, settings, on_event=on_event, started=started, warnings=warnings)
    on_event(Finished(explanation.timing.total_s))
    return explanation

