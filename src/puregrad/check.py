"""`check_grad`: `backward` against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from puregrad.backward import backward
from puregrad.config import Config
from puregrad.node import Node, variable

__all__ = ["check_grad"]

_TOLERANCES = {  # (rtol, atol) by the inputs' dtype
    np.dtype(np.float64): (1e-6, 1e-8),
    np.dtype(np.float32): (2e-3, 2e-4),
    np.dtype(np.float16): (3e-2, 3e-3),
}


def check_grad(
    f: Callable[..., Node[Any]],
    *inputs: NDArray[np.floating[Any]] | float,
    rtol: float | None = None,
    atol: float | None = None,
    seed: int = 0,
) -> None:
    """Check the gradients `backward` gives for `f` at `inputs` against finite differences.

    `f` takes one node per input and returns a node. A non-scalar output is contracted with
    a random cotangent `u`, so what is checked is the gradient of `sum(u * f(*inputs))`:
    element by element against central differences, and along a random direction (the
    dot-product test of the VJP). The reference differences are taken in float64, so a
    float32 gradient is measured against an accurate value; each gradient must also have
    its input's shape and dtype.

    Args:
        f: the function, from nodes to a node.
        inputs: floating arrays or scalars, one per argument of `f`.
        rtol, atol: tolerances (by default set by the inputs' precision).
        seed: for the random cotangent and direction.

    Raises:
        AssertionError: naming the input, the worst element and both values.

    >>> import puregrad as pg
    >>> check_grad(lambda x: pg.sum(pg.exp(x) * x), np.array([0.5, -1.0]))
    """
    arrays = [_input(x, i) for i, x in enumerate(inputs)]
    if not arrays:
        raise TypeError("check_grad: give at least one input")
    dtype = np.result_type(*arrays)
    default_rtol, default_atol = _TOLERANCES.get(dtype, _TOLERANCES[np.dtype(np.float64)])
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    rng = np.random.default_rng(seed)

    xs = [variable(a) for a in arrays]
    y = _call(f, xs)
    cotangent = rng.standard_normal(y.shape)
    grads = backward(y, Config(), seed=cotangent.astype(y.dtype)) if y.requires_grad else None
    analytic: list[NDArray[np.float64]] = []
    for i, (x, a) in enumerate(zip(xs, arrays)):
        gx = grads.get(x) if grads is not None else None
        if gx is None:
            analytic.append(np.zeros(a.shape))
            continue
        if gx.shape != a.shape or gx.dtype != a.dtype:
            raise AssertionError(
                f"check_grad: the gradient of input {i} has shape {gx.shape} and dtype "
                f"{gx.dtype}; the input has shape {a.shape} and dtype {a.dtype}"
            )
        analytic.append(gx.value.astype(np.float64))

    reference = [a.astype(np.float64) for a in arrays]

    def loss(values: Sequence[NDArray[np.float64]]) -> float:
        out = _call(f, [variable(v) for v in values]).value
        return float(np.sum(cotangent * out.astype(np.float64)))

    steps = [np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(r)) for r in reference]
    for i, (r, h, g) in enumerate(zip(reference, steps, analytic)):
        numeric = np.empty_like(r)
        for j in np.ndindex(r.shape):
            up = [v.copy() for v in reference]
            down = [v.copy() for v in reference]
            up[i][j] += h[j]
            down[i][j] -= h[j]
            numeric[j] = (loss(up) - loss(down)) / (2 * h[j])
        excess = np.abs(g - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and np.nanmax(excess) > 0 or not np.all(np.isfinite(g) == np.isfinite(numeric)):
            worst = np.unravel_index(np.argmax(np.nan_to_num(excess, nan=np.inf)), r.shape)
            raise AssertionError(
                f"check_grad: gradient of input {i} (shape {r.shape}) differs from finite "
                f"differences at index {tuple(int(k) for k in worst)}: backward gave "
                f"{g[worst]!r}, finite differences {numeric[worst]!r} (rtol={rtol}, atol={atol})"
            )

    # The dot-product test: along one random direction v, <grad, v> is the directional
    # derivative of the loss.
    directions = [rng.standard_normal(r.shape) for r in reference]
    t = float(np.cbrt(np.finfo(np.float64).eps))
    forward = [r + t * v for r, v in zip(reference, directions)]
    back = [r - t * v for r, v in zip(reference, directions)]
    numeric_dir = (loss(forward) - loss(back)) / (2 * t)
    analytic_dir = float(sum(np.sum(g * v) for g, v in zip(analytic, directions)))
    scale = sum(float(np.sum(np.abs(g * v))) for g, v in zip(analytic, directions))
    if abs(analytic_dir - numeric_dir) > atol * (1 + len(reference)) + rtol * max(scale, abs(numeric_dir)):
        raise AssertionError(
            f"check_grad: along a random direction backward gives {analytic_dir!r}, finite "
            f"differences {numeric_dir!r} (rtol={rtol}, atol={atol})"
        )


def _input(x: object, i: int) -> NDArray[Any]:
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return np.asarray(float(x))
    if isinstance(x, (np.ndarray, np.floating)):
        a = np.asarray(x)
        if a.dtype.kind == "f":
            return a.copy()
    raise TypeError(
        f"check_grad: input {i} must be a floating ndarray or a float, got {type(x).__name__}"
        + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
    )


def _call(f: Callable[..., Node[Any]], xs: Sequence[Node[Any]]) -> Node[Any]:
    y = f(*xs)
    if type(y) is not Node:
        raise TypeError(f"check_grad: f must return a Node, got {type(y).__name__}")
    return y
