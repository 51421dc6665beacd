"""The method's swappable parts by name, known without loading their code.

Samplers, embedders, distances and surrogates are each chosen by name (`--sampler`,
`--embedder`, `--input-distance`, `--surrogate`). Their names and one-line descriptions live here,
so the CLI's help, the TUI's choices and config validation list them without importing numpy,
POT or scikit-learn; the module named beside each part registers its implementation when the part
is first used.
"""

from __future__ import annotations

from ..registry import Registry

_METHOD = "gsmile_core.method"

SAMPLERS: Registry = Registry("sampler", field="sampler")
SAMPLERS.declare("bernoulli", f"{_METHOD}.perturb", "each word kept with probability 0.5 (the paper)")
SAMPLERS.declare("uniform-count", f"{_METHOD}.perturb", "number of removed words uniform in 1..d-1 (LIME)")
SAMPLERS.declare("local", f"{_METHOD}.perturb", "at most --max-removed words removed (MExGen)")

EMBEDDERS: Registry = Registry("embedder", field="embedder")
EMBEDDERS.declare("glove", f"{_METHOD}.embed", "GloVe 6B 50d word vectors (offline, default)")
EMBEDDERS.declare("minilm", f"{_METHOD}.embed_minilm", "all-MiniLM-L6-v2 contextual token vectors (int8 ONNX, offline)")

DISTANCES: Registry = Registry("distance")
DISTANCES.declare("wmd", f"{_METHOD}.distances", "Wasserstein-p between bags of word vectors (Word Mover's Distance)")
DISTANCES.declare("cosine", f"{_METHOD}.distances", "1 - cosine similarity of the mean word vectors")
DISTANCES.declare("wmd+cosine", f"{_METHOD}.distances",
                  "mean of size-normalised WMD and cosine/2, both in [0, 1] (Table 9's WMD+C)")
DISTANCES.declare("ks", f"{_METHOD}.sliced_distances", "sliced Kolmogorov–Smirnov: mean sup|F−G| over random 1-D projections")
DISTANCES.declare("kuiper", f"{_METHOD}.sliced_distances", "sliced Kuiper: mean sup(F−G)+sup(G−F) over random 1-D projections")
DISTANCES.declare("cvm", f"{_METHOD}.sliced_distances", "sliced Cramér–von Mises: mean ∫(F−G)²dH over random 1-D projections")
DISTANCES.declare("ad", f"{_METHOD}.sliced_distances", "sliced Anderson–Darling: mean standardised statistic (floored at 0)")
DISTANCES.declare("wasserstein-1d", f"{_METHOD}.sliced_distances", "sliced Wasserstein: mean 1-D W_p over random projections")

SURROGATES: Registry = Registry("surrogate", field="surrogate")
SURROGATES.declare("wls", f"{_METHOD}.surrogate", "weighted least squares (paper eq. 6)")
SURROGATES.declare("bayes", f"{_METHOD}.surrogate", "Bayesian ridge with per-word posterior std")
SURROGATES.declare("lime", f"{_METHOD}.surrogate", "LIME baseline: ridge (alpha=1) with LIME's mask kernel")
SURROGATES.declare("ridge", f"{_METHOD}.surrogate", "ridge, alpha by generalised cross-validation (what wls becomes when units outnumber perturbations)")
