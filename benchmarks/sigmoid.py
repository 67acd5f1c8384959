"""What sigmoid costs on a 512x256 array, beside the forms it could take (a diagnostic, not
part of `make bench`): puregrad's op (forward only, and forward with its gradient), its
array function alone, the branchy `exp(-|x|)` form it replaced, and numpy's
`0.5 * tanh(0.5 x) + 0.5`, with each form's worst relative error in ulps against long
double over [-700, 40] (float64) and [-87, 20] (float32).

    python -m benchmarks.sigmoid
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import timeit  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

import puregrad as pg  # noqa: E402
from puregrad.ops.elementwise import _sigmoid  # noqa: E402


def branchy(x: Any) -> Any:
    """The form before: `e ** -|x|` on both sides of 0, chosen with `where`."""
    z = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1 / (1 + z), z / (1 + z))


def tanh_form(x: Any) -> Any:
    return 0.5 * np.tanh(0.5 * x) + 0.5


def best_ms(f: Callable[[], object]) -> float:
    for _ in range(10):  # warm up: the allocator settles on where 1 MB results go
        f()
    return min(timeit.repeat(f, number=20, repeat=15)) / 20 * 1e3


def worst_ulps(f: Callable[[Any], Any], dtype: type[np.floating[Any]], low: float, high: float) -> float:
    x = np.linspace(low, high, 200_001).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    return float(np.abs((f(x) - exact) / exact).max() / np.finfo(dtype).eps)


def main() -> None:
    for dtype, low, high in ((np.float64, -700.0, 40.0), (np.float32, -87.0, 20.0)):
        x: NDArray[np.floating[Any]] = (np.random.default_rng(0).standard_normal((512, 256)) * 4).astype(dtype)
        x.flags.writeable = False
        v = pg.variable(x)
        print(f"512x256 {np.dtype(dtype).name}: ms (best of 15 x 20), worst error in ulps")
        rows: list[tuple[str, Callable[[], object], Callable[[Any], Any] | None]] = [
            ("pg.sigmoid forward (the op, on a variable)", lambda: pg.sigmoid(v), None),
            ("pg.sigmoid forward and backward", lambda: pg.backward(pg.sigmoid(v)), None),
            ("its array function: 1 / (1 + exp(-x)), in place", lambda: _sigmoid(x), _sigmoid),
            ("the branchy exp(-|x|) form it replaced", lambda: branchy(x), branchy),
            ("numpy 0.5 * tanh(0.5 x) + 0.5", lambda: tanh_form(x), tanh_form),
        ]
        for label, run, form in rows:
            error = "" if form is None else f"{worst_ulps(form, dtype, low, high):10.3g}"
            print(f"  {best_ms(run):8.3f}  {error:>10}  {label}")


if __name__ == "__main__":
    main()
