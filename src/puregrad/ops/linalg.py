"""Linear algebra: matmul (as `numpy.matmul`: 1-D, 2-D and batched) and linear."""

from __future__ import annotations

from typing import Any, Final

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, shape_of
from puregrad.op import Array, Op, apply
from puregrad.ops.shape import Reshape

__all__ = ["MatMul", "MatrixTranspose", "linear", "matmul"]


@attrs.frozen
class MatrixTranspose(Op):
    """Swap the last two axes (`numpy.matrix_transpose`), for the rules of matmul."""

    name = "matrix_transpose"

    def forward(self, *xs: Any) -> Any:
        return np.swapaxes(xs[0], -1, -2)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return MT(gy)


MT: Final = MatrixTranspose()


def _check_shapes(s0: tuple[int, ...], s1: tuple[int, ...]) -> None:
    """numpy.matmul's shape rules, with errors that name both shapes."""
    for i, s in enumerate((s0, s1)):
        if not s:
            raise ValueError(
                f"matmul: operand {i} is 0-d (shapes {s0} and {s1}); matmul needs at least "
                "one dimension (use mul for scalars)"
            )
    k0 = s0[-1]
    k1 = s1[0] if len(s1) == 1 else s1[-2]
    if k0 != k1:
        raise ValueError(f"matmul: shapes {s0} and {s1} do not align")
    try:
        np.broadcast_shapes(s0[:-2], s1[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: cannot broadcast the batch shapes {s0[:-2]} and {s1[:-2]} "
            f"(shapes {s0} and {s1})"
        ) from None


@attrs.frozen
class MatMul(Op):
    """`x0 @ x1`. A 1-D operand is promoted as numpy does (a row on the left, a column on the
    right), so its rules insert and drop that axis; `backward` sums broadcast batch axes."""

    name = "matmul"

    def forward(self, *xs: Any) -> Any:
        x0, x1 = xs
        _check_shapes(np.shape(x0), np.shape(x1))
        return np.matmul(x0, x1)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x0, x1 = xs
        s0, s1, sy = shape_of(x0), shape_of(x1), shape_of(gy)
        if len(s0) == 1 and len(s1) == 1:  # an inner product
            return gy * x1 if i == 0 else gy * x0
        if i == 0:
            if len(s1) == 1:  # y (..., m) = x0 (..., m, k) @ x1 (k,)
                return Reshape(sy + (1,))(gy) * x1
            if len(s0) == 1:  # y (..., n) = x0 (k,) @ x1 (..., k, n): gives (..., 1, k)
                return Reshape(sy[:-1] + (1, sy[-1]))(gy) @ MT(x1)
            return gy @ MT(x1)
        if len(s0) == 1:  # the outer product of x0 and each row of gy
            return Reshape((s0[0], 1))(x0) * Reshape(sy[:-1] + (1, sy[-1]))(gy)
        if len(s1) == 1:  # x0^T @ gy as a column, then the column axis dropped
            return Reshape(sy[:-1] + s1)(MT(x0) @ Reshape(sy + (1,))(gy))
        return MT(x0) @ gy


MATMUL: Final = MatMul()


def matmul(
    x0: Node[D] | NDArray[D], x1: Node[D] | NDArray[D], *, config: Config | None = None
) -> Node[D]:
    """The matrix product `x0 @ x1`, exactly as `numpy.matmul`.

    2-D operands multiply as matrices; a 1-D operand is a row vector on the left and a
    column vector on the right (its axis is dropped from the result); operands of more
    dimensions are stacks of matrices, whose leading (batch) axes broadcast.

    Raises:
        ValueError: an operand is 0-d (as numpy), the inner dimensions differ
            (`matmul: shapes (2, 3) and (2, 3) do not align`), or the batch axes do not
            broadcast.
        TypeError: an operand is not a node, an array or a scalar.

    >>> import puregrad as pg
    >>> matmul(pg.variable(np.ones((2, 3))), np.ones(3)).value
    array([3., 3.])
    """
    return apply(MATMUL, (x0, x1), config)


def linear(
    x: Node[D] | NDArray[D],
    W: Node[D] | NDArray[D],
    b: Node[D] | NDArray[D] | None = None,
    *,
    config: Config | None = None,
) -> Node[D]:
    """The affine map `x @ W + b` (`b` omitted when None), as DeZero's `linear`.

    Raises:
        ValueError: as `matmul`, or `b` does not broadcast against `x @ W` (from `add`).

    >>> import puregrad as pg
    >>> linear(pg.variable(np.ones((2, 3))), np.ones((3, 4)), np.ones(4)).shape
    (2, 4)
    """
    if b is None:
        return apply(MATMUL, (x, W), config)
    return apply(AFFINE, (x, W, b), config)


@attrs.frozen
class Affine(Op):
    """`x0 @ x1 + x2` as one op: the bias is added into the product's own fresh array (when
    that gives numpy's shape and dtype), saving an array of the output's size per layer."""

    name = "linear"

    def forward(self, *xs: Any) -> Any:
        x0, x1, x2 = xs
        y = MATMUL.forward(x0, x1)
        if (
            type(y) is np.ndarray
            and np.shape(x2) == y.shape[y.ndim - np.ndim(x2):]
            and np.result_type(y, x2) == y.dtype
        ):
            y += x2  # y is this op's own new array: nobody else can see it yet
            return y
        return y + x2

    def failure(self, values: list[Any]) -> str | None:
        s0, s1, s2 = (np.shape(v) for v in values)
        try:
            _check_shapes(s0, s1)
        except ValueError:
            return None  # matmul's own message names the shapes
        product = np.matmul(np.broadcast_to(0.0, s0), np.broadcast_to(0.0, s1)).shape
        return f"linear: cannot broadcast shapes {product} (x @ W) and {s2} (b)"

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return gy if i == 2 else MATMUL.vjp(i, gy, xs[:2], y)


AFFINE: Final = Affine()
