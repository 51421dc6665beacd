"""A table to explain rows of and draw background values from: CSV, Parquet, or a data frame.

Read with pyarrow (already a dependency, for the GloVe index): its CSV reader infers each column's
type, so pandas is not needed; a pandas (or any Arrow-compatible) data frame passed in Python is
converted by pyarrow. Each column is either numeric (integers, floats, booleans) or categorical
(text). What cannot be explained honestly is refused in one line: a column mixing numbers and
text, a column with missing values, a column of another type (dates, lists), an empty table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..sanitize import one_line, strip_unsafe

NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True, eq=False)
class Table:
    """Columns by name, each a numpy array (float for numeric, str objects for categorical)."""

    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    data: tuple[np.ndarray, ...]
    source: str

    @property
    def n_rows(self) -> int:
        return len(self.data[0]) if self.data else 0

    def row(self, index: int) -> tuple[Any, ...]:
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise ConfigError(f"the row must be an integer index, got {index!r}")
        if not 0 <= index < self.n_rows:
            raise ConfigError(f"row {index} is out of range: {self.source} has {self.n_rows} rows (0 to {self.n_rows - 1})")
        return tuple(column[index] for column in self.data)

    def without(self, dropped: Sequence[str]) -> Table:
        missing = [c for c in dropped if c not in self.columns]
        if missing:
            raise ConfigError(f"no column {missing[0]!r} in {self.source} (columns: {', '.join(self.columns)})")
        keep = [i for i, c in enumerate(self.columns) if c not in dropped]
        return Table(tuple(self.columns[i] for i in keep), tuple(self.kinds[i] for i in keep),
                     tuple(self.data[i] for i in keep), self.source)

    def select(self, names: Sequence[str]) -> Table:
        missing = [c for c in names if c not in self.columns]
        if missing:
            raise ConfigError(f"the model needs column {missing[0]!r}, which {self.source} does not have")
        index = [self.columns.index(c) for c in names]
        return Table(tuple(names), tuple(self.kinds[i] for i in index), tuple(self.data[i] for i in index), self.source)


def load_table(data: Any) -> Table:
    """A `Table` from a CSV / Parquet path, a pyarrow table, a data frame or {column: values}."""
    import pyarrow as pa

    if isinstance(data, Table):
        return data
    if isinstance(data, (str, Path)):
        return _from_arrow(_read_file(Path(data)), Path(data).name)
    if isinstance(data, pa.Table):
        return _from_arrow(data, "the table")
    if isinstance(data, Mapping):
        try:
            return _from_arrow(pa.table({str(k): list(v) for k, v in data.items()}), "the table")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ConfigError(_mixed_message(str(error))) from None
    if hasattr(data, "columns") and (hasattr(data, "__dataframe__") or hasattr(data, "to_numpy")):
        try:
            return _from_arrow(pa.Table.from_pandas(data, preserve_index=False), "the data frame")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ConfigError(_mixed_message(str(error))) from None
    raise ConfigError(f"DATA must be a CSV or Parquet file, a data frame or a mapping of columns, not {type(data).__name__}")


def _mixed_message(error: str) -> str:
    return f"a column mixes types (numbers and text?): {one_line(error, 160)}"


def _read_file(path: Path):
    import pyarrow as pa

    if not path.is_file():
        raise ConfigError(f"no data file {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            from pyarrow import csv

            return csv.read_csv(path)
        if suffix in (".parquet", ".pq"):
            from pyarrow import parquet

            return parquet.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as error:
        raise ConfigError(f"cannot read {path.name}: {one_line(str(error), 160)}") from None
    raise ConfigError(f"DATA must be a .csv or .parquet file, not {path.name}")


def _from_arrow(table, source: str) -> Table:
    import pyarrow as pa
    import pyarrow.types as t

    if table.num_columns == 0 or table.num_rows == 0:
        raise ConfigError(f"{source} has no rows or no columns")
    columns, kinds, data = [], [], []
    for name, column in zip(table.column_names, table.columns):
        name = strip_unsafe(str(name))
        if column.null_count:
            raise ConfigError(f"column {name!r} of {source} has {column.null_count} missing values: fill or drop them first")
        kind = column.type
        if t.is_dictionary(kind):
            column, kind = column.cast(pa.string()), pa.string()
        if t.is_integer(kind) or t.is_floating(kind) or t.is_boolean(kind) or t.is_decimal(kind):
            values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=float)
            if not np.all(np.isfinite(values)):
                raise ConfigError(f"column {name!r} of {source} has NaN or infinite values: fill or drop them first")
            columns.append(name), kinds.append(NUMERIC), data.append(values)
        elif t.is_string(kind) or t.is_large_string(kind):
            values = np.asarray([strip_unsafe(v) for v in column.to_pylist()], dtype=object)
            _refuse_mixed(name, values, source)
            columns.append(name), kinds.append(CATEGORICAL), data.append(values)
        else:
            raise ConfigError(f"column {name!r} of {source} has type {kind}: only numbers and text can be explained")
    if len(set(columns)) != len(columns):
        raise ConfigError(f"{source} has two columns with the same name")
    return Table(tuple(columns), tuple(kinds), tuple(data), source)


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _refuse_mixed(name: str, values: np.ndarray, source: str) -> None:
    """A text column most of whose values are numbers is a numeric column with stray text in it."""
    numeric = np.array([_number(v) for v in values])
    if numeric.any() and numeric.mean() >= 0.5 and not numeric.all():
        row = int(np.flatnonzero(~numeric)[0])
        raise ConfigError(
            f"column {name!r} of {source} mixes numbers and text (row {row} is {one_line(values[row], 30)!r}): "
            "clean it or make it all text"
        )
