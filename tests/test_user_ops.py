"""pg.Op and pg.MultiOp as the extension point: the seed's Square and Exp as user ops, a user
op that differentiates again, and rules that cannot run on nodes failing by name."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand


class Square(pg.Op):
    """DeZero's step 7 Square, as a user writes it."""

    name = "my_square"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x**2

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return 2 * xs[0] * gy


class Exp(pg.Op):
    name = "my_exp"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.exp(x)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * y


class Softplus(pg.Op):
    """A rule built from numpy functions that dispatch on nodes: differentiates again."""

    name = "softplus"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.logaddexp(x, 0.0)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy / (1 + np.exp(-xs[0]))


class Hypot(pg.Op):
    """Two inputs, broadcasting: the rule may return the broadcast shape."""

    name = "my_hypot"

    def forward(self, x0: NDArray[np.float64], x1: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.sqrt(x0 * x0 + x1 * x1)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * xs[i] / y


class SinCos(pg.MultiOp):
    name = "sincos"

    def forward(self, x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return np.sin(x), np.cos(x)

    def vjp(self, i: int, gys: tuple[Any, ...], xs: tuple[Any, ...]) -> Any:
        return gys[0] * np.cos(xs[0]) - gys[1] * np.sin(xs[0])


class Frexp(pg.Op):
    """A rule calling np.frexp, which has no puregrad op: fine on arrays, not on nodes."""

    name = "via_frexp"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x * x

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        mantissa, exponent = np.frexp(xs[0])
        return gy * 2 * mantissa * 2.0**exponent


class Converts(pg.Op):
    """A rule converting a node to an array (np.asarray): refused on a node needing grad."""

    name = "converts"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x * x

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy * 2 * np.asarray(xs[0])


class ReadsValue(pg.Op):
    """A rule reading `.value`: it gives a plain array where a node is due."""

    name = "reads_value"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x * x

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        x = xs[0].value if type(xs[0]) is pg.Node else xs[0]
        g = gy.value if type(gy) is pg.Node else gy
        return g * 2 * x


def test_the_seeds_square_and_exp_as_user_ops() -> None:
    # DeZero step 9: y = square(exp(square(x))) at 0.5, dy/dx = 3.297442541400256.
    x = pg.variable(np.array(0.5))
    y = Square()(Exp()(Square()(x)))
    assert repr(y) == "Node(1.64872127, op=my_square)"
    np.testing.assert_allclose(y.value, 1.6487212707001282, rtol=1e-15)
    np.testing.assert_allclose(pg.backward(y)[x].value, 3.297442541400256, rtol=1e-15)
    # On arrays an op computes its forward (so ops work inside rules).
    assert float(Square()(np.array(3.0))) == 9.0
    for dtype in (np.float32, np.float64):
        check_orders(lambda v: Square()(Exp()(v)), rand(3, dtype=dtype, seed=1), order=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_user_op_differentiates_again(dtype: type[np.floating[Any]]) -> None:
    x = rand(4, dtype=dtype, seed=2, low=-3, high=3)
    check_orders(lambda v: Softplus()(v), x, order=3)
    # Analytic: softplus' = sigmoid, '' = sigmoid (1 - sigmoid).
    s = 1 / (1 + np.exp(-x.astype(np.float64)))
    second = pg.grad(lambda v: pg.sum(pg.grad(lambda u: pg.sum(Softplus()(u)))(v)))(x)
    assert second.dtype == dtype
    np.testing.assert_allclose(second, s * (1 - s), rtol=1e-5)
    # In the transforms: hessian, jvp.
    np.testing.assert_allclose(pg.hessian(lambda v: pg.sum(Softplus()(v)))(x), np.diag(s * (1 - s)), rtol=1e-5, atol=1e-7)


def test_broadcasting_and_multiple_outputs_are_undone_for_user_ops() -> None:
    a, b = rand(2, 3, seed=3), rand(3, seed=4)
    check_orders(lambda u, v: Hypot()(u, v), a, b, order=2)
    check_orders(lambda v: SinCos()(v)[0] * 2.0 + SinCos()(v)[1] ** 2, rand(3, seed=5), order=3)
    s, c = SinCos()(pg.variable(0.0))
    # Only one output used: zeros stand in for the other's gradient.
    assert float(pg.backward(c)[s.inputs[0]].value) == 0.0  # type: ignore[index]  # a variable
    # On arrays a MultiOp gives the forward's tuple.
    sa, ca = SinCos()(np.array(0.0))
    assert (float(sa), float(ca)) == (0.0, 1.0)


def test_a_rule_that_cannot_run_on_nodes_fails_naming_the_op() -> None:
    x = rand(3, seed=6)
    for op in (Frexp(), Converts(), ReadsValue()):
        # An ordinary backward runs the rule on arrays: correct first derivatives.
        np.testing.assert_allclose(pg.grad(lambda v: pg.sum(op(v)))(x), 2 * x, rtol=1e-15)
        v = pg.variable(x)
        with pytest.raises(TypeError, match=f"^{op.name}: its VJP rule"):
            pg.backward(pg.sum(op(v)), HIGHER)
        with pytest.raises(TypeError, match=f"^{op.name}: its VJP rule"):
            pg.grad(lambda u: pg.sum(pg.grad(lambda w: pg.sum(op(w)))(u)))(x)
    with pytest.raises(TypeError, match=r"via_frexp: its VJP rule cannot run on nodes \(numpy.frexp is not supported"):
        pg.backward(pg.sum(Frexp()(pg.variable(x))), HIGHER)
    with pytest.raises(TypeError, match="reads_value: its VJP rule returned a ndarray, not a node"):
        pg.backward(pg.sum(ReadsValue()(pg.variable(x))), HIGHER)


class Floor(pg.Op):
    """Piecewise constant: its rule may give plain zeros, which need no graph."""

    name = "my_floor"

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.floor(x)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return np.zeros(xs[0].shape)  # nodes and arrays both have .shape


def test_a_rule_giving_plain_zeros_is_fine_under_create_graph() -> None:
    x = pg.variable(np.array([0.5, 1.5]))
    g = pg.backward(pg.sum(Floor()(x) + x * x), HIGHER)[x]
    np.testing.assert_array_equal(g.value, 2 * x.value)
    np.testing.assert_array_equal(pg.backward(pg.sum(g))[x].value, [2.0, 2.0])


class Sort(pg.Op):
    """Sorts a vector and saves the order it found (residuals): its rule only permutes, so
    it never sorts again. The permutation is locally constant in `x`, which is what makes a
    residual right under create_graph too (the rule sees it as a plain array there)."""

    name = "my_sort"
    saves = True
    saved: list[str] = []  # which forward ran, for the test (not state the op reads)

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        Sort.saved.append("forward")
        return np.sort(x)

    def forward_saving(
        self, x: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], tuple[NDArray[np.intp]]]:
        Sort.saved.append("forward_saving")
        order = np.argsort(x, kind="stable")
        return x[order], (np.argsort(order),)

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        inverse = xs[1]  # after the op's own input
        return gy[inverse]


def test_a_user_op_saves_residuals_for_its_rule() -> None:
    x = rand(6, seed=7)
    v = pg.variable(x)
    Sort.saved.clear()
    y = Sort()(v)
    assert Sort.saved == ["forward_saving"]
    np.testing.assert_array_equal(y.value, np.sort(x))
    # Recorded as constant operands after the op's own, read-only.
    assert y.inputs[0] is v and len(y.inputs) == 2
    inverse = y.inputs[1]
    assert isinstance(inverse, np.ndarray) and not inverse.flags.writeable
    np.testing.assert_array_equal(inverse, np.argsort(np.argsort(x)))
    weights = np.arange(1.0, 7.0)
    np.testing.assert_array_equal(pg.grad(lambda u: pg.sum(Sort()(u) * weights))(x), weights[np.argsort(np.argsort(x))])
    check_orders(lambda u: Sort()(u) ** 3, x, order=3)


def test_nothing_is_saved_when_nothing_is_recorded() -> None:
    x = rand(5, seed=8)
    Sort.saved.clear()
    Sort()(x)  # arrays: the forward
    Sort()(pg.constant(x))  # constants: nothing recorded
    with pg.no_grad():
        y = Sort()(pg.variable(x))
    assert Sort.saved == ["forward", "forward", "forward"]
    assert y.inputs == ()


class BadResiduals(pg.Op):
    name = "bad_residuals"
    saves = True

    def forward(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        return x

    def forward_saving(self, x: NDArray[np.float64]) -> Any:
        return x, [x]  # a list, not a tuple of arrays

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy


def test_residuals_that_are_not_a_tuple_of_arrays_fail_naming_the_op() -> None:
    with pytest.raises(TypeError, match=r"^bad_residuals: forward_saving must return \(value, residuals\)"):
        BadResiduals()(pg.variable(np.ones(2)))
