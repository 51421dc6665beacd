"""How many cores this process may use (its CPU affinity, not the machine's core count), and
single-threaded maths while the analysis' own workers are the parallelism.

Why the second: the pipeline runs distances and permutation tests on a pool of one worker per
core. Each worker's matrix products (BLAS) and k-means (OpenMP) would otherwise start a thread
per core too, and the threads fight for the same cores (measured: a Sinkhorn batch 27x slower on
2 busy cores). BLAS and OpenMP thread counts are process-wide, so explanations that overlap in one
process (the batch audit runs several at once) share one limit: the first to start sets it, the
last to finish restores what was there before (threadpoolctl, already a scikit-learn dependency).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def available_cores() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return max(os.cpu_count() or 1, 1)


_lock = threading.Lock()
_holders = 0
_limits = None  # threadpoolctl's limiter while anyone holds it


@contextmanager
def single_threaded_maths() -> Iterator[None]:
    """One BLAS/OpenMP thread for the whole process while at least one holder is inside."""
    from threadpoolctl import threadpool_limits

    global _holders, _limits
    with _lock:
        if _holders == 0:
            _limits = threadpool_limits(limits=1)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _limits is not None:
                _limits.restore_original_limits()
                _limits = None
