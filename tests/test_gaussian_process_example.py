"""examples/gaussian_process.py: its likelihood differentiates correctly through cholesky,
solve and slogdet, and a short fit walks it down to hyperparameters near the true ones."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import puregrad as pg

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gaussian_process.py"


@pytest.fixture(scope="module")
def gp() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gaussian_process", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_likelihood_matches_a_direct_computation_and_its_gradient(gp: ModuleType) -> None:
    x, y = gp.make_data(seed=1, n=12, draws=2)
    theta = np.log(np.array([0.8, 1.3, 0.2]))
    value = gp.negative_log_likelihood(pg.variable(theta), x, y).value
    ell, s, noise = np.exp(theta)
    cov = s * np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2 / ell**2) + noise * np.eye(12)
    direct = sum(
        0.5 * y[:, r] @ np.linalg.solve(cov, y[:, r])
        + 0.5 * np.linalg.slogdet(cov).logabsdet
        + 6 * np.log(2 * np.pi)
        for r in range(2)
    )
    np.testing.assert_allclose(value, direct, rtol=1e-12)
    pg.check_grad(lambda t: gp.negative_log_likelihood(t, x, y), theta)


def test_a_short_fit_lowers_the_likelihood_and_lands_near_the_truth(gp: ModuleType) -> None:
    x, y = gp.make_data(seed=0, n=40, draws=8)
    result = gp.fit(x, y, steps=120, learning_rate=0.08, progress=False)
    assert result.losses[-1] < 0.6 * result.losses[0]
    assert result.losses[-1] <= min(result.losses) + 1e-3 * abs(min(result.losses))  # settled
    np.testing.assert_allclose(result.params, gp.TRUE, rtol=0.35)
    # The start is far from the truth: the fit, not the initial guess, got there.
    assert np.all(np.abs(np.log(gp.START / gp.TRUE)) > 0.6)
