"""The cnn workload runs, and numpy by hand and puregrad agree on its loss and gradients."""

from __future__ import annotations

import pytest

from benchmarks import worker


def test_cnn_workload_runs_and_agrees_with_numpy_by_hand() -> None:
    records = worker.interleaved("cnn", ["numpy", "puregrad"], quick=True, repeat=1)
    results = {f: r["metrics"] for f, r in records.items()}
    for framework in ("numpy", "puregrad"):
        assert results[framework]["step_s"] > 0
    checks = [k for k in results["numpy"] if k.startswith("check")]
    assert len(checks) == 7  # the loss and the sum of each of the six gradients
    for key in checks:
        assert results["puregrad"][key] == pytest.approx(results["numpy"][key], rel=1e-9, abs=1e-12)
