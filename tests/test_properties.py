"""Property tests across the op table: every broadcasting binary op on random shape pairs,
and random compositions of ops, in float32 and float64, against finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import puregrad as pg

Fn = Callable[..., pg.Node[Any]]

BINARY: list[tuple[str, Fn]] = [
    ("add", pg.add),
    ("sub", pg.sub),
    ("mul", pg.mul),
    ("div", pg.div),
    ("power", pg.power),
    ("mean_squared_error", pg.mean_squared_error),
]
# Smooth on the inputs drawn below (positive where a log or a root needs it).
UNARY: list[tuple[str, Fn]] = [
    ("exp", lambda x: pg.exp(x * 0.5)),
    ("log", lambda x: pg.log(x * x + 1.0)),
    ("sin", pg.sin),
    ("cos", pg.cos),
    ("tanh", pg.tanh),
    ("sqrt", lambda x: pg.sqrt(x * x + 1.0)),
    ("sigmoid", pg.sigmoid),
    ("square", pg.square),
    ("neg", pg.neg),
    ("softmax", lambda x: pg.softmax(x, axis=-1)),
    ("log_softmax", lambda x: pg.log_softmax(x, axis=-1)),
    ("sum_keepdims", lambda x: pg.sum(x, axis=-1, keepdims=True)),
    ("mean", lambda x: pg.mean(x, axis=0, keepdims=True)),
    ("transpose_back", lambda x: pg.transpose(pg.transpose(x))),
]
DTYPES = [np.float64, np.float32]


def _array(seed: int, shape: tuple[int, ...], dtype: Any, low: float, high: float) -> Any:
    return np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)


@settings(max_examples=600)
@given(
    op=st.sampled_from(BINARY),
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_on_random_broadcasting_pairs(
    op: tuple[str, Fn], shapes: Any, dtype: Any, seed: int
) -> None:
    _, f = op
    x0 = _array(seed, shapes.input_shapes[0], dtype, 0.5, 2.0)
    x1 = _array(seed + 1, shapes.input_shapes[1], dtype, 0.5, 2.0)
    y = f(pg.variable(x0), pg.variable(x1))
    assert y.dtype == dtype
    pg.check_grad(f, x0, x1)


@settings(max_examples=600)
@given(
    chain=st.lists(st.sampled_from(UNARY), min_size=1, max_size=4),
    combine=st.sampled_from(BINARY[:4]),
    shape=st.sampled_from([(3,), (2, 3), (2, 1, 3)]),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
def test_random_compositions_of_ops(
    chain: list[tuple[str, Fn]], combine: tuple[str, Fn], shape: tuple[int, ...], dtype: Any,
    seed: int,
) -> None:
    def f(x: pg.Node[Any], w: pg.Node[Any]) -> pg.Node[Any]:
        y = x
        for _, g in chain:
            y = g(y)
        return combine[1](y, w)

    x = _array(seed, shape, dtype, -1.0, 1.0)
    w = _array(seed + 1, shape[-1:], dtype, 0.5, 1.5)
    assert f(pg.variable(x), pg.variable(w)).dtype == dtype
    pg.check_grad(f, x, w)


# What a sweep's order and summing is tested on: ops whose first derivatives are at most 1, so
# that eight steps of them stay within the reach of central differences (exp and square
# nested eight deep are not: their third derivatives swamp the difference quotient).
LIPSCHITZ: list[tuple[str, Fn]] = [u for u in UNARY if u[0] in ("log", "sin", "cos", "tanh", "sqrt", "sigmoid", "neg")]


@settings(max_examples=300)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(LIPSCHITZ + BINARY[:3]), st.integers(0, 99), st.integers(0, 99)),
        min_size=1,
        max_size=8,
    ),
    outputs=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_random_graphs_with_shared_nodes(
    steps: list[tuple[tuple[str, Fn], int, int]], outputs: int, seed: int
) -> None:
    """Each step applies an op to earlier nodes chosen at random, so nodes are reused
    (diamonds, fan-out, a node used twice by one op), and the last nodes are summed, so
    intermediate nodes feed the output directly and through later ops. The order of the sweep
    and the summing of contributions are what is tested."""

    def f(x: pg.Node[Any], w: pg.Node[Any]) -> pg.Node[Any]:
        nodes = [x, w]
        for (name, g), i, j in steps:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            nodes.append(g(a, b) if name in ("add", "sub", "mul") else g(a))
        # Products of products grow without bound: keep the values where differences work.
        assume(max(float(np.max(np.abs(n.value))) for n in nodes) < 4.0)
        return pg.sum(pg.concat([pg.reshape(n, (-1,)) for n in nodes[-outputs:]]))

    x = _array(seed, (3,), np.float64, -1.0, 1.0)
    w = _array(seed + 1, (3,), np.float64, -1.0, 1.0)
    pg.check_grad(f, x, w)
