"""Convolution and pooling: conv2d, conv_transpose2d, im2col, col2im, max_pool2d, avg_pool2d.

Against central finite differences in float64 on several kernel, stride and pad shapes
(non-square kernels, stride 2, b=None), second order for the convolutions, exact values
where they are known, the errors, and what a convolution's backward holds in memory.
(tests/ops/test_conv_torch.py compares values and gradients with PyTorch when it is there.)
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

# (N, C, H, W), (OC, KH, KW), stride, pad: square and non-square kernels, stride 1 and 2,
# pads that do and do not cover the last row.
CASES = [
    ((2, 2, 5, 5), (3, 3, 3), 1, 0),
    ((1, 2, 6, 5), (2, 3, 2), 2, 1),
    ((2, 1, 5, 7), (2, 2, 3), (2, 1), (0, 1)),
    ((1, 3, 4, 4), (2, 1, 1), 1, 0),
]


def _naive_conv(x: Any, W: Any, stride: tuple[int, int], pad: tuple[int, int]) -> Any:
    """The definition, loop by loop."""
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    OH = (H + 2 * pad[0] - KH) // stride[0] + 1
    OW = (Wd + 2 * pad[1] - KW) // stride[1] + 1
    y = np.zeros((N, OC, OH, OW))
    for p in range(OH):
        for q in range(OW):
            window = xp[:, :, p * stride[0] : p * stride[0] + KH, q * stride[1] : q * stride[1] + KW]
            y[:, :, p, q] = np.einsum("nchw,ochw->no", window, W)
    return y


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize("channels", [1, 2, 3, 5, 6, 8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_and_its_weight_gradient_in_both_column_layouts(channels: int, dtype: Any) -> None:
    """Few channels take tap-major columns (a window row under a cache line: float64 up to 2
    channels, float32 up to 5), the rest row-major: the values and the weight gradient equal
    the definition either way, with stride and padding."""
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((2, channels, 7, 6)).astype(dtype)
    W = rng.standard_normal((3, channels, 3, 3)).astype(dtype)
    g = rng.standard_normal((2, 3, 4, 3)).astype(dtype)
    Wv = pg.variable(W)
    y = pg.conv2d(x, Wv, stride=2, pad=1)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.value, _naive_conv(x.astype(np.float64), W.astype(np.float64), (2, 2), (1, 1)), rtol=rtol, atol=rtol)
    gW = pg.backward(y, seed=g)[Wv].value
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros(W.shape)
    for i, j in np.ndindex(3, 3):  # gW[o, c, i, j] = sum of g[n, o, p, q] xp[n, c, 2p + i, 2q + j]
        expected[:, :, i, j] = np.einsum("nopq,ncpq->oc", g.astype(np.float64), xp[:, :, i : i + 7 : 2, j : j + 5 : 2])
    assert gW.dtype == dtype
    np.testing.assert_allclose(gW, expected, rtol=rtol, atol=rtol)
    columns = y.inputs[2]  # recorded once, read-only, in whichever layout
    assert isinstance(columns, np.ndarray) and not columns.flags.writeable
    assert columns.flags.f_contiguous == (3 * channels * x.itemsize < 64)


@pytest.mark.parametrize("xs, ws, stride, pad", CASES)
def test_conv2d_equals_the_definition_and_finite_differences(
    xs: tuple[int, ...], ws: tuple[int, ...], stride: Any, pad: Any
) -> None:
    x = rand(*xs, seed=1)
    W = rand(ws[0], xs[1], ws[1], ws[2], seed=2)
    b = rand(ws[0], seed=3)
    y = pg.conv2d(pg.variable(x), W, b, stride=stride, pad=pad)
    expected = _naive_conv(x, W, _pair(stride), _pair(pad)) + b[:, None, None]
    np.testing.assert_allclose(y.value, expected, rtol=1e-12, atol=1e-12)
    pg.check_grad(lambda x, W, b: pg.conv2d(x, W, b, stride=stride, pad=pad), x, W, b)
    pg.check_grad(lambda x, W: pg.conv2d(x, W, stride=stride, pad=pad), x, W)  # b=None


@pytest.mark.parametrize("xs, ws, stride, pad", CASES[:3])
def test_conv_transpose2d_is_the_adjoint_of_conv2d(
    xs: tuple[int, ...], ws: tuple[int, ...], stride: Any, pad: Any
) -> None:
    x = rand(*xs, seed=4)
    W = rand(ws[0], xs[1], ws[1], ws[2], seed=5)
    y = pg.conv2d(x, W, stride=stride, pad=pad)
    g = rand(*y.shape, seed=6)
    # <conv2d(x), g> == <x, conv_transpose2d(g)> for the transposed map at x's size.
    back = pg.conv_transpose2d(g, W, stride=stride, pad=pad, out_size=(xs[2], xs[3]))
    assert back.shape == xs
    np.testing.assert_allclose(np.sum(y.value * g), np.sum(x * back.value), rtol=1e-12)
    b = rand(xs[1], seed=7)
    pg.check_grad(
        lambda g, W, b: pg.conv_transpose2d(g, W, b, stride=stride, pad=pad, out_size=(xs[2], xs[3])),
        g, W, b,
    )


def test_conv_transpose2d_default_size_and_out_size() -> None:
    x = rand(1, 2, 3, 4)
    W = rand(2, 5, 3, 2)
    assert pg.conv_transpose2d(x, W, stride=2, pad=1).shape == (1, 5, 2 * 2 + 3 - 2, 3 * 2 + 2 - 2)
    assert pg.conv_transpose2d(x, W, stride=2, pad=1, out_size=(6, 7)).shape == (1, 5, 6, 7)
    with pytest.raises(ValueError, match=r"conv_transpose2d: out_size \(7, 7\) cannot be mapped back"):
        pg.conv_transpose2d(x, W, stride=2, pad=1, out_size=(7, 7))
    pg.check_grad(lambda x, W: pg.conv_transpose2d(x, W, stride=2, pad=1, out_size=(6, 7)), x, W)


def test_convolutions_differentiate_again() -> None:
    x = rand(1, 2, 4, 3, seed=8)
    W = rand(2, 2, 2, 3, seed=9)
    b = rand(2, seed=10)
    # Linear in each input, so the mixed and higher derivatives come through products.
    f = lambda x, W, b: pg.conv2d(x, W, b, stride=(2, 1), pad=1) ** 2  # noqa: E731
    check_orders(f, x, W, b, order=2)
    # The third derivative in x and W, through d/dx (d/dW ...), once.
    x3 = pg.variable(x)
    W3 = pg.variable(W)
    gW = pg.backward(pg.sum(pg.conv2d(x3, W3, pad=1) ** 3), HIGHER)[W3]
    gx = pg.backward(pg.sum(gW * W3), HIGHER)[x3]
    pg.check_grad(
        lambda x, W: pg.backward(
            pg.sum(pg.backward(pg.sum(pg.conv2d(x, W, pad=1) ** 3), HIGHER)[W] * W), HIGHER
        )[x],
        x, W,
    )
    assert gx.shape == x.shape
    Wt = rand(2, 3, 3, 2, seed=11)
    g = lambda x, W: pg.conv_transpose2d(x, W, stride=2, pad=(1, 0)) ** 2  # noqa: E731
    check_orders(g, x, Wt, order=2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_keeps_float32_and_checks_gradients(dtype: type[np.floating[Any]]) -> None:
    x, W, b = rand(2, 2, 5, 5, dtype=dtype), rand(3, 2, 3, 3, dtype=dtype), rand(3, dtype=dtype)
    xv, Wv, bv = pg.variable(x), pg.variable(W), pg.variable(b)
    y = pg.conv2d(xv, Wv, bv, stride=2, pad=1)
    assert y.dtype == dtype
    grads = pg.backward(pg.sum(y * y))
    assert {grads[v].dtype for v in (xv, Wv, bv)} == {np.dtype(dtype)}
    pg.check_grad(lambda x, W, b: pg.conv2d(x, W, b, stride=2, pad=1), x, W, b)


def test_conv2d_errors_name_the_op_and_shapes() -> None:
    x, W = np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"conv2d: x has 2 channels but W expects 4 .*\(1, 2, 5, 5\).*\(3, 4, 3, 3\)"):
        pg.conv2d(x, np.ones((3, 4, 3, 3)))
    with pytest.raises(ValueError, match=r"conv2d: x must be 4-D .*got shape \(2, 5, 5\)"):
        pg.conv2d(np.ones((2, 5, 5)), W)
    with pytest.raises(ValueError, match=r"conv2d: W must be 4-D"):
        pg.conv2d(x, np.ones((3, 2, 3)))
    with pytest.raises(ValueError, match=r"conv2d: kernel \(8, 3\) is larger than the padded input \(7, 7\)"):
        pg.conv2d(x, np.ones((3, 2, 8, 3)), pad=1)
    with pytest.raises(ValueError, match=r"conv2d: b must have shape \(3,\), got \(2,\)"):
        pg.conv2d(x, W, np.ones(2))
    with pytest.raises(ValueError, match="conv2d: stride must be at least 1"):
        pg.conv2d(x, W, stride=0)
    with pytest.raises(TypeError, match="conv2d: pad must be an int or a pair"):
        pg.conv2d(x, W, pad=(1, 1, 1))  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(ValueError, match=r"conv_transpose2d: x has 2 channels but W expects 3"):
        pg.conv_transpose2d(x, np.ones((3, 2, 3, 3)))


def test_conv_backward_holds_one_column_buffer_beside_the_graph() -> None:
    """conv2d keeps its columns (C KH KW values per output place) for the weight gradient;
    the input gradient is summed tap by tap, so the backward adds no second column buffer:
    its peak above what the graph holds stays under two column buffers."""
    x = pg.variable(rand(8, 8, 32, 32, seed=12))
    W = pg.variable(rand(8, 8, 3, 3, seed=13))
    y = pg.conv2d(x, W, pad=1)
    column_bytes = 8 * 32 * 32 * 8 * 9 * 8  # N OH OW x C KH KW float64
    loss = pg.sum(y)
    tracemalloc.start()
    grads = pg.backward(loss)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert grads[x].shape == x.shape
    image_bytes = x.value.nbytes
    # What backward must allocate: gx (one image), the padded image it is summed in, one
    # tap's product, and gy (ones like y) -- a few images, far below a column buffer (9
    # images) -- plus gW.
    assert peak < 5 * image_bytes < column_bytes


# im2col and col2im ----------------------------------------------------------------------------


def test_im2col_order_and_col2im_counts_overlaps() -> None:
    x = np.arange(2 * 3 * 3, dtype=np.float64).reshape(1, 2, 3, 3)
    col = pg.im2col(x, (2, 1)).value
    assert col.shape == (1, 2 * 2 * 1, 2 * 3)
    # row c KH KW + i KW + j, column p OW + q: channel 0, tap (0, 0) reads x[0, 0, p, q]
    np.testing.assert_array_equal(col[0, 0], x[0, 0, :2, :].ravel())
    np.testing.assert_array_equal(col[0, 3], x[0, 1, 1:, :].ravel())
    counts = pg.col2im(np.ones((1, 9, 9)), (3, 3), 3, pad=1).value[0, 0]
    np.testing.assert_array_equal(counts, [[4, 6, 4], [6, 9, 6], [4, 6, 4]])


@pytest.mark.parametrize("kernel, stride, pad", [(2, 1, 0), ((3, 2), 2, 1), ((1, 3), (1, 2), (0, 1))])
def test_im2col_and_col2im_are_adjoint_and_differentiate(kernel: Any, stride: Any, pad: Any) -> None:
    x = rand(1, 2, 4, 5, seed=14)
    col = pg.im2col(x, kernel, stride=stride, pad=pad)
    g = rand(*col.shape, seed=15)
    back = pg.col2im(g, (4, 5), kernel, stride=stride, pad=pad)
    np.testing.assert_allclose(np.sum(col.value * g), np.sum(x * back.value), rtol=1e-12)
    f = lambda x: pg.im2col(x, kernel, stride=stride, pad=pad) ** 2  # noqa: E731
    check_orders(f, x, order=2)
    h = lambda g: pg.col2im(g, (4, 5), kernel, stride=stride, pad=pad) ** 2  # noqa: E731
    check_orders(h, g, order=2)


def test_col2im_rejects_columns_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match=r"col2im: col of shape \(1, 8, 5\) does not fit size \(3, 3\)"):
        pg.col2im(np.ones((1, 8, 5)), (3, 3), 2)
    with pytest.raises(ValueError, match=r"im2col: x must be 4-D"):
        pg.im2col(np.ones((3, 3)), 2)


# pooling --------------------------------------------------------------------------------------


def test_max_pool_values_and_first_maximum_gets_the_gradient() -> None:
    x = pg.variable(np.array([[[[1.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]]))
    y = pg.max_pool2d(x, 2)
    np.testing.assert_array_equal(y.value, [[[[3.0, 0.0]]]])
    g = pg.backward(pg.sum(y))[x].value
    # Ties go to the first maximum in row-major order (as PyTorch): one element each.
    np.testing.assert_array_equal(g, [[[[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


@pytest.mark.parametrize(
    "kernel, stride, pad", [(2, None, 0), ((3, 2), 2, (1, 0)), (3, 1, 1), ((2, 3), (1, 2), 0)]
)
def test_pooling_against_finite_differences(kernel: Any, stride: Any, pad: Any) -> None:
    # Distinct values, so max is differentiable where it is checked.
    x = np.random.default_rng(16).permutation(2 * 1 * 5 * 6).reshape(2, 1, 5, 6) / 10.0
    pg.check_grad(lambda x: pg.max_pool2d(x, kernel, stride=stride, pad=pad), x)
    pg.check_grad(lambda x: pg.avg_pool2d(x, kernel, stride=stride, pad=pad), x)
    # Piecewise linear: the gradient differentiates again (locally a linear map of x).
    check_orders(lambda x: pg.max_pool2d(x, kernel, stride=stride, pad=pad) ** 2, x, order=2)
    check_orders(lambda x: pg.avg_pool2d(x, kernel, stride=stride, pad=pad) ** 2, x, order=2)


def test_avg_pool_counts_the_padding_and_max_pool_pads_with_minus_infinity() -> None:
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(pg.avg_pool2d(x, 2, stride=1, pad=1).value[0, 0], [[-0.25, -0.5, -0.25], [-0.5, -1.0, -0.5], [-0.25, -0.5, -0.25]])
    np.testing.assert_array_equal(pg.max_pool2d(x, 2, stride=1, pad=1).value, -np.ones((1, 1, 3, 3)))


def test_pooling_errors_and_dtypes() -> None:
    with pytest.raises(ValueError, match=r"max_pool2d: window \(5, 5\) is larger than the padded input \(4, 4\)"):
        pg.max_pool2d(np.ones((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match=r"avg_pool2d: pad \(2, 2\) must be at most half the window"):
        pg.avg_pool2d(np.ones((1, 1, 4, 4)), 2, pad=2)
    with pytest.raises(ValueError, match=r"max_pool2d: x must be 4-D .*got shape \(4, 4\)"):
        pg.max_pool2d(np.ones((4, 4)), 2)
    x32 = pg.variable(rand(1, 2, 4, 4, dtype=np.float32))
    for pool in (pg.max_pool2d, pg.avg_pool2d):
        y = pool(x32, 2)
        assert y.dtype == np.float32
        assert pg.backward(pg.sum(y))[x32].dtype == np.float32


def test_a_cnn_chain_matches_finite_differences() -> None:
    """conv, relu, pool, conv, flatten, linear: the ops in the layouts they hand each other."""
    x = rand(2, 1, 6, 6, seed=17)
    W1, b1 = rand(3, 1, 3, 3, seed=18), rand(3, seed=19)
    W2 = rand(4, 3, 2, 2, seed=20)
    W3 = rand(16, 2, seed=21)

    def f(W1: pg.Node[Any], b1: pg.Node[Any], W2: pg.Node[Any], W3: pg.Node[Any]) -> pg.Node[Any]:
        h = pg.max_pool2d(pg.relu(pg.conv2d(x, W1, b1, pad=1) + 0.3), 2)
        h = pg.conv2d(h, W2, stride=1)
        return pg.softmax_cross_entropy(pg.reshape(h, (2, 16)) @ W3, np.array([0, 1]))

    pg.check_grad(f, W1, b1, W2, W3)
    # And under create_graph the whole chain differentiates again.
    vs = [pg.variable(a) for a in (W1, b1, W2, W3)]
    gW1 = pg.backward(f(*vs), HIGHER)[vs[0]]
    assert pg.backward(pg.sum(gW1 * gW1)).get(vs[2]) is not None


def test_max_pool_of_a_nan_is_nan_and_its_gradient_goes_to_the_nan() -> None:
    x = pg.variable(np.array([[[[1.0, np.nan, 5.0, 2.0], [3.0, 2.0, 0.0, 5.0]]]]))
    y = pg.max_pool2d(x, 2)
    assert np.isnan(y.value[0, 0, 0, 0]) and y.value[0, 0, 0, 1] == 5.0
    g = pg.backward(pg.sum(y * np.array([[[[2.0, 3.0]]]])))[x].value
    np.testing.assert_array_equal(g, [[[[0.0, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]])


def _first_max_reference(x: Any, kernel: tuple[int, int], stride: tuple[int, int], pad: tuple[int, int]) -> Any:
    """For each window of `x` (NCHW, padded with -inf), the flat index into `x` of its
    first maximum in row-major order, a nan counting as the maximum: by loops."""
    N, C, H, W = x.shape
    OH = (H + 2 * pad[0] - kernel[0]) // stride[0] + 1
    OW = (W + 2 * pad[1] - kernel[1]) // stride[1] + 1
    where = np.full((N, C, OH, OW), -1)
    for n, c, p, q in np.ndindex(N, C, OH, OW):
        best, at = -np.inf, -1
        for i, j in np.ndindex(*kernel):
            h, w = p * stride[0] + i - pad[0], q * stride[1] + j - pad[1]
            if not (0 <= h < H and 0 <= w < W):
                continue
            v = x[n, c, h, w]
            if np.isnan(v):
                best, at = v, np.ravel_multi_index((n, c, h, w), x.shape)
                break
            if at < 0 or v > best:
                best, at = v, np.ravel_multi_index((n, c, h, w), x.shape)
        where[n, c, p, q] = at
    return where


@pytest.mark.parametrize(
    "kernel, stride, pad",
    [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 0)), ((2, 3), (1, 2), (0, 1))],
)
def test_max_pool_sends_each_gradient_to_the_first_maximum_with_ties_and_nans(
    kernel: tuple[int, int], stride: tuple[int, int], pad: tuple[int, int]
) -> None:
    """Many ties (values in {0, 1, 2}), a few nans, overlapping windows: the gradient and the
    gradient of the gradient equal a loop over windows, for the places max_pool2d saves."""
    rng = np.random.default_rng(sum(kernel) + 10 * sum(stride) + 100 * sum(pad))
    x = rng.integers(0, 3, (2, 3, 7, 6)).astype(np.float64)
    x[rng.random(x.shape) < 0.04] = np.nan
    where = _first_max_reference(x, kernel, stride, pad)
    y = pg.max_pool2d(pg.variable(x), kernel, stride=stride, pad=pad)
    np.testing.assert_array_equal(y.value, x.ravel()[where])
    w = rng.standard_normal(where.shape)
    expected = np.bincount(where.ravel(), w.ravel(), x.size).reshape(x.shape)
    v = pg.variable(x)
    g = pg.backward(pg.sum(pg.max_pool2d(v, kernel, stride=stride, pad=pad) * w), HIGHER)[v]
    # (overlapping windows add up in another order than bincount's)
    np.testing.assert_allclose(g.value, expected, rtol=0, atol=1e-14)
    # The gradient is linear in w: its gradient with respect to w gathers the first maxima.
    u = rng.standard_normal(x.shape)
    wv = pg.variable(w)
    gw = pg.backward(pg.sum(pg.backward(pg.sum(pg.max_pool2d(v, kernel, stride=stride, pad=pad) * wv), HIGHER)[v] * u))[wv]
    np.testing.assert_array_equal(gw.value, u.ravel()[where])


def test_max_pool_over_a_window_of_more_than_256_places() -> None:
    x = np.zeros((1, 2, 17, 17))
    x[0, 0, 16, 16] = 1.0  # the last of 289 places
    x[0, 1, 16, 15] = x[0, 1, 16, 16] = 1.0  # a tie near the end
    v = pg.variable(x)
    g = pg.backward(pg.sum(pg.max_pool2d(v, 17)))[v].value
    assert g[0, 0, 16, 16] == 1.0 and g[0, 1, 16, 15] == 1.0 and g.sum() == 2.0


def test_max_pool_gradient_with_infinities_of_both_signs_and_huge_values() -> None:
    # y's sum is not finite here (inf - inf, overflow) though it holds no nan: the rule
    # must still send each window's gradient to its first maximum, silently.
    big = np.finfo(np.float64).max
    x = pg.variable(np.array([[[[np.inf, 1.0, -np.inf, -np.inf], [big, big, 2.0, 2.0]]]]))
    y = pg.max_pool2d(x, (1, 2))
    assert y.value.tolist() == [[[[np.inf, -np.inf], [big, 2.0]]]]
    g = pg.backward(y, seed=np.array([[[[1.0, 2.0], [1.0, 2.0]]]]))[x].value
    assert g.tolist() == [[[[1.0, 0.0, 2.0, 0.0], [1.0, 0.0, 2.0, 0.0]]]]
