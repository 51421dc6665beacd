"""SMILE beyond generation: the same engine explains text classifiers and tabular models.

A text classifier's or a tabular model's output is a vector of numbers (class probabilities,
scores, a predicted value), not a text. Everything else is gSMILE's own machinery, reused, not
forked: the keep-masks (`method.perturb`), the kernel, surrogate and fidelity
(`method.fitting`), the bootstrap intervals and interactions. What is new lives here:

- `outputs`: the output space (classes; probabilities, scores or a value), distances between
  output distributions (total variation and SMILE's ECDF distances on ordered classes) and the
  explained target (a distance, or one class's probability change);
- `feature_tests`: what replaces per-perturbation p-values for a deterministic model;
- `engine`: from masks and outputs to an `Explanation`;
- `classifier`, `vader`: text classifiers (any callable, scikit-learn pipelines, the bundled
  VADER demo); `tabular`, `row_distances`, `tabular_data`: rows of a table; `counterfactual`:
  the fairness view of a protected column.
"""
