"""What a report says about how a run was made: its settings (secrets redacted) and provenance.

Setting names that look like credentials ("api_key", "x-api-key", "access_token", "secret"... but
not "max_tokens") have their values replaced before anything is rendered, in every format.
"""

from __future__ import annotations

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


# What each setting is called in a report (a person reads it, not a Python name).
SETTING_LABELS = {
    "perturbations": "Perturbations",
    "seed": "Seed of the masks",
    "generation_seed": "Seed of the generation",
    "sampler": "Mask sampler",
    "max_removed": "Most units removed at once",
    "max_tokens": "Longest answer (tokens)",
    "temperature": "Temperature",
    "p": "Wasserstein order p",
    "kernel_width": "Kernel width",
    "surrogate": "Surrogate model",
    "bootstrap": "Permutation draws per p-value",
    "alpha": "Significance level α",
    "drop_insignificant": "Fit only perturbations with p < α",
    "exact_pvalues": "Exact p-values",
    "ci_resamples": "Bootstrap refits for the intervals",
    "embedder": "Word vectors",
    "input_distance": "Distance between prompts",
    "output_distance": "Distance between answers",
    "concurrency": "Concurrent model calls",
    "max_words": "Most words in a prompt",
    "system_prompt": "System prompt",
    "samples_per_prompt": "Answers per prompt",
    "max_attempts": "Attempts per call",
    "call_timeout": "Call timeout (s)",
    "requests_per_minute": "Requests per minute",
    "max_calls": "Most model calls",
    "max_cost": "Most cost (USD)",
    "unit": "Unit of explanation",
    "keep": "Kept whole",
    "interactions": "Top units tested for interactions",
    "answer_span": "Part of the answer explained",
    "target": "Explained target",
    "target_distance": "Distance between outputs",
    "explained_class": "Explained class",
    "row_distance": "Distance between rows",
}


def setting_label(key: Any) -> str:
    """A setting's name as a person reads it: "Significance level α", not "alpha"."""
    key = str(key)
    if key in SETTING_LABELS:
        return SETTING_LABELS[key]
    words = re.sub(r"[_\-]+", " ", key).strip()
    return words[:1].upper() + words[1:]


def setting_text(value: Any) -> str:
    """A setting's value as report text: yes/no, "—" for none, lists joined, mappings as
    "name: value" pairs (never a Python or JSON literal)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        return " · ".join(f"{setting_label(k)}: {setting_text(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(setting_text(v) for v in value) or "—"
    return str(value)


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
