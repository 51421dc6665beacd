"""Explain one row of a table on a tabular model: which features drive its prediction.

The features are the row's columns. A keep-mask over them is drawn exactly as over a prompt's
words (`method.perturb`: the original first, unique masks, enumerated when the support fits);
a dropped feature is replaced by its value in a background row drawn at random (seeded) from
DATA, one background row per perturbation, so the dropped features keep their joint distribution
(the interventional masking of KernelSHAP; the explained row itself is never drawn; when the masks
are enumerated and budget is left, each mask gets several draws and the mean of their outputs, so
the calls stay within the budget). The model
predicts every unique perturbed row; the target is the distance between the output distributions
or one class's (or the predicted value's) change (`outputs`); the input distance of each
perturbed row to the instance is one of SMILE's ECDF distances per column against the
background's distribution (`row_distances`); the fit, intervals and tests are gSMILE's
(`engine`).

A model is a fitted scikit-learn estimator (or pipeline) or a callable from a 2-D array of rows
(columns in DATA's order; floats when every column is numeric, objects otherwise) to one value or
one row of class probabilities per row. A scikit-learn estimator is asked `predict_proba`, else
`decision_function` (scores), else `predict` (a value). An estimator fitted on a data frame is
given one (it knows its columns by name: pandas is then needed, as it was to fit it). From a file
(the CLI), the model is unpickled: see `load_model_file`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..config import ExplainConfig, mask_options
from ..errors import ConfigError, ModelError
from ..events import EventHandler, Finished, ignore
from ..sanitize import one_line
from ..types import Explanation, Feature
from .classifier import check_rows
from .engine import TABULAR, PerturbedRun, check_options, evaluate, explain_run
from .outputs import choose_target, output_kind
from .parts import OUTPUT_DISTANCES, ROW_DISTANCES
from .tabular_data import NUMERIC, Table, load_table

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle")
PICKLE_WARNING = (
    "loading {name} runs code stored inside it (a pickle can run any code): load only model files "
    "you trust"
)
DEFAULT_ROW_DISTANCE = "wasserstein-1d"


def load_model_file(path: str | Path, notice: Callable[[str], None] = lambda message: None) -> Any:
    """Unpickle the model in exactly the file the user named.

    A pickle (joblib's included) runs code while it loads: `notice` is told so before. The file
    is opened here and joblib reads from the open file, so nothing but the named file is ever
    read (joblib would otherwise open companion files beside it). Only a regular file with a model
    suffix is accepted; a file that does not unpickle is one clear line.
    """
    path = Path(path)
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelError(f"MODEL must be a {', '.join(MODEL_SUFFIXES)} file, not {path.name}")
    if not path.is_file():
        raise ModelError(f"no model file {path}")
    notice(PICKLE_WARNING.format(name=path.name))
    import joblib

    try:
        with path.open("rb") as handle:
            return joblib.load(handle)
    except Exception as error:  # unpickling runs the file's code: any failure is the file's
        raise ModelError(
            f"cannot load the model in {path.name}: {type(error).__name__}: {one_line(str(error), 160)} "
            "(not a pickle, or saved with other library versions)"
        ) from None


@dataclass(frozen=True)
class TabularModel:
    """A model behind one contract: rows (tuples in the table's column order) in, outputs out."""

    predict: Callable[[list[tuple]], np.ndarray]
    classes: tuple[str, ...]
    name: str
    table: Table  # DATA restricted to (and ordered as) the model's columns


def _matrix(table: Table, rows: list[tuple]) -> np.ndarray:
    if all(kind == NUMERIC for kind in table.kinds):
        return np.asarray(rows, dtype=float)
    matrix = np.empty((len(rows), len(table.columns)), dtype=object)
    for i, row in enumerate(rows):
        matrix[i, :] = row
    return matrix


def _frame(table: Table, rows: list[tuple]):
    try:
        import pandas
    except ImportError:
        raise ModelError("the model was fitted on a data frame (it knows its columns by name): pandas is needed to call it") from None
    return pandas.DataFrame(_matrix(table, rows), columns=list(table.columns)).infer_objects()


def tabular_model(model: Any, table: Table, *, classes: Sequence[str] | None = None, name: str | None = None) -> TabularModel:
    """`model` (see the module doc) over `table`'s columns."""
    if isinstance(model, TabularModel):
        return model
    label = name or type(model).__name__
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        table = table.select([str(n) for n in names])
    else:
        expected = getattr(model, "n_features_in_", None)
        if expected is not None and int(expected) != len(table.columns):
            raise ConfigError(
                f"the model expects {int(expected)} features; {table.source} has {len(table.columns)} columns "
                f"({', '.join(table.columns)}): leave the others out (--drop COLUMN)"
            )
    method, kind_names = None, None
    for attribute in ("predict_proba", "decision_function", "predict"):
        if hasattr(model, attribute):
            method = getattr(model, attribute)
            label = name or f"{type(model).__name__}.{attribute}"
            if attribute != "predict":
                kind_names = tuple(str(c) for c in getattr(model, "classes_", ()))
            break
    if method is None:
        if not callable(model):
            raise ConfigError(f"a tabular model is a fitted estimator or a callable, not {type(model).__name__}")
        method = model
        label = name or getattr(model, "__qualname__", type(model).__name__)
    as_frame = names is not None

    def predict(rows: list[tuple]) -> np.ndarray:
        inputs = _frame(table, rows) if as_frame else _matrix(table, rows)
        try:
            block = method(inputs)
        except Exception as error:
            raise ModelError(f"the model {label} raised {type(error).__name__}: {one_line(str(error), 160)}") from None
        return check_rows(block, len(rows), f"the model {label}", lambda i: f"row {_describe(table, rows[i])}")

    resolved = tuple(classes) if classes is not None else kind_names or None
    return TabularModel(predict, resolved or (), label, table)


def _describe(table: Table, row: tuple, limit: int = 80) -> str:
    return one_line(", ".join(f"{c}={_value_text(v)}" for c, v in zip(table.columns, row)), limit)


def _value_text(value: Any) -> str:
    return f"{float(value):.6g}" if isinstance(value, (int, float, np.floating, np.integer)) else str(value)


def row_text(columns: Sequence[str], row: Sequence[Any]) -> tuple[str, tuple[Feature, ...]]:
    """The row as `column=value, column=value, ...` and one feature per column (its span)."""
    parts, features, cursor = [], [], 0
    for index, (column, value) in enumerate(zip(columns, row)):
        piece = f"{column}={_value_text(value)}"
        if parts:
            cursor += 2
        features.append(Feature(index, piece, cursor, cursor + len(piece), level="feature"))
        parts.append(piece)
        cursor += len(piece)
    return ", ".join(parts), tuple(features)


def background_draws(n_rows: int, count: int, exclude: int | None, seed: int) -> np.ndarray:
    """One background row index per perturbation, uniform over the table but the explained row."""
    rng = np.random.default_rng([seed, 20250614])
    choices = np.arange(n_rows) if exclude is None else np.delete(np.arange(n_rows), exclude)
    if choices.size == 0:
        raise ConfigError("the background needs at least one row besides the explained one")
    return choices[rng.integers(0, choices.size, size=count)]


def perturbed_rows(instance: tuple, table: Table, masks: Sequence[Sequence[int]], draws: np.ndarray) -> list[tuple]:
    """Each mask's row: kept features from the instance, dropped ones from its background row."""
    rows = []
    for mask, drawn in zip(masks, draws):
        rows.append(tuple(value if keep else table.data[c][drawn] for c, (value, keep) in enumerate(zip(instance, mask))))
    return rows


def explain_row(
    model: Any,
    data: Any,
    row: int | None = None,
    config: ExplainConfig | None = None,
    *,
    instance: Sequence[Any] | None = None,
    explained_class: str | int | None = None,
    target_distance: str | None = None,
    row_distance: str | None = None,
    drop: Sequence[str] = (),
    classes: Sequence[str] | None = None,
    model_name: str | None = None,
    on_event: EventHandler = ignore,
) -> Explanation:
    """Explain row `row` of `data` on `model`, with `data` as the background.

    `instance`: explain these values instead (a counterfactual of row `row`, which stays out of
    the background draws; with `row` None, every background row can be drawn)."""
    started = time.perf_counter()
    config = config or ExplainConfig()
    check_options(config)
    distance_name = row_distance or DEFAULT_ROW_DISTANCE
    row_metric = ROW_DISTANCES.get(distance_name)
    if target_distance is not None:
        OUTPUT_DISTANCES.get(target_distance)
    table = load_table(data)
    if drop:
        table = table.without(drop)
    adapter = tabular_model(model, table, classes=classes, name=model_name)
    table = adapter.table
    if instance is None:
        if row is None:
            raise ConfigError("give the row to explain (--row N, 0-based)")
        values = table.row(row)
    else:
        if row is not None:
            table.row(row)  # in range
        values = tuple(instance)
        if len(values) != len(table.columns):
            raise ConfigError(f"the instance has {len(values)} values for {len(table.columns)} columns")
    prompt, features = row_text(table.columns, values)
    from ..method.perturb import make_masks

    mask_settings = mask_options(config)
    masks, enumerated = make_masks(len(features), mask_settings["perturbations"], sampler=mask_settings["sampler"],
                                   seed=mask_settings["seed"], max_removed=mask_settings["max_removed"])
    # Enumerated masks leave budget over: each mask then gets several background draws, its output
    # the mean of theirs (the original needs none: its copies are one row, asked once).
    repeats = max(1, config.perturbations // len(masks)) if enumerated else 1
    draws = background_draws(table.n_rows, len(masks) * repeats, row, config.seed).reshape(len(masks), repeats)
    rows = [perturbed_rows(values, table, masks, draws[:, k]) for k in range(repeats)]
    t0 = time.perf_counter()
    flat = [r for block in rows for r in block]
    evaluated, calls = evaluate(adapter.predict, flat, lambda r: r, max_calls=config.max_calls, on_event=on_event)
    outputs = evaluated.reshape(repeats, len(masks), -1).mean(axis=0)
    model_seconds = time.perf_counter() - t0
    output_classes = adapter.classes
    if len(output_classes) != outputs.shape[1]:
        output_classes = ("prediction",) if outputs.shape[1] == 1 else tuple(f"class {k}" for k in range(outputs.shape[1]))
    kind = output_kind(outputs)
    target = choose_target(output_classes, kind, explained_class, target_distance)
    t0 = time.perf_counter()
    deltas_in = np.mean([np.asarray(row_metric(table, values, block), dtype=float) for block in rows], axis=0)
    note = f" (and {repeats - 1} more background draws)" if repeats > 1 else ""
    inputs = tuple(row_text(table.columns, r)[0] + (note if any(m == 0 for m in mask) else "")
                   for r, mask in zip(rows[0], masks))
    run = PerturbedRun(
        prompt=prompt, features=features, masks=masks, enumerated=enumerated, inputs=inputs, outputs=outputs,
        classes=output_classes, output_kind=kind, input_distances=deltas_in, model_calls=calls,
        kind=TABULAR, model_name=adapter.name, model_s=model_seconds, distances_s=time.perf_counter() - t0,
        details={
            "columns": list(table.columns),
            "column_kinds": list(table.kinds),
            "values": [float(v) if k == NUMERIC else str(v) for v, k in zip(values, table.kinds)],
            "row": row,
            "counterfactual": instance is not None,
            "data": table.source,
            "background_rows": table.n_rows,
            "background_draws": [[int(d) for d in per_mask] for per_mask in draws],
            "draws_per_mask": repeats,
            "row_distance": distance_name,
        },
    )
    settings = {"target": target.kind, "target_distance": target.distance, "explained_class": target.class_name,
                "row_distance": distance_name}
    explanation = explain_run(run, target, config, settings, on_event=on_event, started=started,
                              unused=("embedder", "input_distance", "unit", "keep", "max_words"))
    on_event(Finished(explanation.timing.total_s))
    return explanation
