"""puregrad: the workloads as a user writes them (operators, `pg.backward`).

Names not on this branch yet are looked up at run time: a workload that needs a missing one is
skipped with a message naming it (`MISSING`), except `sin`, which falls back to an op defined
here with the core's own `Elementwise` (the same path every built-in elementwise op takes).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

import puregrad as pg
from benchmarks.spec import CHAIN_ADD, CHAIN_MUL, CHAIN_X, MLPData, fan_in_constants
from puregrad.op import Elementwise, unary_function

NAME: Final = "puregrad"
VERSION: Final = importlib.metadata.version("puregrad")

Array = NDArray[np.float64]


def _local_sin() -> Callable[..., pg.Node[Any]]:
    cos: Elementwise = Elementwise("cos", np.cos, lambda gy, x, y: -gy * sin_op(x))
    sin_op: Elementwise = Elementwise("sin", np.sin, lambda gy, x, y: gy * cos(x))
    return unary_function(sin_op, "sin (benchmark fallback until pg.sin lands)")


_sin: Callable[..., pg.Node[Any]] | None = getattr(pg, "sin", None)
NOTES: Final[list[str]] = (
    [] if _sin is not None else ["pg.sin is not on this branch: a local Elementwise sin is used"]
)
sin: Final[Callable[..., pg.Node[Any]]] = _sin if _sin is not None else _local_sin()

MISSING: Final[dict[str, list[str]]] = {
    "mlp": [n for n in ("matmul", "relu", "softmax_cross_entropy") if not hasattr(pg, n)],
}


def chain_forward(triples: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    x = pg.variable(CHAIN_X)
    y = x
    for _ in range(triples):
        y = sin(y)
        y = y * CHAIN_MUL
        y = y + CHAIN_ADD
    return x, y


def chain_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y)[x].value)


_CREATE_GRAPH: Final = pg.Config(create_graph=True)


def chain_backward_create_graph(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y, _CREATE_GRAPH)[x].value)


def chain_forward_no_grad(triples: int) -> pg.Node[np.float64]:
    with pg.no_grad():
        _, y = chain_forward(triples)
    return y


def fan_in_forward(n: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    x = pg.variable(CHAIN_X)
    constants = fan_in_constants(n)
    y = x * constants[0]
    for c in constants[1:]:
        y = y + x * c
    return x, y


def fan_in_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> float:
    x, y = state
    return float(pg.backward(y)[x].value)


def sin_forward(x: Array, depth: int) -> tuple[pg.Node[np.float64], pg.Node[np.float64]]:
    xv = pg.variable(x)  # read-only: not copied
    y = xv
    for _ in range(depth):
        y = sin(y)
    return xv, y


def sin_backward(state: tuple[pg.Node[np.float64], pg.Node[np.float64]]) -> pg.Node[np.float64]:
    x, y = state
    return pg.backward(y)[x]


def mlp_step(data: MLPData) -> tuple[Callable[[], Any], Callable[[Any], list[float]]]:
    matmul: Any = getattr(pg, "matmul")
    relu: Any = getattr(pg, "relu")
    softmax_cross_entropy: Any = getattr(pg, "softmax_cross_entropy")
    x = pg.constant(data.x)
    params = tuple(pg.variable(a) for a in (data.w1, data.b1, data.w2, data.b2))
    w1, b1, w2, b2 = params

    def step() -> tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]:
        h = relu(matmul(x, w1) + b1)
        loss: pg.Node[np.float64] = softmax_cross_entropy(matmul(h, w2) + b2, data.t)
        grads = pg.backward(loss)
        return loss, tuple(grads[p] for p in params)

    def check(result: tuple[pg.Node[np.float64], tuple[pg.Node[np.float64], ...]]) -> list[float]:
        loss, grads = result
        return [float(loss.value), *(float(g.value.sum()) for g in grads)]

    return step, check
