"""Linear algebra: matmul (as `numpy.matmul`: 1-D, 2-D and batched) and linear; the products
dot, inner, outer and tensordot; and numpy.linalg's inv, solve, det, slogdet, cholesky,
eigh, svd and norm, each on stacks of matrices `(..., M, M)` as numpy takes them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, Literal, NamedTuple, TypeAlias, overload

import attrs
import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, F, Node, shape_of
from puregrad.op import Array, MultiOp, NonDifferentiable, Op, apply, apply_multi
from puregrad.ops.arithmetic import ADD as _ADD
from puregrad.ops.arithmetic import MUL as _MUL
from puregrad.ops.arithmetic import POWER as _POWER
from puregrad.ops.elementwise import ABS
from puregrad.ops.elementwise import SQRT as _SQRT
from puregrad.ops.reduce import max as _max
from puregrad.ops.reduce import min as _min
from puregrad.ops.reduce import sum as _sum
from puregrad.ops.shape import GetItem, Reshape, Transpose

__all__ = [
    "Cholesky",
    "Det",
    "EighResult",
    "Eigh",
    "Inv",
    "MatMul",
    "MatrixTranspose",
    "SVD",
    "SVDResult",
    "Slogdet",
    "SlogdetResult",
    "Solve",
    "cholesky",
    "det",
    "dot",
    "eigh",
    "inner",
    "inv",
    "linear",
    "matmul",
    "matrix_norm",
    "norm",
    "outer",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "vector_norm",
]


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
        s0, s1 = np.shape(x0), np.shape(x1)
        _check_shapes(s0, s1)
        if len(s0) > 1 and len(s1) > 1 and s0[-1] == 1:
            # An inner dimension of 1: each element is one product, so the broadcasting
            # multiply gives the same values (numpy's matmul takes a slow loop here: an
            # LSTM's input projection of 960 x 1 by 1 x 256 costs 2x as much).
            return np.multiply(x0, x1)
        return np.matmul(x0, x1)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x0, x1 = xs
        s0, s1, sy = shape_of(x0), shape_of(x1), shape_of(gy)
        if len(s0) == 1 and len(s1) == 1:  # an inner product
            return gy * x1 if i == 0 else gy * x0
        if len(s0) > 2 and len(s1) == 2:
            # A stack (..., m, k) times one matrix (k, n) is one product of (M, k) and
            # (k, n) with M = all the stacked rows: each rule as one 2-D matmul, instead
            # of one per matrix of the stack (and, for x1, a sum over the stack after).
            rows = math.prod(s0[:-1])
            g2 = Reshape((rows, sy[-1]))(gy)
            if i == 0:
                return Reshape(s0)(g2 @ MT(x1))
            return MT(Reshape((rows, s0[-1]))(x0)) @ g2
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


# Products: dot, inner, outer, tensordot (einsum has its own module) --------------------------
#
# Each is a composition of matmul, transpose and reshape, so they multiply with BLAS and
# differentiate (again) through the rules of those ops.


def _operand(x: object, op: str) -> Any:
    """A node or an array as it is; a scalar as a 0-d array (its shape is read)."""
    if type(x) is Node or isinstance(x, np.ndarray):
        return x
    if isinstance(x, (int, float, np.generic)) and not isinstance(x, bool):
        return np.asarray(x)
    raise TypeError(f"{op}: expected a Node, numpy.ndarray or scalar, got {type(x).__name__}")


def _contraction_axes(axes: object, n0: int, n1: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """tensordot's `axes` (an int, or a pair of ints or sequences) as two tuples of
    non-negative axes."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > min(n0, n1):
            raise ValueError(f"tensordot: axes={n} is out of range for operands of {n0} and {n1} dimensions")
        return tuple(range(n0 - n, n0)), tuple(range(n))
    if not (isinstance(axes, (tuple, list)) and len(axes) == 2):
        raise TypeError(f"tensordot: axes must be an int or a pair of axis lists, got {axes!r}")
    pair: list[tuple[int, ...]] = []
    for side, ndim in zip(axes, (n0, n1)):
        items = side if isinstance(side, (tuple, list)) else (side,)
        if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items):
            raise TypeError(f"tensordot: axes must be ints, got {axes!r}")
        try:
            pair.append(normalize_axis_tuple(tuple(int(a) for a in items), ndim))
        except (ValueError, IndexError) as error:
            raise ValueError(f"tensordot: {error}") from None
    if len(pair[0]) != len(pair[1]):
        raise ValueError(f"tensordot: axes {axes!r} pair {len(pair[0])} axes with {len(pair[1])}")
    return pair[0], pair[1]


def _tensordot(a: Any, b: Any, axes: object, config: Config | None, op: str = "tensordot") -> Node[Any]:
    s0, s1 = shape_of(a), shape_of(b)
    axes0, axes1 = _contraction_axes(axes, len(s0), len(s1))
    for k0, k1 in zip(axes0, axes1):
        if s0[k0] != s1[k1]:
            raise ValueError(
                f"{op}: shapes {s0} and {s1} do not align (axis {k0} of size {s0[k0]} against "
                f"axis {k1} of size {s1[k1]})"
            )
    free0 = tuple(k for k in range(len(s0)) if k not in axes0)
    free1 = tuple(k for k in range(len(s1)) if k not in axes1)
    inner = math.prod(s0[k] for k in axes0)
    rows = math.prod(s0[k] for k in free0)
    columns = math.prod(s1[k] for k in free1)
    order0, order1 = free0 + axes0, axes1 + free1
    if order0 != tuple(range(len(s0))):
        a = apply(Transpose(order0), (a,), config)
    if order1 != tuple(range(len(s1))):
        b = apply(Transpose(order1), (b,), config)
    product = apply(
        MATMUL,
        (apply(Reshape((rows, inner)), (a,), config), apply(Reshape((inner, columns)), (b,), config)),
        config,
    )
    return apply(Reshape(tuple(s0[k] for k in free0) + tuple(s1[k] for k in free1)), (product,), config)


def tensordot(
    a: Node[D] | NDArray[D],
    b: Node[D] | NDArray[D],
    axes: int | tuple[int | Sequence[int], int | Sequence[int]] = 2,
    *,
    config: Config | None = None,
) -> Node[D]:
    """Sum of products over the given axes, as `numpy.tensordot`.

    `axes` is an int n (the last n axes of `a` with the first n of `b`) or a pair of axis
    lists. The result's axes are `a`'s free axes, then `b`'s.

    Raises:
        ValueError: paired axes of different sizes, or axes out of range.
        TypeError: `axes` of the wrong kind.

    >>> import puregrad as pg
    >>> tensordot(pg.variable(np.ones((2, 3, 4))), np.ones((3, 4, 5))).shape
    (2, 5)
    """
    return _tensordot(_operand(a, "tensordot"), _operand(b, "tensordot"), axes, config)


def dot(a: Node[D] | NDArray[D], b: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]:
    """The dot product, as `numpy.dot`: a product for 0-d operands, the matrix product for
    1-D and 2-D ones, and for N-D ones the sum over the last axis of `a` and the
    second-to-last of `b` (`b`'s last when it is 1-D).

    >>> import puregrad as pg
    >>> dot(pg.variable(np.ones((2, 3, 4))), np.ones((5, 4, 6))).shape
    (2, 3, 5, 6)
    """
    a, b = _operand(a, "dot"), _operand(b, "dot")
    s0, s1 = shape_of(a), shape_of(b)
    if not s0 or not s1:
        return apply(_MUL, (a, b), config)
    if len(s0) <= 2 and len(s1) <= 2 or len(s1) == 1 or len(s0) == 1:
        # numpy.matmul computes the same sums here (1-D operands promoted alike).
        if s0[-1] != s1[0 if len(s1) == 1 else -2]:
            raise ValueError(f"dot: shapes {s0} and {s1} do not align")
        return apply(MATMUL, (a, b), config)
    return _tensordot(a, b, ((len(s0) - 1,), (len(s1) - 2,)), config, "dot")


def inner(a: Node[D] | NDArray[D], b: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]:
    """The sum of products over the last axes of `a` and `b`, as `numpy.inner` (a product
    when either is 0-d).

    >>> import puregrad as pg
    >>> inner(pg.variable(np.array([1.0, 2.0])), np.array([3.0, 4.0])).value
    array(11.)
    """
    a, b = _operand(a, "inner"), _operand(b, "inner")
    s0, s1 = shape_of(a), shape_of(b)
    if not s0 or not s1:
        return apply(_MUL, (a, b), config)
    if len(s0) == 1 and len(s1) == 1:
        if s0 != s1:
            raise ValueError(f"inner: shapes {s0} and {s1} do not align")
        return apply(MATMUL, (a, b), config)
    return _tensordot(a, b, ((len(s0) - 1,), (len(s1) - 1,)), config, "inner")


def outer(a: Node[D] | NDArray[D], b: Node[D] | NDArray[D], *, config: Config | None = None) -> Node[D]:
    """The outer product of `a` and `b`, each flattened, as `numpy.outer`: shape
    `(a.size, b.size)`.

    >>> import puregrad as pg
    >>> outer(pg.variable(np.array([1.0, 2.0])), np.array([1.0, 0.0, -1.0])).value
    array([[ 1.,  0., -1.],
           [ 2.,  0., -2.]])
    """
    a, b = _operand(a, "outer"), _operand(b, "outer")
    column = apply(Reshape((-1, 1)), (a,), config)
    row = apply(Reshape((1, -1)), (b,), config)
    return apply(_MUL, (column, row), config)


# numpy.linalg: inv, solve, det, slogdet, cholesky, eigh, svd, norm ----------------------------
#
# The rules are the standard ones (M. Giles, "An extended collection of matrix derivative
# results for forward and reverse mode algorithmic differentiation", 2008; for eigh and svd,
# the rules for distinct eigen/singular values, as in J. Townsend, "Differentiating the
# singular value decomposition", 2016). They are written with these very ops (solves, not
# explicit inverses, where an inverse is not already the output), so each differentiates again.


def _dtype(x: Any) -> np.dtype[Any]:
    return np.result_type(x.dtype if hasattr(x, "dtype") else x)


def _eye(n: int, dtype: np.dtype[Any]) -> NDArray[Any]:
    eye = np.eye(n, dtype=dtype)
    eye.setflags(write=False)
    return eye


def _triangle_weights(n: int, dtype: np.dtype[Any], lower: bool) -> NDArray[Any]:
    """Ones strictly inside the lower (upper) triangle and 1/2 on the diagonal: the map from a
    gradient `G` with respect to a symmetric matrix to that of the one triangle numpy reads is
    `(G + G^T) * weights`, and the same weights halve a diagonal in the rule of cholesky."""
    ones = np.ones((n, n), dtype)
    weights = (np.tril(ones) if lower else np.triu(ones)) - 0.5 * np.eye(n, dtype=dtype)
    weights.setflags(write=False)
    return weights


def _kept(x: Any, *axes: int) -> Array:
    """`x` with size-1 axes appended, so a value per matrix broadcasts against the matrix."""
    return Reshape(shape_of(x) + (1,) * len(axes))(x)


def _column(x: Any) -> Array:
    """A stack of vectors `(..., K)` as a stack of rows `(..., 1, K)`."""
    shape = shape_of(x)
    return Reshape(shape[:-1] + (1, shape[-1]))(x)


def _as_column(x: Any) -> Array:
    """A stack of vectors `(..., K)` as a stack of columns `(..., K, 1)`."""
    return Reshape(shape_of(x) + (1,))(x)


def _reciprocal_gaps(values: Any) -> Array:
    """`F[..., i, j] = 1 / (values_j - values_i)` off the diagonal, 0 on it and wherever two
    values tie exactly.

    The ties (the diagonal among them) are a constant mask added to the denominator and
    removed from the result, so `F` and its derivatives stay finite: a rule whose other
    factor vanishes at a tie (only the eigenvalues or singular values used) gives 0 there
    instead of `inf * 0 = nan`.
    """
    gaps = _column(values) - _as_column(values)
    ties = _TIES(gaps)
    return (1 - ties) / (gaps + ties)


_TIES: Final = NonDifferentiable(
    "ties", lambda gaps: np.equal(gaps, 0).astype(np.result_type(gaps))
)


def _square_stack(x: object, op: str) -> tuple[int, ...]:
    shape = shape_of(x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{op}: expected a stack of square matrices (..., M, M), got shape {shape}")
    return shape


def _matrix_stack(x: object, op: str) -> tuple[int, ...]:
    shape = shape_of(x)
    if len(shape) < 2:
        raise ValueError(f"{op}: expected a stack of matrices (..., M, N), got shape {shape}")
    return shape


@attrs.frozen
class Inv(Op):
    """The inverse of each matrix: `d(A^-1) = -A^-1 dA A^-1`, so `gA = -Y^T gY Y^T`."""

    name = "inv"

    def forward(self, *xs: Any) -> Any:
        return np.linalg.inv(xs[0])

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        yt = MT(y)
        return -(yt @ gy @ yt)


@attrs.frozen
class Solve(Op):
    """`x = solve(A, b)`: `gb = solve(A^T, gx)`, `gA = -gb x^T`. A 1-D `b` is a vector (as
    numpy 2), any other a stack of matrices `(..., M, K)`."""

    name = "solve"

    def forward(self, *xs: Any) -> Any:
        return np.linalg.solve(xs[0], xs[1])

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        a, b = xs
        vector = len(shape_of(b)) == 1
        gb = SOLVE(MT(a), _as_column(gy) if vector else gy)
        if i == 1:
            return Reshape(shape_of(gb)[:-1])(gb) if vector else gb
        return -(gb @ MT(_as_column(y) if vector else y))


SOLVE: Final = Solve()


@attrs.frozen
class Det(Op):
    """The determinant of each matrix: `gA = gy det(A) A^-T`, one solve with `A^T`.

    The scale `gy det(A)` multiplies the identity before the solve, so the rule is as finite
    as the determinant itself: a well-conditioned matrix with a determinant of 1e-180 or
    1e180 gets its gradient to full relative precision.
    """

    name = "det"

    def forward(self, *xs: Any) -> Any:
        return np.linalg.det(xs[0])

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        a = xs[0]
        eye = _eye(shape_of(a)[-1], _dtype(a))
        return SOLVE(MT(a), _kept(gy * y, 0, 0) * eye)


@attrs.frozen
class Slogdet(MultiOp):
    """`(sign, log|det A|)` of each matrix; the sign is piecewise constant, and the
    logarithm's gradient is `g A^-T` (a solve with `A^T`)."""

    name = "slogdet"

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        sign, logabsdet = np.linalg.slogdet(xs[0])
        return sign, logabsdet

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        a = xs[0]
        eye = _eye(shape_of(a)[-1], _dtype(a))
        return SOLVE(MT(a), _kept(gys[1], 0, 0) * eye)


SLOGDET: Final = Slogdet()


@attrs.frozen
class Cholesky(Op):
    """The lower Cholesky factor `L` of each matrix, read from its lower triangle (as numpy).

    With `P = Phi(L^T gL)` (the lower triangle, diagonal halved) and `S = L^-T P L^-1` (two
    solves), the gradient for a symmetric `dA` is `(S + S^T) / 2`; the triangle numpy reads
    gets `(S + S^T)` below the diagonal and `S_ii` on it (Murray, 2016).
    """

    name = "cholesky"

    def forward(self, *xs: Any) -> Any:
        return np.linalg.cholesky(xs[0])

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        weights = _triangle_weights(shape_of(y)[-1], _dtype(y), lower=True)
        lt = MT(y)
        left = SOLVE(lt, (lt @ gy) * weights)  # L^-T P
        s = MT(SOLVE(lt, MT(left)))  # L^-T P L^-1
        return (s + MT(s)) * weights


CHOLESKY: Final = Cholesky()


@attrs.frozen
class Eigh(Op):
    """Eigenvalues and eigenvectors of each symmetric matrix, read from one triangle (as
    numpy's `UPLO`), packed as one array `(..., M + 1, M)`: the eigenvalues in row 0, the
    eigenvectors (columns) below, so the rule sees both outputs and both gradients.

    For distinct eigenvalues `G = V (diag(gw) + F * (V^T gV)) V^T` with
    `F_ij = 1 / (w_j - w_i)`; the triangle that numpy reads gets `G + G^T` off the diagonal
    and `G_ii` on it.
    """

    name = "eigh"
    lower: bool

    def forward(self, *xs: Any) -> Any:
        w, v = np.linalg.eigh(xs[0], UPLO="L" if self.lower else "U")
        return np.concatenate([w[..., None, :], v], axis=-2)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        w, v = _EIGENVALUES(y), _EIGENVECTORS(y)
        gw, gv = _EIGENVALUES(gy), _EIGENVECTORS(gy)
        n = shape_of(w)[-1]
        dtype = _dtype(y)
        vt = MT(v)
        middle = _reciprocal_gaps(w) * (vt @ gv) + _column(gw) * _eye(n, dtype)
        g = v @ middle @ vt
        return (g + MT(g)) * _triangle_weights(n, dtype, self.lower)


_EIGENVALUES: Final = GetItem((Ellipsis, 0, slice(None)))
_EIGENVECTORS: Final = GetItem((Ellipsis, slice(1, None), slice(None)))


@attrs.frozen
class SVD(Op):
    """The reduced singular value decomposition `A = U diag(S) Vh` of each matrix, packed as
    one array `(..., M + 1 + N, K)`, `K = min(M, N)`: U, then S as a row, then `V = Vh^T`.

    The rule for distinct (nonzero) singular values (Townsend, 2016), `F_ij = 1 / (s_j^2 -
    s_i^2)`:
    `gA = U [(F * (U^T gU - gU^T U)) S + diag(gS) + S (F * (V^T gV - gV^T V))] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)`, the last two terms only for the
    longer side of a non-square matrix.
    """

    name = "svd"
    rows: int

    def forward(self, *xs: Any) -> Any:
        u, s, vh = np.linalg.svd(xs[0], full_matrices=False)
        return np.concatenate([u, s[..., None, :], np.swapaxes(vh, -1, -2)], axis=-2)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        m = self.rows
        parts = (slice(None, m), m, slice(m + 1, None))
        u, s, v = (GetItem((Ellipsis, p, slice(None)))(y) for p in parts)
        gu, gs, gv = (GetItem((Ellipsis, p, slice(None)))(gy) for p in parts)
        k = shape_of(s)[-1]
        n = shape_of(v)[-2]
        ut, vt = MT(u), MT(v)
        f = _reciprocal_gaps(s * s)
        j = f * (ut @ gu - MT(gu) @ u)
        l = f * (vt @ gv - MT(gv) @ v)
        middle = j * _column(s) + _column(gs) * _eye(k, _dtype(y)) + _as_column(s) * l
        ga = u @ middle @ vt
        if m > k:
            ga = ga + ((gu - u @ (ut @ gu)) / _column(s)) @ vt
        if n > k:
            ga = ga + u @ (MT(gv - v @ (vt @ gv)) / _as_column(s))
        return ga


class SlogdetResult(NamedTuple, Generic[F]):
    """What `slogdet` returns, as numpy's: the sign of each determinant (a plain array: it
    has no gradient) and the logarithm of its absolute value (a node)."""

    sign: NDArray[F]
    logabsdet: Node[F]


class EighResult(NamedTuple, Generic[F]):
    """What `eigh` returns, as numpy's: the eigenvalues in ascending order, and the
    eigenvectors as the columns of a matrix."""

    eigenvalues: Node[F]
    eigenvectors: Node[F]


class SVDResult(NamedTuple, Generic[F]):
    """What `svd` returns, as numpy's: `A = U @ (S[..., None] * Vh)`."""

    U: Node[F]
    S: Node[F]
    Vh: Node[F]


def inv(a: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
    """The inverse of each matrix of a stack `(..., M, M)`, as `numpy.linalg.inv`.

    Raises:
        ValueError: the matrices are not square.
        numpy.linalg.LinAlgError: a matrix is singular (a ValueError, as in numpy).

    >>> import puregrad as pg
    >>> inv(pg.variable(np.array([[2.0, 0.0], [0.0, 4.0]]))).value
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    _square_stack(a, "inv")
    return apply(INV, (a,), config)


INV: Final = Inv()


def solve(
    a: Node[F] | NDArray[F], b: Node[F] | NDArray[F], *, config: Config | None = None
) -> Node[F]:
    """The solution `x` of `a @ x = b`, as `numpy.linalg.solve` (numpy 2's shapes): `a` is
    `(..., M, M)`; `b` is a vector `(M,)` or a stack `(..., M, K)`; batch axes broadcast.

    Raises:
        ValueError: shapes that do not fit, naming both.
        numpy.linalg.LinAlgError: a matrix is singular.

    >>> import puregrad as pg
    >>> solve(pg.variable(np.array([[2.0, 0.0], [0.0, 4.0]])), np.array([1.0, 1.0])).value
    array([0.5 , 0.25])
    """
    s0, s1 = _square_stack(a, "solve"), shape_of(b)
    rows = s1[0] if len(s1) == 1 else (s1[-2] if len(s1) >= 2 else None)
    if rows != s0[-1]:
        raise ValueError(
            f"solve: b of shape {s1} does not fit a of shape {s0} (b must be (M,) or "
            "(..., M, K))"
        )
    if len(s1) >= 2:
        try:
            np.broadcast_shapes(s0[:-2], s1[:-2])
        except ValueError:
            raise ValueError(f"solve: cannot broadcast the batch shapes of {s0} and {s1}") from None
    return apply(SOLVE, (a, b), config)


def det(a: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
    """The determinant of each matrix of a stack `(..., M, M)`, as `numpy.linalg.det`.

    Its gradient `det(A) A^-T` is computed with a solve; it needs `A` invertible.

    >>> import puregrad as pg
    >>> A = pg.variable(np.array([[2.0, 1.0], [1.0, 3.0]]))
    >>> pg.backward(det(A))[A].value
    array([[ 3., -1.],
           [-1.,  2.]])
    """
    _square_stack(a, "det")
    return apply(DET, (a,), config)


DET: Final = Det()


def slogdet(a: Node[F] | NDArray[F], *, config: Config | None = None) -> SlogdetResult[F]:
    """The sign and the log of the absolute value of each determinant, as
    `numpy.linalg.slogdet`: finite where `det` would overflow or underflow.

    Returns:
        `SlogdetResult(sign, logabsdet)`: `sign` a plain array (piecewise constant, it has
        no gradient), `logabsdet` a node, whose gradient is `A^-T`.

    >>> import puregrad as pg
    >>> sign, logabsdet = slogdet(pg.variable(np.diag([-1e-200, 1e-200])))
    >>> float(sign), round(float(logabsdet.value), 2)
    (-1.0, -921.03)
    """
    _square_stack(a, "slogdet")
    sign, logabsdet = apply_multi(SLOGDET, (a,), config)
    return SlogdetResult(sign.value, logabsdet)


def cholesky(a: Node[F] | NDArray[F], *, upper: bool = False, config: Config | None = None) -> Node[F]:
    """The Cholesky factor of each symmetric positive-definite matrix, as
    `numpy.linalg.cholesky`: lower-triangular `L` with `a = L @ L^T`, read from the lower
    triangle of `a`; with `upper=True` the upper factor `U = L^T`, read from the upper one.

    The gradient goes to the triangle that is read; for a matrix built symmetrically (a
    kernel matrix) it is the usual symmetric gradient.

    Raises:
        numpy.linalg.LinAlgError: a matrix is not positive definite.

    >>> import puregrad as pg
    >>> cholesky(pg.variable(np.array([[4.0, 2.0], [2.0, 2.0]]))).value
    array([[2., 0.],
           [1., 1.]])
    """
    _square_stack(a, "cholesky")
    if upper:
        lower = apply(CHOLESKY, (apply(MT, (a,), config),), config)
        return apply(MT, (lower,), config)
    return apply(CHOLESKY, (a,), config)


def eigh(a: Node[F] | NDArray[F], UPLO: Literal["L", "U"] = "L", *, config: Config | None = None) -> EighResult[F]:
    """Eigenvalues (ascending) and eigenvectors of each symmetric matrix, as
    `numpy.linalg.eigh`, read from its lower triangle (`UPLO="U"`: the upper one).

    Gradients need distinct eigenvalues where the eigenvectors are used (each eigenvector is
    defined up to its sign, so only functions that do not depend on the sign have one).

    >>> import puregrad as pg
    >>> eigh(pg.variable(np.array([[2.0, 1.0], [1.0, 2.0]]))).eigenvalues.value
    array([1., 3.])
    """
    _square_stack(a, "eigh")
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    packed = apply(Eigh(UPLO == "L"), (a,), config)
    return EighResult(apply(_EIGENVALUES, (packed,), config), apply(_EIGENVECTORS, (packed,), config))


@overload
def svd(
    a: Node[F] | NDArray[F],
    full_matrices: bool = True,
    compute_uv: Literal[True] = True,
    hermitian: bool = False,
    *,
    config: Config | None = None,
) -> SVDResult[F]: ...
@overload
def svd(
    a: Node[F] | NDArray[F],
    full_matrices: bool,
    compute_uv: Literal[False],
    hermitian: bool = False,
    *,
    config: Config | None = None,
) -> Node[F]: ...
@overload
def svd(
    a: Node[F] | NDArray[F],
    full_matrices: bool = True,
    *,
    compute_uv: Literal[False],
    hermitian: bool = False,
    config: Config | None = None,
) -> Node[F]: ...
def svd(
    a: Node[Any] | NDArray[Any],
    full_matrices: bool = True,
    compute_uv: bool = True,
    hermitian: bool = False,
    *,
    config: Config | None = None,
) -> SVDResult[Any] | Node[Any]:
    """The singular value decomposition `a = U @ (S[..., None] * Vh)` of each matrix, as
    `numpy.linalg.svd`, with singular values in descending order; with `compute_uv=False`
    only `S`.

    Only the reduced decomposition differentiates (`K = min(M, N)` columns of U and rows of
    Vh): `full_matrices` must be False unless the matrices are square (the extra columns
    numpy adds are any basis of a complement, with no derivative). Gradients of U and Vh
    need distinct nonzero singular values (each pair of singular vectors is defined up to a
    common sign); that of S alone needs nothing.

    Raises:
        ValueError: `full_matrices=True` with non-square matrices and `compute_uv=True`.

    >>> import puregrad as pg
    >>> svd(pg.variable(np.array([[3.0, 0.0], [0.0, -4.0]])), compute_uv=False).value
    array([4., 3.])
    """
    shape = _matrix_stack(a, "svd")
    m, n = shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise ValueError(
            f"svd: only the reduced decomposition differentiates, and shape {shape} is not "
            "square; pass full_matrices=False"
        )
    del hermitian  # numpy's shortcut for symmetric input: the same values either way
    packed = apply(SVD(m), (a,), config)
    s = apply(GetItem((Ellipsis, m, slice(None))), (packed,), config)
    if not compute_uv:
        return s
    u = apply(GetItem((Ellipsis, slice(None, m), slice(None))), (packed,), config)
    v = apply(GetItem((Ellipsis, slice(m + 1, None), slice(None))), (packed,), config)
    return SVDResult(u, s, apply(MT, (v,), config))


# norm ---------------------------------------------------------------------------------------

_NONZERO: Final = NonDifferentiable("nonzero", lambda x: np.not_equal(x, 0))

Ord: TypeAlias = float | Literal["fro", "nuc"] | None
"""numpy.linalg.norm's `ord`: None, an int or float (`inf`, `-inf` included), 'fro', 'nuc'."""


def _vector_norm(x: Any, ord: object, axis: tuple[int, ...] | None, keepdims: bool, config: Config | None) -> Node[Any]:
    def reduce(op: Callable[..., Node[Any]], y: Any) -> Node[Any]:
        return op(y, axis, keepdims, config=config)

    if ord is None or ord == 2:
        return apply(_SQRT, (reduce(_sum, apply(_MUL, (x, x), config)),), config)
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.integer, np.floating)):
        raise ValueError(f"norm: invalid ord {ord!r} for a vector norm")
    if ord == np.inf:
        return reduce(_max, apply(ABS, (x,), config))
    if ord == -np.inf:
        return reduce(_min, apply(ABS, (x,), config))
    if ord == 0:  # the number of nonzero entries: piecewise constant, no gradient
        count = np.sum(_NONZERO(x), axis=axis, keepdims=keepdims).astype(_dtype(x))
        return apply(_ADD, (apply(_MUL, (reduce(_sum, x), 0.0), config), count), config)
    if ord == 1:
        return reduce(_sum, apply(ABS, (x,), config))
    p = float(ord)
    total = reduce(_sum, apply(_POWER, (apply(ABS, (x,), config), p), config))
    return apply(_POWER, (total, 1.0 / p), config)


def _matrix_norm(x: Any, ord: object, axes: tuple[int, int], keepdims: bool, config: Config | None) -> Node[Any]:
    shape = shape_of(x)
    row, col = axes
    if row == col:
        raise ValueError(f"norm: duplicate axes {axes} for a matrix norm")
    order = tuple(k for k in range(len(shape)) if k not in axes) + (row, col)
    if order != tuple(range(len(shape))):
        x = apply(Transpose(order), (x,), config)
    if ord is None or ord == "fro":
        y = apply(_SQRT, (_sum(apply(_MUL, (x, x), config), (-2, -1), config=config),), config)
    elif ord == "nuc" or ord in (2, -2):
        s = svd(x, compute_uv=False, config=config)
        reduce = _sum if ord == "nuc" else _max if ord == 2 else _min
        y = reduce(s, -1, config=config)
    elif ord in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum of |x|; inf: the largest row sum.
        summed = -2 if ord in (1, -1) else -1
        sums = _sum(apply(ABS, (x,), config), summed, config=config)
        y = (_max if ord in (1, np.inf) else _min)(sums, -1, config=config)
    else:
        raise ValueError(f"norm: invalid ord {ord!r} for a matrix norm")
    if keepdims:
        kept = tuple(1 if k in axes else s for k, s in enumerate(shape))
        y = apply(Reshape(kept), (y,), config)
    return y


def norm(
    x: Node[F] | NDArray[F],
    ord: Ord = None,
    axis: int | tuple[int] | tuple[int, int] | None = None,
    keepdims: bool = False,
    *,
    config: Config | None = None,
) -> Node[F]:
    """A vector or matrix norm, as `numpy.linalg.norm`.

    With `axis` None: the 2-norm of all of `x` when `ord` is None, else the vector norm of a
    1-D `x` or the matrix norm of a 2-D one. An int axis (or a 1-tuple) takes vector norms
    along it; a pair takes matrix norms over those two axes (a stack of matrices).

    - vector `ord`: None or 2 (Euclidean), 1, `inf` and `-inf` (largest and smallest `|x|`),
      0 (the count of nonzeros: no gradient), any other p (`sum(|x|**p) ** (1/p)`);
    - matrix `ord`: None or 'fro' (Frobenius), 'nuc' (sum of singular values), 1 and -1
      (largest and smallest column sum of `|x|`), `inf` and `-inf` (row sums), 2 and -2
      (largest and smallest singular value).

    The gradient of the 2-norm is `x / norm` (not defined at 0); of the 1-norm `sign(x)`;
    extremes that tie share it evenly.

    Raises:
        ValueError: an invalid `ord` for the kind of norm, axes out of range, or an `ord`
            given for a value of more than two dimensions without `axis`.

    >>> import puregrad as pg
    >>> norm(pg.variable(np.array([3.0, -4.0]))).value
    array(5.)
    >>> norm(pg.variable(np.array([[1.0, -2.0], [3.0, 4.0]])), 1).value
    array(6.)
    """
    x = _operand(x, "norm")
    shape = shape_of(x)
    if axis is None:
        if ord is None:
            return _vector_norm(x, None, None, keepdims, config)
        if len(shape) == 1:
            return _vector_norm(x, ord, (0,), keepdims, config)
        if len(shape) == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims, config)
        raise ValueError(f"norm: ord={ord!r} needs axis for a value of shape {shape} (1-D or 2-D only)")
    items: tuple[object, ...] = axis if isinstance(axis, tuple) else (axis,)
    if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items):
        raise TypeError(f"norm: axis must be None, an int or a tuple of ints, got {axis!r}")
    try:
        axes = tuple(normalize_axis_index(int(a), len(shape)) for a in items)  # type: ignore[call-overload]  # ints, checked above
    except (ValueError, IndexError) as error:
        raise ValueError(f"norm: {error} (shape {shape})") from None
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims, config)
    if len(axes) == 2:
        return _matrix_norm(x, ord, (axes[0], axes[1]), keepdims, config)
    raise ValueError(f"norm: axis must name one or two axes, got {axis!r}")


def vector_norm(
    x: Node[F] | NDArray[F],
    /,
    *,
    axis: int | tuple[int, ...] | None = None,
    keepdims: bool = False,
    ord: float = 2,
    config: Config | None = None,
) -> Node[F]:
    """The vector norm over `axis` (all axes when None, whatever the dimensions), as
    `numpy.linalg.vector_norm`; `ord` as in `norm` for vectors.

    >>> import puregrad as pg
    >>> vector_norm(pg.variable(np.array([[3.0, 0.0], [0.0, -4.0]]))).value
    array(5.)
    """
    x = _operand(x, "vector_norm")
    return _vector_norm(x, ord, _reduce_axes(x, axis, "vector_norm"), keepdims, config)


def matrix_norm(
    x: Node[F] | NDArray[F],
    /,
    *,
    keepdims: bool = False,
    ord: Ord = "fro",
    config: Config | None = None,
) -> Node[F]:
    """The matrix norm of each matrix of a stack `(..., M, N)`, as
    `numpy.linalg.matrix_norm`; `ord` as in `norm` for matrices.

    >>> import puregrad as pg
    >>> matrix_norm(pg.variable(np.ones((2, 3, 3))), ord="nuc").value
    array([3., 3.])
    """
    x = _operand(x, "matrix_norm")
    ndim = len(_matrix_stack(x, "matrix_norm"))
    return _matrix_norm(x, ord, (ndim - 2, ndim - 1), keepdims, config)


def svdvals(x: Node[F] | NDArray[F], /, *, config: Config | None = None) -> Node[F]:
    """The singular values of each matrix, descending, as `numpy.linalg.svdvals`
    (`svd(x, compute_uv=False)`).

    >>> import puregrad as pg
    >>> svdvals(pg.variable(np.diag([1.0, -3.0]))).value
    array([3., 1.])
    """
    return svd(x, compute_uv=False, config=config)


def _reduce_axes(x: object, axis: object, op: str) -> tuple[int, ...] | None:
    if axis is None:
        return None
    items: tuple[object, ...] = axis if isinstance(axis, tuple) else (axis,)
    if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in items):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    try:
        return normalize_axis_tuple(tuple(int(a) for a in items), len(shape_of(x)))  # type: ignore[call-overload]  # ints, checked above
    except (ValueError, IndexError) as error:
        raise ValueError(f"{op}: {error} (shape {shape_of(x)})") from None
