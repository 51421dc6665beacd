"""The distances of model explanations by name, known without loading their code (as
`method.parts` does for the text pipeline).

`OUTPUT_DISTANCES` compare two output distributions over the model's classes (the target of a
classifier explanation); `ROW_DISTANCES` compare a table row with a perturbed copy of it (the input
side, feeding the kernel). The names follow the text pipeline's registry where the same statistic
applies.
"""

from __future__ import annotations

from ..registry import Registry

_SCORING = "gsmile_core.scoring"

# The classifiers that ship with gSMILE, by name (`--classifier NAME`).
BUNDLED_CLASSIFIERS = {"vader": "the VADER sentiment model (neg / neu / pos), bundled, offline"}

OUTPUT_DISTANCES: Registry = Registry("output distance")
OUTPUT_DISTANCES.declare("tv", f"{_SCORING}.outputs", "total variation ½Σ|p−q|: Wasserstein-1 with unordered classes (default)")
OUTPUT_DISTANCES.declare("wasserstein-1d", f"{_SCORING}.outputs", "Wasserstein-p with the classes in their order, spaced evenly on [0, 1]")
OUTPUT_DISTANCES.declare("ks", f"{_SCORING}.outputs", "Kolmogorov–Smirnov sup|F−G| of the cumulative class distributions (ordered classes)")
OUTPUT_DISTANCES.declare("kuiper", f"{_SCORING}.outputs", "Kuiper sup(F−G)+sup(G−F) (ordered classes)")
OUTPUT_DISTANCES.declare("cvm", f"{_SCORING}.outputs", "Cramér–von Mises ∫(F−G)²dH, H the pooled distribution (ordered classes)")
OUTPUT_DISTANCES.declare("ad", f"{_SCORING}.outputs", "Anderson–Darling ∫(F−G)²/(H(1−H))dH (ordered classes)")

ROW_DISTANCES: Registry = Registry("row distance")
ROW_DISTANCES.declare("wasserstein-1d", f"{_SCORING}.row_distances", "mean over columns of ∫|F−G|dB: the background mass between the two values (default)")
ROW_DISTANCES.declare("cvm", f"{_SCORING}.row_distances", "mean over columns of ∫(F−G)²dB (equal to wasserstein-1d for one value per side)")
ROW_DISTANCES.declare("ad", f"{_SCORING}.row_distances", "mean over columns of ∫(F−G)²/(B(1−B))dB: |logit| of the background quantiles, tails weigh more")
ROW_DISTANCES.declare("ks", f"{_SCORING}.row_distances", "mean over columns of sup|F−G|: the share of columns changed")
ROW_DISTANCES.declare("kuiper", f"{_SCORING}.row_distances", "mean over columns of sup(F−G)+sup(G−F) (the share of columns changed)")
