"""Values and gradients against PyTorch's `torch.nn.functional` (skipped without torch, which
is never a dependency: `pip install torch` into the venv to run it)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import rand

torch: Any = pytest.importorskip("torch")
F: Any = torch.nn.functional


def _tensor(a: Any) -> Any:
    return torch.tensor(np.asarray(a), requires_grad=True)


def _same(ours: pg.Node[Any], theirs: Any) -> None:
    np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "xs, ws, stride, pad",
    [((2, 3, 7, 6), (4, 3, 2), 1, 0), ((2, 3, 7, 6), (4, 3, 3), 2, 1), ((2, 2, 8, 9), (3, 3, 2), (2, 1), (1, 0))],
)
def test_convolutions_and_pooling_equal_torch(xs: tuple[int, ...], ws: tuple[int, ...], stride: Any, pad: Any) -> None:
    x, W, b = rand(*xs, seed=1), rand(ws[0], xs[1], ws[1], ws[2], seed=2), rand(ws[0], seed=3)
    v = [pg.variable(a) for a in (x, W, b)]
    t = [_tensor(a) for a in (x, W, b)]
    y, ty = pg.conv2d(*v, stride=stride, pad=pad), F.conv2d(*t, stride=stride, padding=pad)
    _same(y, ty)
    g = rand(*y.shape, seed=4)
    grads = pg.backward(y, seed=g)
    for node, tensor in zip(v, torch.autograd.grad(ty, t, torch.tensor(g))):
        np.testing.assert_allclose(grads[node].value, tensor.numpy(), rtol=1e-12, atol=1e-12)
    # conv_transpose2d back to x's size (PyTorch's output_padding is the difference).
    gx = pg.variable(g)
    back = pg.conv_transpose2d(gx, v[1], stride=stride, pad=pad, out_size=(xs[2], xs[3]))
    default = pg.conv_transpose2d(g, W, stride=stride, pad=pad).shape[2:]
    tg = _tensor(g)
    tback = F.conv_transpose2d(tg, t[1], stride=stride, padding=pad, output_padding=tuple(np.subtract(xs[2:], default)))
    _same(back, tback)
    h = rand(*back.shape, seed=5)
    ours = pg.backward(back, seed=h)
    theirs = torch.autograd.grad(tback, [tg, t[1]], torch.tensor(h))
    np.testing.assert_allclose(ours[gx].value, theirs[0].numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[v[1]].value, theirs[1].numpy(), rtol=1e-12, atol=1e-12)
    # Pooling over a relu (many tied zeros: the gradient goes to the first, as PyTorch's).
    k = (ws[1], ws[2])
    p = (min(k[0] // 2, np.max(pad)), min(k[1] // 2, np.max(pad)))
    r = np.maximum(x, 0.0)
    for ours_pool, theirs_pool in ((pg.max_pool2d, F.max_pool2d), (pg.avg_pool2d, F.avg_pool2d)):
        rv, rt = pg.variable(r), _tensor(r)
        y, ty = ours_pool(rv, k, stride=stride, pad=p), theirs_pool(rt, k, stride=stride, padding=p)
        _same(y, ty)
        g = rand(*y.shape, seed=6)
        (tgrad,) = torch.autograd.grad(ty, [rt], torch.tensor(g))
        np.testing.assert_allclose(pg.backward(y, seed=g)[rv].value, tgrad.numpy(), rtol=1e-12, atol=1e-12)
    # unfold and fold.
    col, tcol = pg.im2col(v[0], k, stride=stride, pad=pad), F.unfold(t[0], k, stride=stride, padding=pad)
    _same(col, tcol)
    _same(pg.col2im(col, (xs[2], xs[3]), k, stride=stride, pad=pad), F.fold(tcol, xs[2:], k, stride=stride, padding=pad))


def test_second_derivatives_of_conv2d_equal_torch() -> None:
    x, W = rand(1, 2, 5, 4, seed=7), rand(3, 2, 3, 2, seed=8)
    vx, vW = pg.variable(x), pg.variable(W)
    tx, tW = _tensor(x), _tensor(W)
    higher = pg.Config(create_graph=True)
    gW = pg.backward(pg.sum(pg.conv2d(vx, vW, stride=2, pad=1) ** 3), higher)[vW]
    (tgW,) = torch.autograd.grad((F.conv2d(tx, tW, stride=2, padding=1) ** 3).sum(), [tW], create_graph=True)
    _same(gW, tgW)
    second = pg.backward(pg.sum(gW * gW))
    tsecond = torch.autograd.grad((tgW * tgW).sum(), [tx, tW])
    np.testing.assert_allclose(second[vx].value, tsecond[0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(second[vW].value, tsecond[1].numpy(), rtol=1e-10)


def test_batch_norm_equals_torch_in_both_modes() -> None:
    x = rand(4, 3, 5, 2, seed=9)
    gamma, beta = rand(3, seed=10), rand(3, seed=11)
    stats = pg.BatchNormStats(rand(3, seed=12), rand(3, seed=13, low=0.5, high=1.5))
    for train in (True, False):
        v = [pg.variable(a) for a in (x, gamma, beta)]
        t = [_tensor(a) for a in (x, gamma, beta)]
        running_mean, running_var = torch.tensor(stats.mean.copy()), torch.tensor(stats.var.copy())
        y, new = pg.batch_norm(v[0], v[1], v[2], stats, train=train, decay=0.8)
        ty = F.batch_norm(t[0], running_mean, running_var, t[1], t[2], training=train, momentum=0.2)
        _same(y, ty)
        np.testing.assert_allclose(new.mean, running_mean.numpy(), rtol=1e-12)
        np.testing.assert_allclose(new.var, running_var.numpy(), rtol=1e-12)
        g = rand(*x.shape, seed=14)
        grads = pg.backward(y, seed=g)
        for node, tensor in zip(v, torch.autograd.grad(ty, t, torch.tensor(g))):
            np.testing.assert_allclose(grads[node].value, tensor.numpy(), rtol=1e-10, atol=1e-12)


def test_random_shapes_of_conv2d_and_conv_transpose2d_equal_torch() -> None:
    """Sixty random sizes, kernels, strides, pads and output paddings, values and gradients."""
    rng = np.random.default_rng(6)
    checked = 0
    while checked < 60:
        C, OC = (int(v) for v in rng.integers(1, 4, 2))
        H, W, KH, KW = (int(v) for v in rng.integers(1, 6, 4))
        SH, SW = (int(v) for v in rng.integers(1, 4, 2))
        PH, PW = int(rng.integers(0, KH)), int(rng.integers(0, KW))
        if H + 2 * PH < KH or W + 2 * PW < KW:
            continue
        x, Wt = rng.standard_normal((2, C, H, W)), rng.standard_normal((OC, C, KH, KW))
        xv, Wv = pg.variable(x), pg.variable(Wt)
        tx, tW = _tensor(x), _tensor(Wt)
        y = pg.conv2d(xv, Wv, stride=(SH, SW), pad=(PH, PW))
        ty = F.conv2d(tx, tW, stride=(SH, SW), padding=(PH, PW))
        _same(y, ty)
        g = rng.standard_normal(y.shape)
        grads = pg.backward(y, seed=g)
        tgx, tgW = torch.autograd.grad(ty, [tx, tW], torch.tensor(g))
        np.testing.assert_allclose(grads[xv].value, tgx.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grads[Wv].value, tgW.numpy(), rtol=1e-12, atol=1e-12)
        # The transposed map at every size conv2d sends back to (H, W).
        extra = (H + 2 * PH - KH) % SH, (W + 2 * PW - KW) % SW
        OH, OW = g.shape[2:]
        default = (SH * (OH - 1) + KH - 2 * PH, SW * (OW - 1) + KW - 2 * PW)
        back = pg.conv_transpose2d(g, Wt, stride=(SH, SW), pad=(PH, PW), out_size=(H, W))
        tback = F.conv_transpose2d(torch.tensor(g), tW, stride=(SH, SW), padding=(PH, PW), output_padding=extra)
        assert tuple(np.add(default, extra)) == (H, W)
        _same(back, tback)
        checked += 1
