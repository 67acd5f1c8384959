"""The transform_cost benchmark workload runs, and its jvp agrees with its vjp."""

from __future__ import annotations

import attrs
import pytest

from benchmarks import worker
from benchmarks.transform_cost import transform_cost


def test_transform_cost_runs_on_puregrad_and_skips_the_others() -> None:
    tiny = attrs.evolve(worker.QUICK, mlp_batch=8, repeat=1)
    impl = __import__(worker.FRAMEWORKS["puregrad"], fromlist=["NAME"])
    metrics = transform_cost(impl, tiny, worker.Skip, 1)  # one warm-up, one timed run each
    assert metrics["jvp_relative_error"] < 1e-10
    assert metrics["vjp_s"] > 0 and metrics["jvp_over_vjp"] > 0 and metrics["hvp_over_vjp"] > 0
    numpy_impl = __import__(worker.FRAMEWORKS["numpy"], fromlist=["NAME"])
    with pytest.raises(worker.Skip):
        worker.WORKLOADS["transform_cost"](numpy_impl, tiny)
