"""One way to turn a frozen result dataclass into the dict its JSON holds, and back.

Explanations, sessions and trust checks are saved as JSON that other tools and older gSMILEs
read, so the format is a contract: the keys, their order and how each value is written. Each
type declares it once, as a mapping from field name to a `Codec` (how that field is written and
read: a number, a tuple as a list, a nested record, NaN stored as null, ...) and, where the JSON
orders keys differently from the fields, the key order. `to_dict` and `from_dict` here do the
rest over `dataclasses.fields`, so no type hand-writes the loop again.

Reading is lenient where files have always been read leniently: a key that is absent takes the
field's default, or the codec's `missing` value for fields without one (a file written before
the field existed); absent otherwise, it is a `KeyError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any


NOTHING: Any = type("Nothing", (), {"__repr__": lambda self: "NOTHING"})()  # no `missing` value


def _same(value: Any) -> Any:
    return value


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: undefined numbers are stored as null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Codec:
    """How one field is written (`dump`) to and read (`load`) from JSON. `missing` is what is
    read (through `load`) when the key is absent and the field has no default."""

    dump: Callable[[Any], Any] = _same
    load: Callable[[Any], Any] = _same
    missing: Any = NOTHING


AS_IS = Codec()
STR = Codec(load=str)
INT = Codec(load=int)
BOOL = Codec(load=bool)
FLOAT = Codec(load=float)
FINITE = Codec(finite_or_none, float)  # a number; written as null when not finite
FINITE_OR_NONE = Codec(finite_or_none, lambda v: None if v is None else float(v))


def optional(codec: Codec) -> Codec:
    """`codec`, with None written and read as None."""
    return Codec(lambda v: None if v is None else codec.dump(v), lambda v: None if v is None else codec.load(v),
                 codec.missing)


def tuple_of(codec: Codec = AS_IS) -> Codec:
    """A tuple, written as a JSON list, each item through `codec`."""
    return Codec(lambda v: [codec.dump(x) for x in v], lambda v: tuple(codec.load(x) for x in v))


def nested(kind: type) -> Codec:
    """A record of its own: its `to_dict` and `from_dict`."""
    return Codec(lambda v: v.to_dict(), kind.from_dict)


def with_missing(codec: Codec, missing: Any) -> Codec:
    """`codec`, reading `missing` when the key is absent (a field without a default)."""
    return Codec(codec.dump, codec.load, missing)


def to_dict(record: Any, codecs: Mapping[str, Codec] = {}, *, order: Sequence[str] | None = None,
            head: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`record`'s JSON dict: `head` first (e.g. format and version), then each field in `order`
    (default: the fields' own order) through its codec (default: as is)."""
    names = order if order is not None else [f.name for f in fields(record)]
    data = dict(head or {})
    for name in names:
        data[name] = codecs.get(name, AS_IS).dump(getattr(record, name))
    return data


def from_dict(kind: type, data: Mapping[str, Any], codecs: Mapping[str, Codec] = {}, **given: Any) -> Any:
    """A `kind` from its JSON dict, each field through its codec; `given` fields are taken as
    they are (those a type derives by hand). Unknown keys are ignored."""
    values = dict(given)
    for f in fields(kind):
        if not f.init or f.name in values:
            continue
        codec = codecs.get(f.name, AS_IS)
        if f.name in data:
            values[f.name] = codec.load(data[f.name])
        elif codec.missing is not NOTHING:
            values[f.name] = codec.load(codec.missing)
        elif f.default is MISSING and f.default_factory is MISSING:
            raise KeyError(f.name)
    return kind(**values)
