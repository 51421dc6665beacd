"""What a report says about how a run was made: its settings (secrets redacted) and provenance.

Setting names that look like credentials ("api_key", "x-api-key", "access_token", "secret"... but
not "max_tokens") have their values replaced before anything is rendered, in every format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ..types import Explanation
from .format import number

_SECRET_NAME = re.compile(r"(api[_-]?key|secret|password|passwd|authori[sz]ation|credential|bearer|(^|[_-])token$)", re.I)


def redact(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` with the values of credential-like settings replaced by "(redacted)"."""
    return {
        k: ("(redacted)" if _SECRET_NAME.search(str(k)) and v else v)
        for k, v in config.items()
    }


def setting_text(value: Any) -> str:
    """A setting's value as report text (JSON for containers, "—" for None)."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "—" if value is None else str(value)


def provenance_rows(explanation: Explanation) -> list[tuple[str, str]]:
    e, p, t = explanation, explanation.provenance, explanation.timing
    rows = [
        ("gSMILE version", p.gsmile_version),
        ("backend", p.backend),
        ("model", p.model),
        ("model fingerprints", ", ".join(p.model_fingerprints) or "—"),
        ("created at", p.created_at),
        ("embedder", p.embedder or "—"),
        ("python", p.python or "—"),
        ("platform", p.platform or "—"),
        ("perturbations", f"{len(e.perturbations)} ({e.unique_prompts} unique prompts"
         + (", all masks enumerated" if e.extras.get("enumerated") else "") + ")"),
        ("model calls / cache hits", f"{e.model_calls} / {e.cache_hits}"),
        ("kernel width σ", number(e.kernel_width)),
        ("effective sample size", number(e.effective_sample_size, 1)),
        ("left out of the fit (p ≥ α)", str(e.dropped_insignificant)),
        ("answer words without a vector", str(e.out_of_vocabulary)),
        ("time", f"{t.total_s:.2f} s total · {t.model_s:.2f} s model · {t.embed_s:.2f} s embeddings · "
         f"{t.distances_s:.2f} s distances · {t.pvalues_s:.2f} s p-values · {t.fit_s:.2f} s fit"),
    ]
    backend = e.extras.get("backend")
    if isinstance(backend, Mapping):
        rows.append(("backend details", setting_text(redact(backend))))
    return rows
