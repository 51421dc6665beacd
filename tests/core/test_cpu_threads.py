"""Explanations that overlap in one process share one BLAS thread limit: the first sets it, the
last restores it, so an earlier finisher neither frees the others' limit nor leaves it behind."""

from threadpoolctl import threadpool_info, threadpool_limits

from gsmile_core.cpu import single_threaded_maths


def _blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_overlapping_holders_restore_the_limit_only_when_the_last_leaves():
    import numpy  # noqa: F401 (loads the BLAS library the limit applies to)

    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == {2}
        first, second = single_threaded_maths(), single_threaded_maths()
        first.__enter__()
        second.__enter__()
        assert _blas_threads() == {1}
        first.__exit__(None, None, None)  # one explanation finishes while the other still runs
        assert _blas_threads() == {1}
        second.__exit__(None, None, None)
        assert _blas_threads() == {2}
