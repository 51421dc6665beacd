"""Finished explanations kept beside the response cache, so re-running a command reads, not recomputes.

An explanation is a deterministic function of the code, the prompt, the configuration (its seeds
included), the model's identity and the model's answers; with every answer cached, running the
same command again would compute the same numbers. The store keys a finished explanation by all of
that except the answers (which the response cache beside it fixes) and keeps it as the JSON an
explanation is saved as, one file per key under `<cache folder>/explanations/`. `--refresh` and
`--no-cache` bypass it; deleting the cache folder deletes both.

The code's identity is a digest of gSMILE's own source, so a changed method never reuses an old
result. What is read back is untrusted like any cached data: it goes through
`Explanation.from_dict` and the display sanitises it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .atomic import write_text_atomic
from .config import ExplainConfig
from .errors import GsmileError
from .types import Explanation

FOLDER = "explanations"
FORMAT = 1


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of every gsmile_core source file: results of other code are never reused."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def explanation_key(prompt: str, config: ExplainConfig, identity: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    """The key of one explanation: code, prompt, every setting, the model's identity, and `extra`
    (what else the command adds, e.g. Shapley values)."""
    material = {
        "format": FORMAT,
        "code": code_digest(),
        "prompt": prompt,
        "config": config.to_dict(),
        "identity": dict(identity),
        "extra": dict(extra),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


class ExplanationStore:
    """Explanations by key, as JSON files in `<directory>/explanations/`."""

    def __init__(self, directory: str | Path) -> None:
        self.folder = Path(directory) / FOLDER

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Explanation | None:
        """The stored explanation, or None when absent or unreadable (then it is recomputed)."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return Explanation.from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, explanation: Explanation) -> None:
        """Keep `explanation`; a failure to write costs only the next re-run's speed."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self._path(key), json.dumps(explanation.to_dict(), ensure_ascii=False) + "\n")
        except (OSError, ValueError, GsmileError):
            pass
