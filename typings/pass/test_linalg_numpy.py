"""Typical use of numpy's linear algebra on nodes, typed: a Gaussian log-likelihood written
with pg.cholesky, pg.solve and pg.slogdet, generic in the floating type. It type-checks
under --strict, and it runs."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

F = TypeVar("F", bound=np.floating[Any])


def gaussian_nll(cov: pg.Node[F], y: NDArray[F]) -> pg.Node[F]:
    """The negative log-density of `y` under N(0, cov), up to a constant."""
    chol = pg.cholesky(cov)
    alpha = pg.solve(chol, y)
    _, logdet = pg.slogdet(cov)
    return 0.5 * (pg.sum(alpha * alpha) + logdet)


def test_a_gaussian_likelihood_differentiates_in_both_precisions() -> None:
    rng = np.random.default_rng(0)
    base: NDArray[np.float64] = rng.standard_normal((4, 4))
    cov64 = pg.variable(base @ base.T + 4 * np.eye(4))
    y64: NDArray[np.float64] = rng.standard_normal(4)
    assert pg.backward(gaussian_nll(cov64, y64))[cov64].dtype == np.float64
    cov32 = pg.variable((base @ base.T + 4 * np.eye(4)).astype(np.float32))
    y32 = y64.astype(np.float32)
    gradient: pg.Node[np.float32] = pg.backward(gaussian_nll(cov32, y32))[cov32]
    assert gradient.dtype == np.float32 and gradient.shape == (4, 4)


def test_named_results_and_products() -> None:
    x = pg.variable(np.array([[2.0, 1.0], [1.0, 3.0]]))
    eigenvalues, eigenvectors = pg.eigh(x)
    rebuilt = pg.einsum("ij,j,kj->ik", eigenvectors, eigenvalues, eigenvectors)
    np.testing.assert_allclose(rebuilt.value, x.value)
    u, s, vh = pg.svd(x)
    np.testing.assert_allclose(pg.dot(u * s, vh).value, x.value)
    result: pg.SlogdetResult[np.float64] = pg.slogdet(x)
    assert float(result.sign) == 1.0
    assert pg.norm(pg.inv(x) @ x - np.eye(2)).value < 1e-12
