"""The `transform_cost` workload: what forward mode and curvature cost in puregrad, as
multiples of a VJP, on the MLP loss of the `mlp` workload as a function of its first weight
matrix (784 x 256, batch 512).

`pg.vjp` (one forward, one backward), `pg.jvp` (forward mode by transposing the recorded
VJP: one forward, two backward passes) and `pg.hvp` (reverse over reverse) are each timed
from the same inputs; the ratios come from one run. Only puregrad runs it: the other
frameworks are reported as skipped.
"""

from __future__ import annotations

import gc
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks import measure
from benchmarks.spec import mlp_data

__all__ = ["transform_cost"]


def transform_cost(
    impl: ModuleType, sizes: Any, skip: type[Exception], repeat: int
) -> dict[str, float]:
    """Median seconds of a vjp, a jvp and an hvp of the MLP loss in W1, and their ratios.

    `skip` is the worker's exception for a framework that cannot run the workload; the
    three are timed in turn within each of `repeat` rounds, so a change in the machine's
    load touches all three alike."""
    if impl.NAME != "puregrad":
        raise skip("puregrad's own transforms are measured here (jvp and hvp against its vjp)")
    import puregrad as pg

    data = mlp_data(sizes.mlp_batch)
    tangent = np.random.default_rng(1).standard_normal(data.w1.shape)

    def loss(w1: pg.Node[np.float64]) -> pg.Node[np.float64]:
        h = pg.relu(pg.linear(data.x, w1, data.b1))
        return pg.softmax_cross_entropy(pg.linear(h, data.w2, data.b2), data.t)

    def vjp() -> Any:
        return pg.vjp(loss, data.w1)[1](1.0)[0]

    def jvp() -> Any:
        return pg.jvp(loss, (data.w1,), (tangent,))[1]

    def hvp() -> Any:
        return pg.hvp(loss, data.w1, tangent)

    runs = {"vjp": vjp, "jvp": jvp, "hvp": hvp}
    warm_up = 3 if repeat >= 3 else 1  # until the allocator's heap settles (a smoke run: 1)
    results = {name: [run() for _ in range(warm_up)][-1] for name, run in runs.items()}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            times[name].append(measure.timed(run)[1])
    metrics = {f"{name}_s": measure.median(t) for name, t in times.items()}
    metrics["jvp_over_vjp"] = metrics["jvp_s"] / metrics["vjp_s"]
    metrics["hvp_over_vjp"] = metrics["hvp_s"] / metrics["vjp_s"]
    # The jvp must equal <gradient, tangent>: its relative difference (about 1e-15).
    dot = float(np.sum(results["vjp"] * tangent))
    metrics["jvp_relative_error"] = abs(float(results["jvp"]) - dot) / abs(dot)
    return metrics
