"""Joint VJPs (`joint = True`, `vjps`): `backward` asks an op for all of its inputs'
gradients in one call, for single- and multi-output ops alike, in a plain sweep and under
`create_graph`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, rand


class ProductAndRatio(pg.MultiOp):
    """`(a * b, a / b)`, its two input gradients from one call sharing `1 / b`."""

    name = "product_and_ratio"
    joint = True

    def __init__(self) -> None:
        self.calls: list[tuple[bool, ...]] = []

    def forward(self, a: NDArray[Any], b: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
        return a * b, a / b

    def vjp(self, i: int, gys: tuple[Any, ...], xs: tuple[Any, ...]) -> Any:
        raise AssertionError("a joint op is asked through vjps")

    def vjps(
        self, gys: tuple[Any, ...], xs: tuple[Any, ...], needed: tuple[bool, ...]
    ) -> tuple[Any, ...]:
        self.calls.append(needed)
        a, b = xs
        inverse = 1 / b
        ga = gys[0] * b + gys[1] * inverse if needed[0] else None
        gb = gys[0] * a - gys[1] * a * inverse * inverse if needed[1] else None
        return ga, gb


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_joint_multi_op_is_asked_once_for_all_inputs(dtype: type[np.floating[Any]]) -> None:
    a0, b0 = rand(3, dtype=dtype, seed=1), rand(3, dtype=dtype, seed=2, low=1.0, high=2.0)
    op = ProductAndRatio()

    def f(a: pg.Node[Any], b: pg.Node[Any]) -> pg.Node[Any]:
        p, r = op(a, b)
        return pg.sum(pg.sin(p) * r)

    def plain(a: pg.Node[Any], b: pg.Node[Any]) -> pg.Node[Any]:
        return pg.sum(pg.sin(a * b) * (a / b))

    a, b = pg.variable(a0), pg.variable(b0)
    grads = pg.backward(f(a, b), HIGHER)
    assert op.calls == [(True, True)]  # one call for both inputs
    expected = pg.backward(plain(a, b), HIGHER)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    for x in (a, b):
        assert grads[x].dtype == dtype
        np.testing.assert_allclose(grads[x].value, expected[x].value, rtol=tol, atol=tol)
    # The gradients carry their graph: second order equals the plain function's.
    second = pg.backward(pg.sum(grads[a] * grads[b]))
    reference = pg.backward(pg.sum(expected[a] * expected[b]))
    for x in (a, b):
        np.testing.assert_allclose(second[x].value, reference[x].value, rtol=10 * tol, atol=10 * tol)
    # Only one output used (the other's gradient is zeros), and b a constant: not needed.
    op.calls.clear()
    grads = pg.backward(pg.sum(op(a, pg.constant(b0))[1]))
    assert op.calls == [(True, False)]
    np.testing.assert_allclose(grads[a].value, 1 / b0, rtol=tol)
    if dtype == np.float64:
        pg.check_grad(f, a0, b0)
        pg.check_grad(lambda u, v: pg.sum(pg.grad(lambda w: f(w, v))(u) ** 2), a0, b0)
