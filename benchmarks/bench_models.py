"""gSMILE vs LIME vs sampled / exact Shapley on classifiers and a tabular model, in one run.

Every method gets the same number of model calls per instance (BUDGET), except exact Shapley,
which needs every coalition (its calls are shown). Each method's |scores| are ranked against the
features known to cause the output, by AUROC (scikit-learn's `roc_auc_score`, averaged over the
instances that have both causal and non-causal features), and timed on the wall clock. Models:

- VADER (the bundled demo classifier) on hand-written reviews; causal words: the words VADER's
  rules read (its lexicon, negations, boosters, "but"); target P(pos).
- A synthetic text classifier: P(complaint) = σ(Σ weights of the trigger words present), the
  weights ±2, ±1.2, ±0.6, ±0.3, ±0.15 (complaint words +, praise words −, so weak triggers are
  hard to see), over random sentences with 3 trigger words among 7 fillers; causal words: the
  triggers.
- A synthetic tabular model over 10 standard-normal features, P(1) = σ(2x0 − 2x3 + 1.5·x5·x7);
  causal columns: 0, 3, 5, 7; background: 400 rows; target P(1).

Methods: gSMILE (class target, the defaults: uniform-count masks, weighted least squares, with
its bootstrap intervals, permutation tests and interactions — all included in its time; "fit
only" is the same scores without them); LIME 0.2
(`LimeTextExplainer`, `LimeTabularExplainer` with the background as training data; all features
kept, num_samples = BUDGET); sampled Shapley (random permutations, each coalition's value asked
once until the budget is spent; tabular coalitions get one background row each, as gSMILE's
masks do); exact Shapley (every coalition; tabular values averaged over 32 background rows).

Also the cross-check the issue asks for on VADER: Spearman correlation of each method's scores
with exact Shapley values.

    python benchmarks/bench_models.py [--budget 64] [--instances 20]
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from gsmile_core.config import ExplainConfig
from gsmile_core.scoring.classifier import explain_text_classifier
from gsmile_core.scoring.tabular import explain_row
from gsmile_core.scoring.vader import VADER_CLASSES, vader

REVIEWS = [
    "The food was great but the service was terribly slow",
    "I really love this phone and the battery is amazing",
    "The room was dirty and the staff were not helpful at all",
    "Not bad for the price though the screen is a bit dim",
    "What a horrible movie with a boring plot and awful acting",
    "The hotel was lovely and the breakfast was very good",
    "Shipping was fast but the box arrived damaged and wet",
    "I hate waiting so long for a simple refund",
    "Honestly the best coffee I have had in years",
    "The app keeps crashing and support never answers my emails",
    "A pleasant walk through the old town on a sunny day",
    "The concert was loud but the band was fantastic tonight",
    "My order was wrong and the driver was rude to me",
    "Great value and the quality is surprisingly solid",
    "The lecture was dull and far too long for anyone",
    "I am happy with the repair but the bill was painful",
    "Nothing works as promised and I feel cheated by them",
    "The garden looks beautiful after the spring rain this year",
    "This chair is comfortable but it squeaks a little",
    "The ending was sad yet the story was wonderful overall",
]

COMPLAINT = ["refund", "broken", "late", "rude", "missing"]
PRAISE = ["love", "great", "perfect", "thanks", "excellent"]
FILLER = ["the", "order", "box", "today", "my", "and", "with", "store", "phone", "was", "we", "it", "a", "new", "call"]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


TRIGGER_WEIGHTS = {**dict(zip(COMPLAINT, (2.0, 1.2, 0.6, 0.3, 0.15))), **dict(zip(PRAISE, (-2.0, -1.2, -0.6, -0.3, -0.15)))}


def synthetic_text_model(texts):
    rows = []
    for text in texts:
        words = text.split()
        z = sum(TRIGGER_WEIGHTS.get(w, 0.0) for w in words)
        p = float(sigmoid(z))
        rows.append([p, 1 - p])
    return np.asarray(rows)


def synthetic_sentences(count, rng):
    sentences, causal = [], []
    for _ in range(count):
        triggers = list(rng.choice(COMPLAINT, 2, replace=False)) + list(rng.choice(PRAISE, 1))
        words = triggers + list(rng.choice(FILLER, 7, replace=False))
        order = rng.permutation(len(words))
        words = [words[i] for i in order]
        sentences.append(" ".join(words))
        causal.append([w in COMPLAINT or w in PRAISE for w in words])
    return sentences, causal


def vader_causal(text):
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

    lexicon = _vader_lexicon()
    result = []
    for word in text.split():
        token = re.sub(r"[^\w']", "", word).lower()
        result.append(token in lexicon or token in NEGATE or token in BOOSTER_DICT or token == "but")
    return result


def _vader_lexicon():
    from gsmile_core.scoring.vader import _analyzer

    return _analyzer().lexicon


def tabular_model(rows):
    x = np.asarray(rows, dtype=float)
    p = sigmoid(2 * x[:, 0] - 2 * x[:, 3] + 1.5 * x[:, 5] * x[:, 7])
    return np.column_stack([1 - p, p])


TABULAR_CAUSAL = [i in (0, 3, 5, 7) for i in range(10)]


# -- the methods -----------------------------------------------------------------------------------

class Counted:
    """A batch model that counts the inputs it is asked about (also as `predict_proba`, so gSMILE
    calls it on whole batches, as LIME does)."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self, batch):
        self.calls += len(batch)
        return self.model(batch)

    def predict_proba(self, batch):
        return self(batch)


def text_value(model, words, cls):
    cache = {}

    def value(coalition):  # coalition: frozenset of kept positions
        if coalition not in cache:
            text = " ".join(w for i, w in enumerate(words) if i in coalition)
            cache[coalition] = float(model([text])[0][cls])
        return cache[coalition]

    return value, cache


def exact_shapley(value, d):
    phi = np.zeros(d)
    for i in range(d):
        others = [j for j in range(d) if j != i]
        for size in range(d):
            weight = math.factorial(size) * math.factorial(d - size - 1) / math.factorial(d)
            for subset in itertools.combinations(others, size):
                s = frozenset(subset)
                phi[i] += weight * (value(s | {i}) - value(s))
    return phi


def sampled_shapley(value, cache, d, budget, seed):
    rng = np.random.default_rng(seed)
    totals, counts = np.zeros(d), np.zeros(d)
    while len(cache) < budget:
        order = rng.permutation(d)
        kept: frozenset = frozenset()
        previous = value(kept)
        for i in order:
            if len(cache) >= budget and frozenset(kept | {i}) not in cache:
                break
            kept = kept | {int(i)}
            current = value(kept)
            totals[i] += current - previous
            counts[i] += 1
            previous = current
    return np.divide(totals, np.maximum(counts, 1))


def lime_text(model, text, cls, budget, seed):
    from lime.lime_text import LimeTextExplainer

    explainer = LimeTextExplainer(bow=False, split_expression=r"\s+", random_state=seed, mask_string="")
    counted = Counted(model)
    found = explainer.explain_instance(text, counted, labels=(cls,), num_features=len(text.split()), num_samples=budget)
    weights = np.zeros(len(text.split()))
    for position, weight in found.as_map()[cls]:
        weights[position] = weight
    return weights, counted.calls


LEAN = {"bootstrap": 0, "ci_resamples": 0, "interactions": 0}  # "gSMILE, fit only": no tests, intervals, interactions


def gsmile_text(model, text, cls, classes, budget, seed, lean=False):
    counted = Counted(model)
    e = explain_text_classifier(text, counted, ExplainConfig(perturbations=budget, seed=seed, unit="word", **(LEAN if lean else {})),
                                explained_class=classes[cls], classes=classes)
    return np.asarray(e.attributions), counted.calls


# -- tabular ------------------------------------------------------------------------------------------

def tabular_value(model, instance, background, rng, samples):
    cache = {}

    def value(coalition):
        if coalition not in cache:
            rows = background[rng.integers(0, len(background), samples)].copy()
            kept = sorted(coalition)
            rows[:, kept] = instance[kept]
            cache[coalition] = float(model(rows)[:, 1].mean())
        return cache[coalition]

    return value, cache


def lime_tabular(model, instance, background, budget, seed):
    from lime.lime_tabular import LimeTabularExplainer

    explainer = LimeTabularExplainer(background, mode="classification", random_state=seed, discretize_continuous=True)
    counted = Counted(model)
    found = explainer.explain_instance(instance, counted, labels=(1,), num_features=background.shape[1], num_samples=budget)
    weights = np.zeros(background.shape[1])
    for position, weight in found.as_map()[1]:
        weights[position] = weight
    return weights, counted.calls


def gsmile_tabular(model, row, data, budget, seed, lean=False):
    counted = Counted(model)
    e = explain_row(counted, data, row, ExplainConfig(perturbations=budget, seed=seed, **(LEAN if lean else {})), explained_class=1)
    return np.asarray(e.attributions), counted.calls


# -- the run ------------------------------------------------------------------------------------------

def auroc(scores, causal):
    causal = np.asarray(causal, dtype=bool)
    if causal.all() or not causal.any():
        return None
    return float(roc_auc_score(causal, np.abs(scores)))


def run_text(name, model, texts, causal, cls, classes, budget, exact):
    results = {}
    for method in ("gSMILE", "gSMILE, fit only", "LIME", "sampled Shapley") + (("exact Shapley",) if exact else ()):
        aurocs, seconds, calls, spearman = [], 0.0, [], []
        for k, (text, truth) in enumerate(zip(texts, causal)):
            words = text.split()
            t0 = time.perf_counter()
            if method.startswith("gSMILE"):
                scores, used = gsmile_text(model, text, cls, classes, budget, k, lean=method != "gSMILE")
            elif method == "LIME":
                scores, used = lime_text(model, text, cls, budget, k)
            else:
                counted = Counted(model)
                value, cache = text_value(counted, words, cls)
                if method == "sampled Shapley":
                    scores = sampled_shapley(value, cache, len(words), budget, k)
                else:
                    scores = exact_shapley(value, len(words))
                used = counted.calls
            seconds += time.perf_counter() - t0
            calls.append(used)
            if (found := auroc(scores, truth)) is not None:
                aurocs.append(found)
            results.setdefault(("scores", k), {})[method] = scores
        results[method] = (np.mean(aurocs), seconds / len(texts), np.mean(calls), len(aurocs))
    if exact:
        for method in ("gSMILE", "gSMILE, fit only", "LIME", "sampled Shapley"):
            rhos = [np.nan if np.ptp(results[("scores", k)]["exact Shapley"]) == 0 else spearmanr(results[("scores", k)][method], results[("scores", k)]["exact Shapley"]).statistic
                    for k in range(len(texts))]
            results[("spearman", method)] = float(np.nanmean(rhos))
    return {key: value for key, value in results.items() if not (isinstance(key, tuple) and key[0] == "scores")}


def run_tabular(budget, instances):
    rng = np.random.default_rng(7)
    background = rng.normal(size=(400, 10))
    data = {f"x{i}": background[:, i] for i in range(10)}
    model = tabular_model
    results = {}
    for method in ("gSMILE", "gSMILE, fit only", "LIME", "sampled Shapley", "exact Shapley"):
        aurocs, seconds, calls = [], 0.0, []
        for row in range(instances):
            instance = background[row]
            t0 = time.perf_counter()
            if method.startswith("gSMILE"):
                scores, used = gsmile_tabular(model, row, data, budget, row, lean=method != "gSMILE")
            elif method == "LIME":
                scores, used = lime_tabular(model, instance, np.delete(background, row, axis=0), budget, row)
            else:
                counted = Counted(model)
                others = np.delete(background, row, axis=0)
                if method == "sampled Shapley":
                    value, cache = tabular_value(counted, instance, others, np.random.default_rng(row), 1)
                    scores = sampled_shapley(value, cache, 10, budget, row)
                else:
                    value, _ = tabular_value(counted, instance, others, np.random.default_rng(row), 32)
                    scores = exact_shapley(value, 10)
                used = counted.calls
            seconds += time.perf_counter() - t0
            calls.append(used)
            if (found := auroc(scores, TABULAR_CAUSAL)) is not None:
                aurocs.append(found)
        results[method] = (np.mean(aurocs), seconds / instances, np.mean(calls), len(aurocs))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=64)
    parser.add_argument("--instances", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    reviews = REVIEWS[: args.instances]
    sentences, triggers = synthetic_sentences(args.instances, rng)
    tables = [
        ("VADER (P(pos))", run_text("vader", vader, reviews, [vader_causal(t) for t in reviews], 2, VADER_CLASSES,
                                     args.budget, exact=True)),
        ("synthetic text classifier (P(complaint))", run_text("synthetic", synthetic_text_model, sentences, triggers, 0,
                                                             ("complaint", "praise"), args.budget, exact=True)),
        ("synthetic tabular model (P(1))", run_tabular(args.budget, args.instances)),
    ]
    print(f"budget: {args.budget} model calls per instance (exact Shapley: every coalition); {args.instances} instances each\n")
    print("| model | method | AUROC vs causal features | Spearman vs exact Shapley | model calls / instance | wall time / instance |")
    print("|---|---|---|---|---|---|")
    for label, results in tables:
        for method in ("gSMILE", "gSMILE, fit only", "LIME", "sampled Shapley", "exact Shapley"):
            if method not in results:
                continue
            mean_auroc, seconds, calls, n = results[method]
            rho = results.get(("spearman", method))
            rho_text = "1 (reference)" if method == "exact Shapley" and ("spearman", "gSMILE") in results else (
                "—" if rho is None else f"{rho:.3f}")
            print(f"| {label} | {method} | {mean_auroc:.3f} (n={n}) | {rho_text} | {calls:.0f} | {seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
