"""ATT metrics of the paper's section 4.4, one module per family, each a plain function.

- `accuracy`: ACC, F1 and AUROC of attributions against ground-truth critical words.
- `fidelity`: the six fidelity figures of an explanation, and across perturbation counts.
- `stability`: Jaccard index of the top-k words of a prompt and of a minimally edited prompt.
- `consistency`: per-word variance and standard deviation over repeated, re-seeded runs.
- `faithfulness`: Pearson r against external accuracies (the paper), and deletion/insertion
  curves on the real black box with AOPC, next to random orders (an intervention test).

`tables` renders any of their results as Markdown or CSV rows.
"""
