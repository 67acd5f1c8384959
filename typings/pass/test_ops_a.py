"""Typical use of the elementwise, shape and reduction ops: it must type-check under
--strict, and it runs."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

F = TypeVar("F", bound=np.floating[Any])


def mlp(x: pg.Node[F] | NDArray[F], w1: pg.Node[F], w2: pg.Node[F]) -> pg.Node[F]:
    """A two-layer network, generic in the floating type."""
    h = pg.sigmoid(pg.sum(x[:, :, None] * w1, axis=1))
    return pg.tanh(pg.sum(pg.relu(h)[:, :, None] * w2, axis=1))


def train_step(dtype: type[F]) -> pg.Node[F]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(dtype)
    w1 = pg.variable(rng.standard_normal((3, 5)).astype(dtype))
    w2 = pg.variable(rng.standard_normal((5, 2)).astype(dtype))
    grads = pg.backward(mlp(x, w1, w2).mean())
    assert grads[w2].shape == (5, 2)
    return grads[w1]


def test_generic_network_in_float64_and_float32() -> None:
    g64: pg.Node[np.float64] = train_step(np.float64)
    g32: pg.Node[np.float32] = train_step(np.float32)
    assert g64.dtype == np.float64 and g32.dtype == np.float32


def test_layer_norm_like_statistics() -> None:
    x: pg.Node[np.float32] = pg.variable(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    centered = x - x.mean(axis=1, keepdims=True)
    scaled: pg.Node[np.float32] = centered / pg.sqrt(pg.mean(centered**2, axis=1, keepdims=True) + 1e-5)
    spread = scaled.max(axis=1) - scaled.min(axis=1)
    grads = pg.backward(spread.sum())
    assert grads[x].dtype == np.float32


def test_batches_by_split_and_concat() -> None:
    data: pg.Node[np.float64] = pg.variable(np.linspace(0.0, 1.0, 12).reshape(6, 2))
    batches: tuple[pg.Node[np.float64], ...] = pg.split(data, 3)
    outputs = [pg.sin(b).T for b in batches]
    joined = pg.concat(outputs, axis=1)
    assert joined.shape == (2, 6)
    assert pg.backward(joined.sum())[data].shape == (6, 2)


def test_picking_scores_by_label() -> None:
    scores = pg.variable(np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 4.0]]))
    labels = np.array([2, 0])
    picked = scores[np.arange(2), labels]
    g = pg.backward(-picked.sum())[scores]
    assert g.value.tolist() == [[0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]]


def test_second_derivative_of_an_elementwise_chain() -> None:
    x = pg.variable(np.array([0.3, -0.7]))
    first = pg.backward(pg.sum(pg.cos(pg.sin(x))), pg.Config(create_graph=True))[x]
    second: pg.Node[np.float64] = pg.backward(first.sum())[x]
    assert second.shape == (2,)
