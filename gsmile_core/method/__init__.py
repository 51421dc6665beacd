"""The gSMILE method itself: the maths from prompt words to word scores, with no model call.

Segmenting and perturbing the prompt, embedding texts as word-vector clouds, the distances between
them, the kernel and the permutation test, the weighted surrogates, the fidelity figures and the
uncertainty of each score. Everything here takes explicit arguments (as scikit-learn estimators do);
only `gsmile_core.pipeline` reads an `ExplainConfig` and calls these parts in order.
"""
