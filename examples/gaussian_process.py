"""Fit a Gaussian process's hyperparameters by gradient descent on its negative log marginal
likelihood, written in plain numpy on nodes: what `make demo` runs third.

The data are draws from a GP with a squared-exponential kernel whose length scale, signal
variance and noise variance are known (made from a seed). The model starts far from them and
Adam, in log space, walks the likelihood down; `np.linalg.cholesky`, `np.linalg.solve` and
`np.linalg.slogdet` on nodes do the linear algebra, and puregrad differentiates through
them. It prints the fitted values beside the true ones and writes out/gaussian_process.png
(the posterior mean and a two-standard-deviation band; needs matplotlib, the `demo` extra).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg

OUT = Path(__file__).resolve().parent.parent / "out"
NAMES = ("length scale", "signal variance", "noise variance")
TRUE = np.array([1.2, 1.5, 0.1])
START = np.array([0.3, 0.3, 1.0])

Array = NDArray[np.float64]
xp: Any = np
"""numpy as called on nodes (its stubs would type each result as an array, not a Node)."""


def kernel(log_params: pg.Node[np.float64], x0: Array, x1: Array) -> pg.Node[np.float64]:
    """The squared-exponential covariance `s exp(-(x0 - x1)^2 / (2 l^2))` between two sets
    of points, from log(l), log(s) (the noise variance is not used here)."""
    length, signal = xp.exp(log_params[0]), xp.exp(log_params[1])
    squared = (x0[:, None] - x1[None, :]) ** 2
    result: pg.Node[np.float64] = signal * xp.exp(-0.5 * squared / length**2)
    return result


def negative_log_likelihood(log_params: pg.Node[np.float64], x: Array, y: Array) -> pg.Node[np.float64]:
    """-log p(y | x, params) of independent draws `y` (n, draws) with the same covariance
    `K = kernel(x, x) + noise I`, summed over the draws:
    `0.5 y^T K^-1 y + 0.5 log det K + 0.5 n log(2 pi)` each.

    With `K = L L^T`, `y^T K^-1 y` is `|L^-1 y|^2`, one solve with the Cholesky factor."""
    n, draws = y.shape
    cov = kernel(log_params, x, x) + xp.exp(log_params[2]) * np.eye(n)
    chol = xp.linalg.cholesky(cov)
    whitened = xp.linalg.solve(chol, y)
    _, logdet = xp.linalg.slogdet(cov)
    result: pg.Node[np.float64] = 0.5 * pg.sum(whitened * whitened) + 0.5 * draws * (
        logdet + n * np.log(2 * np.pi)
    )
    return result


def make_data(seed: int = 0, n: int = 60, draws: int = 16) -> tuple[Array, Array]:
    """Inputs on [-5, 5] and `draws` functions drawn from the GP with the TRUE parameters,
    observed with noise."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-5.0, 5.0, n))
    with pg.no_grad():
        cov = kernel(pg.constant(np.log(TRUE)), x, x).value + (TRUE[2] + 1e-9) * np.eye(n)
    y: Array = np.linalg.cholesky(cov) @ rng.standard_normal((n, draws))
    return x, y


@attrs.frozen
class Fit:
    """The fitted parameters (natural scale) and the likelihood at every step."""

    params: Array
    losses: list[float]
    seconds: float


def fit(x: Array, y: Array, steps: int = 200, learning_rate: float = 0.05, progress: bool = True) -> Fit:
    """Adam on the log parameters, from START."""
    optimizer = pg.Adam(learning_rate=learning_rate)
    log_params: Array = np.log(START)
    state = optimizer.init(log_params)
    value_and_grad = pg.value_and_grad(negative_log_likelihood)
    losses: list[float] = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        loss, grad = value_and_grad(log_params, x, y)
        losses.append(float(loss))
        if progress and (step == 1 or step % 25 == 0):
            values = "  ".join(f"{v:7.3f}" for v in np.exp(log_params))
            print(f"step {step:4d}  NLL {losses[-1]:9.2f}  {values}", flush=True)
        log_params, state = pg.step(optimizer, grad, state, log_params)
    return Fit(np.exp(log_params), losses, time.perf_counter() - start)


def posterior(params: Array, x: Array, y: Array, grid: Array) -> tuple[Array, Array]:
    """The posterior mean and standard deviation of the latent function on `grid`."""
    log_params = pg.constant(np.log(params))
    with pg.no_grad():
        cov = kernel(log_params, x, x).value + params[2] * np.eye(len(x))
        cross = kernel(log_params, x, grid).value
    chol = np.linalg.cholesky(cov)
    mean = cross.T @ np.linalg.solve(cov, y)
    v = np.linalg.solve(chol, cross)
    std = np.sqrt(np.maximum(params[1] - np.sum(v * v, axis=0), 0.0))
    return mean, std


def plot(result: Fit, x: Array, y: Array, path: Path) -> None:
    """The likelihood falling beside the posterior of the first draw, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    grid = np.linspace(-5.5, 5.5, 300)
    mean, std = posterior(result.params, x, y[:, :1], grid)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(np.arange(1, len(result.losses) + 1), result.losses)
    left.set(xlabel="Adam step", ylabel="negative log marginal likelihood", title="fitting")
    right.fill_between(grid, mean[:, 0] - 2 * std, mean[:, 0] + 2 * std, alpha=0.25, label="mean ± 2 sd")
    right.plot(grid, mean[:, 0], label="posterior mean")
    right.scatter(x, y[:, 0], s=12, c="k", label="data (first draw)")
    right.set(title="fitted GP posterior", xlabel="x")
    right.legend(loc="upper right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    x, y = make_data()
    print(f"Fitting a GP's hyperparameters to {y.shape[1]} draws at {len(x)} points (seed 0)")
    print(f"{'':20s}  {'length':>7s}  {'signal':>7s}  {'noise':>7s}")
    result = fit(x, y)
    print(f"NLL {result.losses[0]:.1f} -> {result.losses[-1]:.1f} in {len(result.losses)} steps "
          f"({result.seconds:.1f} s)")
    print(f"{'':16s} {'start':>8s} {'fitted':>8s} {'true':>8s}")
    for name, s, f, t in zip(NAMES, START, result.params, TRUE):
        print(f"{name:16s} {s:8.3f} {f:8.3f} {t:8.3f}")
    OUT.mkdir(exist_ok=True)
    try:
        path = OUT / "gaussian_process.png"
        plot(result, x, y, path)
        print(f"wrote:\n  {path}")
    except ImportError:
        print("matplotlib is not installed (pip install '.[demo]'): no PNG", file=sys.stderr)


if __name__ == "__main__":
    main()
