"""Convolution and pooling on NCHW images: conv2d, conv_transpose2d, max_pool2d, avg_pool2d,
im2col and col2im.

Shapes are NCHW, as in DeZero and PyTorch, and every op equals the `torch.nn.functional` op
of the same meaning. Inside, the work is done channels-last: an image `(N, C, H, W)` is read
through its `(N, H, W, C)` view, the windows of a convolution become one column matrix
`(N OH OW, KH KW C)` (`sliding_window_view`, then one copy), and the convolution is one
matmul. Results are stored channels-last too and handed out as their NCHW view, so a chain
conv, relu, pool, conv never converts layouts: the next op's channels-last view of it is
free.

The ops close on themselves under differentiation, as DeZero's do: the gradient of
`conv2d` is a `conv_transpose2d` (for `x`) and a `Conv2dGradW` (for `W`), and those
differentiate into `conv2d`, `conv_transpose2d` and `Conv2dGradW` again; `im2col` and
`col2im` are each other's gradient; pooling's gradient scatters (max: to the first maximal
element of each window, as PyTorch) and its gradient gathers back.

Memory: a recorded `conv2d` saves its column matrix (a residual, see `Op.saves`: made once,
read-only), so the weight gradient is one matmul with it, as numpy by hand keeps its columns;
max-pooling saves the place of each window's maximum, so its gradient never reads `x`; the input
gradient adds one small matmul per kernel tap into the image and never builds a column
buffer. So a convolution's backward holds one column buffer, the recorded one. No op keeps
state between calls.
"""

from __future__ import annotations

import math
from typing import Any, Final, TypeAlias

import attrs
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node, shape_of
from puregrad.op import Array, Op, apply
from puregrad.ops.shape import BroadcastTo, Reshape

__all__ = [
    "AvgPool2d",
    "ChannelSum",
    "Col2im",
    "Conv2d",
    "Conv2dGradW",
    "ConvTranspose2d",
    "Im2col",
    "MaxPool2d",
    "Pair",
    "avg_pool2d",
    "col2im",
    "conv2d",
    "conv_transpose2d",
    "im2col",
    "max_pool2d",
]

Pair: TypeAlias = int | tuple[int, int]
"""A size in both spatial directions: one int for both, or `(height, width)`."""

P2: TypeAlias = tuple[int, int]


def _pair(value: object, what: str, op: str, minimum: int) -> P2:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{op}: {what} must be at least {minimum}, got {value!r}")
    return pair


def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _check_4d(shape: tuple[int, ...], what: str, op: str) -> None:
    if len(shape) != 4:
        raise ValueError(f"{op}: {what} must be 4-D ({_NAMES[what]}), got shape {shape}")


_NAMES = {"x": "N, C, H, W", "W": "OC, C, KH, KW", "col": "N, C KH KW, OH OW"}


def _check_window(
    shape: tuple[int, ...], kernel: P2, stride: P2, pad: P2, op: str, what: str = "kernel"
) -> P2:
    """The output size of windows `kernel` over the padded `shape[2:]`, or ValueError."""
    H, W = shape[2], shape[3]
    if H + 2 * pad[0] < kernel[0] or W + 2 * pad[1] < kernel[1]:
        raise ValueError(
            f"{op}: {what} {kernel} is larger than the padded input ({H + 2 * pad[0]}, "
            f"{W + 2 * pad[1]}) (input shape {shape}, pad {pad})"
        )
    return _out_size(H, kernel[0], stride[0], pad[0]), _out_size(W, kernel[1], stride[1], pad[1])


# Channels-last helpers on plain arrays ---------------------------------------------------------


def _nhwc(x: Any) -> Any:
    """The `(N, H, W, C)` view of an NCHW array (free when it is stored channels-last)."""
    return x.transpose(0, 2, 3, 1)


def _nchw(y: Any) -> Any:
    """A fresh channels-last result `(N, H, W, C)` as its NCHW view. `apply` stores the view
    as it is, not copied: the buffer is the op's own (see `op._private_base`)."""
    return y.transpose(0, 3, 1, 2)


def _padded(x: Any, pad: P2, fill: float = 0.0) -> Any:
    """`x` (NCHW) padded by `pad` in H and W, as an `(N, H', W', C)` array (a view when there
    is no padding)."""
    t = _nhwc(x)
    if pad == (0, 0):
        return t
    N, H, W, C = t.shape
    shape = (N, H + 2 * pad[0], W + 2 * pad[1], C)
    out = np.zeros(shape, t.dtype) if fill == 0 else np.full(shape, fill, t.dtype)
    out[:, pad[0] : pad[0] + H, pad[1] : pad[1] + W, :] = t
    return out


def _windows(xp: Any, kernel: P2, stride: P2, out: P2) -> Any:
    """The windows of a padded `(N, H', W', C)` array: a view `(N, OH, OW, KH, KW, C)`."""
    view = sliding_window_view(xp, kernel, axis=(1, 2))  # (N, H'', W'', C, KH, KW)
    view = view[:, : stride[0] * (out[0] - 1) + 1 : stride[0], : stride[1] * (out[1] - 1) + 1 : stride[1]]
    return view.transpose(0, 1, 2, 4, 5, 3)


def _columns(x: Any, kernel: P2, stride: P2, pad: P2, out: P2) -> Any:
    """The column matrix `(N OH OW, KH KW C)` of `x` (NCHW): one copy of its windows.

    The copy moves contiguous runs of one window row, `KW C` elements. Where that is under
    a cache line (a first layer's one or two channels: 3 or 6 floats), it is made
    tap-major instead, `(KH KW C, N OH OW)`, moving runs of a whole output row, and handed
    out as its transpose: the same matrix, in column-major order, which matmul reads as
    fast (for 1 channel the copy is 5x faster)."""
    N, C = x.shape[0], x.shape[1]
    windows = _windows(_padded(x, pad), kernel, stride, out)  # (N, OH, OW, KH, KW, C)
    rows, width = N * out[0] * out[1], kernel[0] * kernel[1] * C
    if kernel[1] * C * x.itemsize < 64:
        return windows.transpose(3, 4, 5, 0, 1, 2).reshape(width, rows).T
    return windows.reshape(rows, width)


def _weight_rows(W: Any) -> Any:
    """`W` `(OC, C, KH, KW)` as the matrix `(OC, KH KW C)` matching `_columns`."""
    return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)


def _fold(
    cols: Any, size: P2, kernel: P2, stride: P2, pad: P2
) -> Any:
    """Sum windows `cols` `(N, OH, OW, KH, KW, C)` back into an image of `size`, as a
    channels-last `(N, H, W, C)` array (the adjoint of `_windows`)."""
    N, OH, OW, KH, KW, C = cols.shape
    H, W = size
    out = np.zeros((N, H + 2 * pad[0], W + 2 * pad[1], C), dtype=cols.dtype)
    for i in range(KH):
        rows = slice(i, i + stride[0] * (OH - 1) + 1, stride[0])
        for j in range(KW):
            out[:, rows, j : j + stride[1] * (OW - 1) + 1 : stride[1], :] += cols[:, :, :, i, j, :]
    if pad != (0, 0):  # a view of the padded image (stored as it is: see `_nchw`)
        out = out[:, pad[0] : pad[0] + H, pad[1] : pad[1] + W, :]
    return out


# Convolution ----------------------------------------------------------------------------------


def _conv_columns(x: Any, W: Any, b: Any, stride: P2, pad: P2, op: str) -> Any:
    """Check the operands of a convolution (arrays) and give the column matrix of `x`."""
    xs, ws = x.shape, W.shape
    _check_4d(xs, "x", op)
    _check_4d(ws, "W", op)
    if xs[1] != ws[1]:
        raise ValueError(
            f"{op}: x has {xs[1]} channels but W expects {ws[1]} (x shape {xs}, W shape {ws})"
        )
    if b is not None:
        _check_bias(b, ws[0], op)
    kernel = (ws[2], ws[3])
    return _columns(x, kernel, stride, pad, _check_window(xs, kernel, stride, pad, op))


def _add_bias(y: Any, b: Any) -> Any:
    """`y + b`, in place when that keeps numpy's result dtype (`y` is the op's own array)."""
    if np.result_type(y, b) == y.dtype:
        y += b
        return y
    return y + b


def _placed(n: int, k: int, stride: int, pad: int, size: int) -> tuple[slice, slice] | None:
    """Where kernel place `k` sends the inputs `0..n-1` of one axis: input `h` lands on
    output `h S + k - P`; gives the inputs that land inside `0..size-1` and the outputs
    they land on (None: none do)."""
    low = max(0, -((k - pad) // stride))  # the first h with h S + k - P >= 0
    high = min(n - 1, (size - 1 + pad - k) // stride)
    if high < low:
        return None
    start = low * stride + k - pad
    return slice(low, high + 1), slice(start, start + (high - low) * stride + 1, stride)


def _spread(rows: Any, taps: Any, grid: tuple[int, int, int], size: P2, stride: P2, pad: P2) -> Any:
    """The transposed convolution on channels-last rows `(N H W, C)` with taps
    `(KH, KW, C, OC)`: each tap's product `rows @ taps[i, j]` added into its window place of
    a `(N, OH, OW, OC)` image, one tap at a time (so no column buffer is ever made), the
    padding cut off as it is added (so the result is contiguous)."""
    N, H, W = grid
    KH, KW, _, OC = taps.shape
    out = np.zeros((N, size[0], size[1], OC), dtype=np.result_type(rows, taps))
    for i in range(KH):
        r = _placed(H, i, stride[0], pad[0], size[0])
        if r is None:
            continue
        for j in range(KW):
            c = _placed(W, j, stride[1], pad[1], size[1])
            if c is None:
                continue
            product = (rows @ taps[i, j]).reshape(N, H, W, OC)
            out[:, r[1], c[1], :] += product[:, r[0], c[0], :]
    return out


def _check_bias(b: Any, channels: int, op: str) -> None:
    if np.shape(b) != (channels,):
        raise ValueError(f"{op}: b must have shape ({channels},), got {np.shape(b)}")


@attrs.frozen
class ChannelSum(Op):
    """`sum(x, axis=(0, 2, 3))` of an NCHW `x`: the gradient of a convolution's bias, summed
    over the channels-last rows in long runs when they are contiguous."""

    name = "channel_sum"

    def forward(self, *xs: Any) -> Any:
        x = np.asarray(xs[0])
        t = _nhwc(x)
        if t.flags.c_contiguous and t.size:
            # Summing (M, C) down axis 0 runs an inner loop of C; as (M / k, k C) the loop
            # is k times longer (8x faster for C = 8), then k rows of C are added.
            C = t.shape[3]
            M = t.size // C
            k = math.gcd(M, 64)
            return t.reshape(M // k, k * C).sum(axis=0).reshape(k, C).sum(axis=0)
        return np.sum(x, axis=(0, 2, 3))

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        shape = shape_of(xs[0])
        return BroadcastTo(shape)(Reshape((1, shape[1], 1, 1))(gy))


CHANNEL_SUM: Final = ChannelSum()


@attrs.frozen
class Conv2d(Op):
    """`conv2d(x, W[, b])`: one matmul of the column matrix of `x`. Recorded, it saves the
    columns (`forward_saving`), so the weight gradient is one matmul with them instead of
    a second copy of the windows. Its gradients are `conv_transpose2d` (x), `Conv2dGradW`
    (W) and a channel sum (b)."""

    name = "conv2d"
    stride: P2
    pad: P2
    saves = True

    def forward(self, *xs: Any) -> Any:
        return self.forward_saving(*xs)[0]

    def forward_saving(self, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
        x, W = np.asarray(xs[0]), np.asarray(xs[1])
        b = xs[2] if len(xs) == 3 else None
        cols = _conv_columns(x, W, b, self.stride, self.pad, self.name)
        y = cols @ _weight_rows(W).T  # (N OH OW, OC)
        if b is not None:
            y = _add_bias(y, b)
        OW = _out_size(x.shape[3], W.shape[3], self.stride[1], self.pad[1])
        return _nchw(y.reshape(x.shape[0], -1, OW, W.shape[0])), (cols,)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x, W, cols = xs[0], xs[1], xs[-1]  # the columns saved after the operands
        if i == 0:
            H, Wd = shape_of(x)[2:]
            return ConvTranspose2d(self.stride, self.pad, (H, Wd))(gy, W)
        if i == 1:
            KH, KW = shape_of(W)[2:]
            return Conv2dGradW((KH, KW), self.stride, self.pad)(x, gy, cols)
        return CHANNEL_SUM(gy)


@attrs.frozen
class Conv2dGradW(Op):
    """The gradient of `conv2d` for its weight: `(x, gy[, cols]) -> gW` `(OC, C, KH, KW)`,
    `gW[o, c, i, j] = sum over n, p, q of gy[n, o, p, q] x_padded[n, c, p S + i, q S + j]`.
    Linear in each input: its gradients are `conv_transpose2d` (x) and `conv2d` (gy). The
    optional `cols` are the columns of `x` when the caller has them (no gradient)."""

    name = "conv2d_grad_w"
    kernel: P2
    stride: P2
    pad: P2

    def forward(self, *xs: Any) -> Any:
        x, gy = np.asarray(xs[0]), np.asarray(xs[1])
        N, OC, OH, OW = gy.shape
        if len(xs) == 3:  # the columns of x, made by the forward of conv2d
            cols = xs[2]
        else:
            cols = _columns(x, self.kernel, self.stride, self.pad, (OH, OW))
        g = _nhwc(gy).reshape(N * OH * OW, OC)
        gW = (g.T @ cols).reshape(OC, self.kernel[0], self.kernel[1], -1)
        return _nchw(gW)  # (OC, C, KH, KW), stored as (OC, KH, KW, C)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x, g = xs[0], xs[1]
        if i == 0:
            H, W = shape_of(x)[2:]
            return ConvTranspose2d(self.stride, self.pad, (H, W))(g, gy)
        if i == 1:
            return Conv2d(self.stride, self.pad)(x, gy)
        return None


def _transpose_size(op: str, size: P2, kernel: P2, stride: P2, pad: P2, out_size: P2 | None) -> P2:
    default = tuple(s * (n - 1) + k - 2 * p for n, k, s, p in zip(size, kernel, stride, pad))
    if out_size is None:
        result = (default[0], default[1])
    else:
        if not all(d <= o < d + s for d, o, s in zip(default, out_size, stride)):
            raise ValueError(
                f"{op}: out_size {out_size} cannot be mapped back to the input size {size} "
                f"by conv2d (kernel {kernel}, stride {stride}, pad {pad}); it must be between "
                f"{tuple(default)} and {tuple(d + s - 1 for d, s in zip(default, stride))}"
            )
        result = out_size
    if min(result) < 1:
        raise ValueError(
            f"{op}: the output size {result} is empty (input size {size}, kernel {kernel}, "
            f"stride {stride}, pad {pad})"
        )
    return result


@attrs.frozen
class ConvTranspose2d(Op):
    """`conv_transpose2d(x, W[, b])`: the adjoint of conv2d in `x`. Its gradients are
    `conv2d` (x) and `Conv2dGradW` (W)."""

    name = "conv_transpose2d"
    stride: P2
    pad: P2
    out_size: P2 | None

    def forward(self, *xs: Any) -> Any:
        x, W = np.asarray(xs[0]), np.asarray(xs[1])
        b = xs[2] if len(xs) == 3 else None
        op = self.name
        xs_, ws = x.shape, W.shape
        _check_4d(xs_, "x", op)
        _check_4d(ws, "W", op)
        if xs_[1] != ws[0]:
            raise ValueError(
                f"{op}: x has {xs_[1]} channels but W expects {ws[0]} (x shape {xs_}, W shape {ws})"
            )
        kernel = (ws[2], ws[3])
        N, C, H, Wd = xs_
        OC = ws[1]
        size = _transpose_size(op, (H, Wd), kernel, self.stride, self.pad, self.out_size)
        y = _spread(_nhwc(x).reshape(N * H * Wd, C), W.transpose(2, 3, 0, 1), (N, H, Wd), size, self.stride, self.pad)
        if b is not None:
            _check_bias(b, OC, op)
            y = _add_bias(y, b)
        return _nchw(y)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        x, W = xs[0], xs[1]
        if i == 0:
            return Conv2d(self.stride, self.pad)(gy, W)
        if i == 1:
            KH, KW = shape_of(W)[2:]
            return Conv2dGradW((KH, KW), self.stride, self.pad)(gy, x)
        return CHANNEL_SUM(gy)


def conv2d(
    x: Node[F] | NDArray[F],
    W: Node[F] | NDArray[F],
    b: Node[F] | NDArray[F] | None = None,
    *,
    stride: Pair = 1,
    pad: Pair = 0,
    config: Config | None = None,
) -> Node[F]:
    """The 2-D convolution (cross-correlation) of a batch of images, as `F.conv2d`.

    Args:
        x: images `(N, C, H, W)`.
        W: filters `(OC, C, KH, KW)`.
        b: a bias `(OC,)`, or None.
        stride, pad: an int or a pair `(height, width)`; the input is padded with zeros.

    Returns:
        `(N, OC, OH, OW)` with `OH = (H + 2 PH - KH) // SH + 1` (and so for the width).

    Raises:
        ValueError: a non-4-D `x` or `W`, a channel mismatch, a kernel larger than the
            padded input, a bias of the wrong shape (the message names the shapes).

    >>> import puregrad as pg
    >>> x = pg.variable(np.ones((1, 1, 3, 3)))
    >>> conv2d(x, np.ones((2, 1, 2, 2)), np.array([0.0, 1.0])).value[:, :, 0, 0]
    array([[4., 5.]])
    """
    s, p = _pair(stride, "stride", "conv2d", 1), _pair(pad, "pad", "conv2d", 0)
    return apply(Conv2d(s, p), (x, W) if b is None else (x, W, b), config)


def conv_transpose2d(
    x: Node[F] | NDArray[F],
    W: Node[F] | NDArray[F],
    b: Node[F] | NDArray[F] | None = None,
    *,
    stride: Pair = 1,
    pad: Pair = 0,
    out_size: Pair | None = None,
    config: Config | None = None,
) -> Node[F]:
    """The transposed convolution (DeZero's `deconv2d`), as `F.conv_transpose2d`: the
    gradient of `conv2d` for its input.

    Args:
        x: `(N, C, H, W)`.
        W: `(C, OC, KH, KW)`.
        b: a bias `(OC,)`, or None.
        stride, pad: as `conv2d`'s.
        out_size: `(OH, OW)`, one of the sizes `conv2d` maps back to `(H, W)`; None gives
            `OH = SH (H - 1) + KH - 2 PH` (PyTorch's `output_padding = out_size - that`).

    Raises:
        ValueError: a non-4-D input, a channel mismatch, an `out_size` that conv2d cannot
            map back to `(H, W)`.

    >>> import puregrad as pg
    >>> conv_transpose2d(pg.variable(np.ones((1, 1, 2, 2))), np.ones((1, 1, 2, 2)), stride=2).shape
    (1, 1, 4, 4)
    """
    who = "conv_transpose2d"
    size = None if out_size is None else _pair(out_size, "out_size", who, 1)
    op = ConvTranspose2d(_pair(stride, "stride", who, 1), _pair(pad, "pad", who, 0), size)
    return apply(op, (x, W) if b is None else (x, W, b), config)


# im2col and col2im (NCHW, as F.unfold and F.fold) -----------------------------------------------


@attrs.frozen
class Im2col(Op):
    """`(N, C, H, W) -> (N, C KH KW, OH OW)`; its gradient is `col2im`."""

    name = "im2col"
    kernel: P2
    stride: P2
    pad: P2

    def forward(self, *xs: Any) -> Any:
        x = np.asarray(xs[0])
        _check_4d(x.shape, "x", self.name)
        out = _check_window(x.shape, self.kernel, self.stride, self.pad, self.name)
        windows = _windows(_padded(x, self.pad), self.kernel, self.stride, out)
        # (N, OH, OW, KH, KW, C) -> (N, C, KH, KW, OH, OW), as F.unfold orders them
        N, C = x.shape[:2]
        return windows.transpose(0, 5, 3, 4, 1, 2).reshape(N, C * self.kernel[0] * self.kernel[1], -1)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        H, W = shape_of(xs[0])[2:]
        return Col2im((H, W), self.kernel, self.stride, self.pad)(gy)


@attrs.frozen
class Col2im(Op):
    """`(N, C KH KW, OH OW) -> (N, C, H, W)`, summing overlaps; its gradient is `im2col`."""

    name = "col2im"
    size: P2
    kernel: P2
    stride: P2
    pad: P2

    def forward(self, *xs: Any) -> Any:
        col = np.asarray(xs[0])
        shape = col.shape
        if len(shape) != 3:
            raise ValueError(f"{self.name}: col must be 3-D (N, C KH KW, OH OW), got shape {shape}")
        KH, KW = self.kernel
        out = _check_window((0, 0, *self.size), self.kernel, self.stride, self.pad, self.name)
        if shape[1] % (KH * KW) or shape[2] != out[0] * out[1]:
            raise ValueError(
                f"{self.name}: col of shape {shape} does not fit size {self.size} with kernel "
                f"{self.kernel}, stride {self.stride}, pad {self.pad}: expected (N, C * "
                f"{KH * KW}, {out[0] * out[1]})"
            )
        N, C = shape[0], shape[1] // (KH * KW)
        cols = col.reshape(N, C, KH, KW, out[0], out[1]).transpose(0, 4, 5, 2, 3, 1)
        return _nchw(_fold(cols, self.size, self.kernel, self.stride, self.pad))

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return Im2col(self.kernel, self.stride, self.pad)(gy)


def im2col(
    x: Node[F] | NDArray[F],
    kernel: Pair,
    *,
    stride: Pair = 1,
    pad: Pair = 0,
    config: Config | None = None,
) -> Node[F]:
    """The sliding windows of `x` `(N, C, H, W)` as columns `(N, C KH KW, OH OW)`, as
    `F.unfold` (row index `c KH KW + i KW + j`, column `p OW + q`).

    >>> import puregrad as pg
    >>> im2col(pg.variable(np.arange(9.0).reshape(1, 1, 3, 3)), 2).value[0]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    """
    who = "im2col"
    op = Im2col(_pair(kernel, "kernel", who, 1), _pair(stride, "stride", who, 1), _pair(pad, "pad", who, 0))
    return apply(op, (x,), config)


def col2im(
    col: Node[F] | NDArray[F],
    size: Pair,
    kernel: Pair,
    *,
    stride: Pair = 1,
    pad: Pair = 0,
    config: Config | None = None,
) -> Node[F]:
    """Columns `(N, C KH KW, OH OW)` summed back into images `(N, C, H, W)` of `size`
    `(H, W)`, as `F.fold` (the adjoint of `im2col`: overlapping windows add up).

    >>> import puregrad as pg
    >>> col2im(pg.variable(np.ones((1, 4, 4))), (3, 3), 2).value[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    who = "col2im"
    op = Col2im(
        _pair(size, "size", who, 1),
        _pair(kernel, "kernel", who, 1),
        _pair(stride, "stride", who, 1),
        _pair(pad, "pad", who, 0),
    )
    return apply(op, (col,), config)


# Pooling ------------------------------------------------------------------------------------------


@attrs.frozen
class _Pool:
    """A pooling window: kernel, stride and pad, checked against an input."""

    kernel: P2
    stride: P2
    pad: P2

    def out(self, shape: tuple[int, ...], op: str) -> P2:
        _check_4d(shape, "x", op)
        return _check_window(shape, self.kernel, self.stride, self.pad, op, "window")

    def offsets(self, out: P2) -> list[tuple[int, int, tuple[slice, slice]]]:
        """Each place `(i, j)` in the window, with the slices of the padded image it reads."""
        (KH, KW), (SH, SW) = self.kernel, self.stride
        return [
            (i, j, (slice(i, i + SH * (out[0] - 1) + 1, SH), slice(j, j + SW * (out[1] - 1) + 1, SW)))
            for i in range(KH)
            for j in range(KW)
        ]


def _first_places(views: list[Any], y: Any) -> Any:
    """For each window, the place of its first maximum `y` (row-major in the window, as
    PyTorch; a nan counts as the maximum): `(N, OH, OW, C)` indices, from the windows'
    `views` at each place. The place is the number of places before the first maximum, so
    it is summed from a running "not found yet" mask."""
    dtype = np.uint8 if len(views) <= 256 else np.intp
    if len(views) == 1:
        return np.zeros(y.shape, dtype)
    # Whether y holds a nan, in one pass and no temporary: a finite sum means no nan (an
    # inf or an overflow merely takes the nan-aware path, which is right in any case).
    with np.errstate(over="ignore", invalid="ignore"):
        nan = not np.isfinite(np.sum(y))
    missed = None
    places = None
    for v in views[:-1]:  # past the last place the first maximum is always found
        miss = np.not_equal(v, y)
        if nan:  # where y is nan, v != y holds for a nan v too
            miss &= np.logical_not(np.isnan(v))
        if missed is None:
            missed = miss
            places = miss.astype(dtype)
        else:
            missed &= miss
            places += missed.view(np.uint8) if dtype is np.uint8 else missed
    return places


@attrs.frozen
class MaxPool2d(Op):
    """The maximum over each window. Recorded, it saves the place of each window's first
    maximum (`_first_places`, one byte per output element, found while the windows are in
    cache), so its gradient never reads `x` again."""

    name = "max_pool2d"
    pool: _Pool
    saves = True

    def _windows(self, x: Any) -> tuple[list[Any], Any]:
        out = self.pool.out(x.shape, self.name)
        xp = _padded(x, self.pool.pad, -np.inf)
        views = [xp[:, rows, cols, :] for _, _, (rows, cols) in self.pool.offsets(out)]
        if len(views) == 1:
            return views, views[0].copy()
        y = np.maximum(views[0], views[1])
        for v in views[2:]:
            np.maximum(y, v, out=y)
        return views, y

    def forward(self, *xs: Any) -> Any:
        return _nchw(self._windows(np.asarray(xs[0]))[1])

    def forward_saving(self, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
        views, y = self._windows(np.asarray(xs[0]))
        return _nchw(y), (_first_places(views, y),)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        H, W = shape_of(xs[0])[2:]
        return MaxPoolScatter(self.pool, (H, W))(gy, xs[1])


@attrs.frozen
class MaxPoolScatter(Op):
    """`(gy, places) -> gx`: each window's gradient sent to the place of its first maximum
    (`places`, saved by `max_pool2d`), in an image of `size`. Linear in `gy`: its gradient
    is `MaxPoolGather`."""

    name = "max_pool2d_grad"
    pool: _Pool
    size: P2

    def forward(self, *xs: Any) -> Any:
        gy, places = np.asarray(xs[0]), xs[1]
        g = _nhwc(gy)
        if not g.flags.c_contiguous:  # read once per place below: make it channels-last once
            g = np.ascontiguousarray(g)
        pool = self.pool
        N, OH, OW, C = g.shape
        (H, W), (PH, PW) = self.size, pool.pad
        disjoint = all(k <= s for k, s in zip(pool.kernel, pool.stride))
        # Windows that tile the image exactly write every element once: no zeros needed.
        tiled = pool.kernel == pool.stride and (PH, PW) == (0, 0) and (H, W) == (OH * pool.kernel[0], OW * pool.kernel[1])
        shape = (N, H + 2 * PH, W + 2 * PW, C)
        gx = np.empty(shape, dtype=g.dtype) if tiled else np.zeros(shape, dtype=g.dtype)
        for k, (_, _, (rows, cols)) in enumerate(pool.offsets((OH, OW))):
            hit = np.equal(places, k)
            if disjoint:  # each place is written once: straight into it
                np.multiply(g, hit, out=gx[:, rows, cols, :])
            else:
                gx[:, rows, cols, :] += np.multiply(g, hit, dtype=g.dtype)
        if (PH, PW) != (0, 0):
            gx = gx[:, PH : PH + H, PW : PW + W, :]
        return _nchw(gx)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return MaxPoolGather(self.pool)(gy, xs[1]) if i == 0 else None


@attrs.frozen
class MaxPoolGather(Op):
    """`(g, places) -> ` each window's element of the image `g` at the place of its first
    maximum. Linear in `g`: its gradient is `MaxPoolScatter`."""

    name = "max_pool2d_gather"
    pool: _Pool

    def forward(self, *xs: Any) -> Any:
        g, places = np.asarray(xs[0]), xs[1]
        gp = _padded(g, self.pool.pad)
        out = np.zeros(places.shape, dtype=g.dtype)
        for k, (_, _, (rows, cols)) in enumerate(self.pool.offsets(places.shape[1:3])):
            out += np.multiply(gp[:, rows, cols, :], np.equal(places, k), dtype=g.dtype)
        return _nchw(out)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        H, W = shape_of(xs[0])[2:]
        return MaxPoolScatter(self.pool, (H, W))(gy, xs[1]) if i == 0 else None


@attrs.frozen
class AvgPool2d(Op):
    """The mean over each window, zero padding counted (`F.avg_pool2d`); linear, its
    gradient is `AvgPoolTranspose`."""

    name = "avg_pool2d"
    pool: _Pool

    def forward(self, *xs: Any) -> Any:
        x = np.asarray(xs[0])
        out = self.pool.out(x.shape, self.name)
        xp = _padded(x, self.pool.pad)
        y = None
        for _, _, (rows, cols) in self.pool.offsets(out):
            v = xp[:, rows, cols, :]
            y = v.copy() if y is None else np.add(y, v, out=y)
        assert y is not None
        y *= 1.0 / (self.pool.kernel[0] * self.pool.kernel[1])
        return _nchw(y)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        H, W = shape_of(xs[0])[2:]
        return AvgPoolTranspose(self.pool, (H, W))(gy)


@attrs.frozen
class AvgPoolTranspose(Op):
    """Each window's value spread evenly over it, into an image of `size`: the adjoint of
    `avg_pool2d` (its gradient)."""

    name = "avg_pool2d_grad"
    pool: _Pool
    size: P2

    def forward(self, *xs: Any) -> Any:
        g = _nhwc(np.asarray(xs[0]))
        N, OH, OW, C = g.shape
        (KH, KW), (PH, PW) = self.pool.kernel, self.pool.pad
        H, W = self.size
        share = np.multiply(g, 1.0 / (KH * KW), dtype=g.dtype)
        gx = np.zeros((N, H + 2 * PH, W + 2 * PW, C), dtype=g.dtype)
        for _, _, (rows, cols) in self.pool.offsets((OH, OW)):
            gx[:, rows, cols, :] += share
        if (PH, PW) != (0, 0):
            gx = gx[:, PH : PH + H, PW : PW + W, :]
        return _nchw(gx)

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        return AvgPool2d(self.pool)(gy)


def _pool(op: str, kernel: Pair, stride: Pair | None, pad: Pair) -> _Pool:
    k = _pair(kernel, "kernel", op, 1)
    s = k if stride is None else _pair(stride, "stride", op, 1)
    p = _pair(pad, "pad", op, 0)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{op}: pad {p} must be at most half the window {k}")
    return _Pool(k, s, p)


def max_pool2d(
    x: Node[F] | NDArray[F],
    kernel: Pair,
    *,
    stride: Pair | None = None,
    pad: Pair = 0,
    config: Config | None = None,
) -> Node[F]:
    """The maximum over each window, as `F.max_pool2d`: padding is `-inf`, the stride
    defaults to the window, and the gradient goes to the first maximal element of each
    window (row-major), as PyTorch's.

    Raises:
        ValueError: a non-4-D input, a window larger than the padded input, or a pad above
            half the window (as PyTorch).

    >>> import puregrad as pg
    >>> max_pool2d(pg.variable(np.arange(16.0).reshape(1, 1, 4, 4)), 2).value
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    return apply(MaxPool2d(_pool("max_pool2d", kernel, stride, pad)), (x,), config)


def avg_pool2d(
    x: Node[F] | NDArray[F],
    kernel: Pair,
    *,
    stride: Pair | None = None,
    pad: Pair = 0,
    config: Config | None = None,
) -> Node[F]:
    """The mean over each window, as `F.avg_pool2d` (zero padding counted in the mean; the
    stride defaults to the window).

    Raises:
        ValueError: as `max_pool2d`.

    >>> import puregrad as pg
    >>> avg_pool2d(pg.variable(np.arange(16.0).reshape(1, 1, 4, 4)), 2).value
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    return apply(AvgPool2d(_pool("avg_pool2d", kernel, stride, pad)), (x,), config)
