"""How far to trust an explanation: the paper's metrics and experiments, the trust checks, the
fairness compare view, refits without model calls, and the peer explainers (LIME, Shapley)."""
