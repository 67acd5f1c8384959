"""einsum: every subscript form numpy accepts, against numpy's values and finite differences
(to third order: each gradient is an einsum again), float32, and bad subscripts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import puregrad as pg
from puregrad.ops.einsum import parse_subscripts
from tests.helpers import check_orders, rand

xp: Any = np
"""numpy as called on nodes (its stubs would type each result as an array, not a Node)."""

CASES: list[tuple[str, list[tuple[int, ...]]]] = [
    ("ij,jk->ik", [(2, 3), (3, 2)]),  # matrix product
    ("ij,jk", [(2, 3), (3, 2)]),  # implicit output
    ("ba", [(2, 3)]),  # implicit: sorted, so a transpose
    ("ij->ji", [(2, 3)]),
    ("ii", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("iij->j", [(2, 2, 3)]),
    ("iii->i", [(2, 2, 2)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("i,i", [(3,), (3,)]),  # inner product
    ("i,j->ij", [(2,), (3,)]),  # outer product
    ("ij,k->i", [(2, 3), (2,)]),  # k summed in the second operand only
    ("ij,ij->ij", [(1, 3), (2, 3)]),  # a size-1 index broadcasts
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("i,i,i->", [(3,), (3,), (3,)]),
    ("ii,i->i", [(3, 3), (3,)]),
    (",i->i", [(), (3,)]),  # a scalar operand
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (2, 3, 2)]),  # ellipses broadcast
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(2, 3, 2)]),
    ("...", [(2, 3)]),
    ("i...,i...", [(2, 3), (2, 1)]),  # implicit output with an ellipsis
    ("Ab,bc->Ac", [(2, 3), (3, 2)]),  # capital letters
]


@pytest.mark.parametrize(("subscripts", "shapes"), CASES)
def test_einsum_matches_numpy_and_finite_differences_to_third_order(
    subscripts: str, shapes: list[tuple[int, ...]]
) -> None:
    xs = [rand(*s, seed=k + 1) for k, s in enumerate(shapes)]
    def f(*a: Any) -> Any:
        return xp.einsum(subscripts, *a)

    y = f(*(pg.variable(x) for x in xs))
    assert type(y) is pg.Node
    np.testing.assert_allclose(y.value, xp.einsum(subscripts, *xs), rtol=1e-13)
    check_orders(f, *xs, order=3 if len(xs) <= 2 else 2)


@pytest.mark.parametrize(("subscripts", "shapes"), CASES[:6] + CASES[-6:])
def test_einsum_float32_and_optimize(subscripts: str, shapes: list[tuple[int, ...]]) -> None:
    xs = [rand(*s, seed=k + 1, dtype=np.float32) for k, s in enumerate(shapes)]
    nodes = [pg.variable(x) for x in xs]
    y = pg.einsum(subscripts, *nodes, optimize=True)
    assert y.dtype == np.float32
    grads = pg.backward(pg.sum(y))
    assert all(grads[x].dtype == np.float32 for x in nodes)
    pg.check_grad(lambda *a: pg.einsum(subscripts, *a, optimize="greedy"), *xs)


def test_sublist_form_and_mixed_constants() -> None:
    a, b = rand(2, 3, seed=1), rand(3, 4, seed=2)
    x = pg.variable(a)
    np.testing.assert_allclose(xp.einsum(x, [0, 1], b, [1, 2], [0, 2]).value, a @ b)
    np.testing.assert_allclose(pg.einsum(x, [0, 1], b, [1, 2]).value, a @ b)
    np.testing.assert_allclose(xp.einsum(x, [Ellipsis, 1], [Ellipsis]).value, a.sum(1))
    grads = pg.backward(pg.sum(xp.einsum("ij,jk->ik", b.T, x.T)))
    np.testing.assert_allclose(grads[x].value, np.ones((2, 1)) * b.sum(1)[None, :])


def test_diagonal_and_trace_gradients_are_exact() -> None:
    a = rand(3, 3, seed=1)
    x = pg.variable(a)
    np.testing.assert_array_equal(pg.backward(pg.einsum("ii", x))[x].value, np.eye(3))
    g = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(pg.backward(pg.einsum("ii->i", x), seed=g)[x].value, np.diag(g))


def test_parse_subscripts_makes_every_form_explicit() -> None:
    assert parse_subscripts("ij,jk", [(2, 3), (3, 4)]) == (("ij", "jk"), "ik")
    assert parse_subscripts("ii", [(3, 3)]) == (("ii",), "")
    assert parse_subscripts(" i j -> j i ", [(2, 3)]) == (("ij",), "ji")
    assert parse_subscripts("...i,i...->...", [(4, 2, 3), (3, 2)]) == (("abi", "ib"), "ab")


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"),
    [
        ("ij,jk->ik", [(2, 3)], "names 2 operands, but 1"),
        ("ij->ik", [(2, 3)], "output index 'k'"),
        ("ij->ii", [(2, 3)], "repeats an index"),
        ("ijk", [(2, 3)], "names 3 axes"),
        ("i1", [(2, 3)], "invalid subscript"),
        ("i->j->k", [(2,)], "more than one"),
        ("...i->i", [(2, 3)], "not in its output"),
        ("ij,jk->ik", [(2, 3), (4, 2)], r"einsum: the sizes of .* do not match shapes \(2, 3\), \(4, 2\)"),
    ],
)
def test_bad_subscripts_raise_value_errors(subscripts: str, shapes: list[tuple[int, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pg.einsum(subscripts, *(pg.variable(np.ones(s)) for s in shapes))


def test_bad_operands_raise_type_errors() -> None:
    with pytest.raises(TypeError, match="einsum: expected nodes"):
        pg.einsum("i", [1.0, 2.0])  # type: ignore[call-overload]  # a list on purpose
    with pytest.raises(TypeError, match="einsum"):
        xp.einsum("i", pg.variable(np.ones(2)), out=np.zeros(2))


LETTERS = "abcd"


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_random_two_operand_contractions(data: st.DataObject) -> None:
    sizes = {c: data.draw(st.integers(1, 3)) for c in LETTERS}
    term = st.lists(st.sampled_from(LETTERS), min_size=0, max_size=3).map("".join)
    t0, t1 = data.draw(term), data.draw(term)
    pool = sorted(set(t0 + t1))
    output = "".join(data.draw(st.permutations(pool))[: data.draw(st.integers(0, len(pool)))])
    subscripts = f"{t0},{t1}->{output}"
    xs: list[NDArray[Any]] = [
        rand(*(sizes[c] for c in t), seed=k + 3) for k, t in enumerate((t0, t1))
    ]
    y = pg.einsum(subscripts, *(pg.variable(x) for x in xs))
    np.testing.assert_allclose(y.value, xp.einsum(subscripts, *xs), rtol=1e-12, atol=1e-14)
    check_orders(lambda *a: pg.einsum(subscripts, *a), *xs, order=2)
