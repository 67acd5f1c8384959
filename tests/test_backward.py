"""backward and Gradients: purity, which gradients come back, seeds, several outputs,
multi-output ops, ordering, higher order."""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import pytest

import puregrad as pg
from puregrad.op import Array, MultiOp, apply_multi


def test_retain_grad_false_returns_exactly_the_variable_leaves() -> None:
    x0, x1 = pg.variable(1.0), pg.variable(1.0)
    c = pg.constant(5.0)
    t = pg.add(x0, x1)
    y = pg.add(x0, t) * c
    grads = pg.backward(y)
    assert set(grads) == {x0, x1} and len(grads) == 2
    assert (grads[x0].value.item(), grads[x1].value.item()) == (10.0, 5.0)
    assert grads.get(t) is None and grads.get(c) is None and t not in grads
    with pytest.raises(KeyError, match=r"no gradient for Node\(2., op=add\)"):
        grads[t]


def test_retain_grad_true_keeps_every_node_on_a_path_outputs_included() -> None:
    x0, x1 = pg.variable(1.0), pg.variable(1.0)
    t = pg.add(x0, x1)
    y = pg.add(x0, t)
    grads = pg.backward(y, pg.Config(retain_grad=True))
    assert set(grads) == {x0, x1, t, y}
    assert [grads[n].value.item() for n in (y, t, x0)] == [1.0, 1.0, 2.0]


def test_gradients_is_an_immutable_identity_mapping() -> None:
    x = pg.variable(np.ones(2))
    grads = pg.backward(pg.sum(x * 3.0))
    with pytest.raises(TypeError):
        grads[x] = x  # type: ignore[index]  # the misuse under test
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        grads._grads = {}  # type: ignore[misc]  # the misuse under test
    assert not grads[x].value.flags.writeable
    assert grads.get(pg.variable(np.ones(2))) is None  # an equal-valued node is another key
    assert grads.get(x, "default") is grads[x]
    assert "Gradients({" in repr(grads)


def test_backward_changes_no_node() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    inner = pg.exp(x) * x
    y = pg.sum(inner)
    before = [(n, n.value, n.inputs, n.origin, n.generation) for n in (x, y, inner)]
    first = pg.backward(y)
    second = pg.backward(y)
    after = [(n, n.value, n.inputs, n.origin, n.generation) for n in (x, y, inner)]
    for b, a in zip(before, after):
        assert all(old is new for old, new in zip(b[:4], a[:4])) and b[4] == a[4]
    assert first is not second
    np.testing.assert_array_equal(first[x].value, second[x].value)


def test_create_graph_flag_decides_whether_gradients_carry_a_graph() -> None:
    x = pg.variable(np.array([0.5, 1.5]))
    y = pg.sum(x**3)
    plain = pg.backward(y)[x]
    assert not plain.requires_grad and plain.origin is None
    recorded = pg.backward(y, pg.Config(create_graph=True))[x]
    assert recorded.requires_grad and recorded.origin is not None
    np.testing.assert_allclose(pg.backward(pg.sum(recorded))[x].value, 6 * x.value)
    third = pg.backward(pg.sum(pg.backward(pg.sum(recorded), pg.Config(create_graph=True))[x]))
    np.testing.assert_allclose(third[x].value, [6.0, 6.0])


def test_a_node_used_several_times_sums_its_gradients() -> None:
    x = pg.variable(3.0)
    assert pg.backward(x + x)[x].value == 2.0
    assert pg.backward(x * x * x)[x].value == 27.0
    # The diamond DeZero needs generations for: a is complete only after both branches ran.
    a = pg.square(x)
    y = pg.add(pg.square(a), pg.square(a))
    assert pg.backward(y)[x].value == 2 * 4 * x.value**3


def test_seed_defaults_to_ones_and_is_checked_copied_and_cast() -> None:
    x = pg.variable(np.array([1.0, 2.0], np.float32))
    y = x * 3.0
    seed = np.array([1.0, 10.0])  # float64: cast to the output's float32
    grads = pg.backward(y, seed=seed)
    seed[0] = 100.0
    assert grads[x].value.tolist() == [3.0, 30.0] and grads[x].dtype == np.float32
    # The gradient of a leaf output is the seed itself: never aliased with the caller's array.
    s = np.array([2.0, 2.0], np.float32)
    g = pg.backward(x, seed=s)[x]
    s[0] = 7.0
    assert g.value.tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match=r"seed of shape \(3,\) for an output of shape \(2,\)"):
        pg.backward(y, seed=np.ones(3))
    with pytest.raises(TypeError, match="seed must be an ndarray or a scalar, got str"):
        pg.backward(y, seed="ones")  # type: ignore[arg-type]  # the misuse under test


def test_several_outputs_with_seeds() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    y0 = x * 2.0
    y1 = pg.sum(x * x)
    grads = pg.backward([y0, y1], seed=[np.array([1.0, 0.0]), 1.0])
    assert grads[x].value.tolist() == [2.0 + 2.0, 0.0 + 4.0]
    # One output feeding another: its op waits for the other output's contribution.
    z = pg.sum(y0 * 3.0)
    assert pg.backward([y0, z])[x].value.tolist() == [2.0 + 6.0, 2.0 + 6.0]
    # An output listed twice gets both seeds, and its graph is walked once.
    twice = pg.exp(pg.square(x))
    expected = 2 * np.exp(x.value**2) * 2 * x.value
    np.testing.assert_allclose(pg.backward([twice, twice])[x].value, expected)
    np.testing.assert_allclose(
        pg.backward([twice, twice], pg.Config(create_graph=True))[x].value, expected
    )
    with pytest.raises(ValueError, match="1 seeds for 2 outputs"):
        pg.backward([y0, y1], seed=[1.0])
    with pytest.raises(TypeError, match="one per output"):
        pg.backward([y0, y1], seed=np.ones(2))


def test_bad_graph_arguments() -> None:
    with pytest.raises(TypeError, match="got ndarray"):
        pg.backward(np.ones(2))  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="got a float in the sequence"):
        pg.backward([pg.variable(1.0), 2.0])  # type: ignore[list-item]  # the misuse under test
    with pytest.raises(ValueError, match="empty"):
        pg.backward([])
    with pytest.raises(ValueError, match="no output requires grad"):
        pg.backward(pg.constant(1.0) * 2)


@attrs.frozen
class _Spread(MultiOp):
    """A test op with two outputs, (2x, 3x), that records each VJP call in `calls`."""

    name = "spread"
    calls: list[int]

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        return xs[0] * 2.0, xs[0] * 3.0

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        self.calls.append(i)
        return gys[0] * 2.0 + gys[1] * 3.0


def test_multi_output_op_one_vjp_call_with_zeros_for_unused_outputs() -> None:
    calls: list[int] = []
    x = pg.variable(np.array([1.0, 2.0]))
    a, b = apply_multi(_Spread(calls), (x,), None)
    assert a.generation == b.generation == 1 and a.origin is not None
    assert a.origin.name == "spread[0]"
    g = pg.backward(pg.sum(a * b))[x]  # d/dx (2x * 3x) = 12x
    assert g.value.tolist() == [12.0, 24.0] and calls == [0]
    g = pg.backward(pg.sum(b))[x]  # only the second output reaches: zeros for the first
    assert g.value.tolist() == [3.0, 3.0] and calls == [0, 0]
    h = pg.backward(pg.sum(b * b), pg.Config(create_graph=True))[x]
    assert pg.backward(pg.sum(h))[x].value.tolist() == [18.0, 18.0]


def test_each_gradient_has_its_inputs_dtype_under_promotion() -> None:
    x32 = pg.variable(np.ones(2, np.float32))
    x64 = pg.variable(np.ones(2))
    y = pg.sum(x32 * x64)  # type: ignore[operator]  # mixing dtypes is a type error, but runs
    assert y.dtype == np.float64
    grads = pg.backward(y)
    assert grads[x32].dtype == np.float32 and grads[x64].dtype == np.float64
    grads = pg.backward(y, pg.Config(create_graph=True))
    assert grads[x32].dtype == np.float32


def test_integer_constants_mix_with_float_variables() -> None:
    x = pg.variable(np.array([1.0, 2.0]))
    k = pg.constant(np.array([3, 4]))
    assert pg.backward(pg.sum(x * k))[x].value.tolist() == [3.0, 4.0]


@pytest.mark.parametrize("retain", [False, True])
def test_sums_added_in_place_never_touch_a_gradient_passed_on(retain: bool) -> None:
    # u's gradient is a sum (two consumers); add's rule hands that same array to p and m;
    # m's rule then sends p a second term. Adding it into the array p got from u would
    # change m's gradient and u's (retained) too.
    p = pg.variable(np.array([1.0, 2.0]))
    m = p * 5.0
    u = p + m
    y = pg.sum(u * 2.0 + u * 3.0)
    grads = pg.backward(y, pg.Config(retain_grad=retain))
    np.testing.assert_array_equal(grads[p].value, [30.0, 30.0])
    if retain:
        np.testing.assert_array_equal(grads[u].value, [5.0, 5.0])
        np.testing.assert_array_equal(grads[m].value, [5.0, 5.0])


def test_a_gradient_is_handed_to_a_rule_writable_only_when_nobody_else_holds_it() -> None:
    # add's rule hands one array to both relus: neither may write into it. The gradient
    # of the product is fresh and held by nothing else: relu may (and does) reuse it.
    p = pg.variable(np.array([-1.0, 2.0]))
    q = pg.variable(np.array([3.0, -4.0]))
    y = pg.sum((pg.relu(p) + pg.relu(q)) * np.array([5.0, 7.0]))
    grads = pg.backward(y)
    np.testing.assert_array_equal(grads[p].value, [0.0, 7.0])
    np.testing.assert_array_equal(grads[q].value, [5.0, 0.0])
    # retained, the relu node's own gradient is held by the result: relu may not write it
    h = pg.relu(p)
    grads = pg.backward(pg.sum(h * np.array([5.0, 7.0])), pg.Config(retain_grad=True))
    np.testing.assert_array_equal(grads[h].value, [5.0, 7.0])
    np.testing.assert_array_equal(grads[p].value, [0.0, 7.0])
    seen: list[bool] = []

    class Probe(pg.Op):
        name = "probe"

        def forward(self, x: Any) -> Any:
            return x * 1.0

        def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
            seen.append(gy.flags.writeable)
            return gy

    r = pg.variable(np.array([1.0, 2.0]))
    pg.backward(pg.sum(Probe()(r * 2.0) * np.array([3.0, 4.0])))  # fresh: handed over
    seed = np.array([1.0, 1.0])
    pg.backward(Probe()(r), seed=seed)
    assert seed.flags.writeable  # the caller's seed keeps its flags
    assert seen[0] is True
