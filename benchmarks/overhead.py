"""Where puregrad's time per op goes on a 0-d value: each step of applying an op, timed alone
(best of many, so noise from other processes drops out), beside the bare numpy call.

    python -m benchmarks.overhead

A diagnostic for whoever optimizes the core, not part of `make bench`; it reaches into
private functions (`puregrad.op._operands`, ...) on purpose and may need updating when they
change.
"""

from __future__ import annotations

import importlib
import time
import timeit
from collections.abc import Callable
from typing import Any, Final

import numpy as np

import puregrad as pg
from puregrad import node as node_module
from puregrad import op as op_module
from puregrad.ops import arithmetic

NUMBER: Final = 20_000
# `puregrad.backward` the attribute is the function; the module is only reachable this way.
backward_module: Final = importlib.import_module("puregrad.backward")


def best_us(statement: Callable[[], object], number: int = NUMBER, repeat: int = 7) -> float:
    """The fastest of `repeat` runs of `number` calls, in µs per call."""
    return min(timeit.repeat(statement, number=number, repeat=repeat)) / number * 1e6


def forward_steps() -> list[tuple[str, float]]:
    y = pg.variable(0.5)
    value = y.value
    mul: Any = arithmetic.MUL
    values, inputs = op_module._operands("mul", (y, 0.99), True)
    assert inputs is not None  # y requires grad: the op is recorded
    raw = mul.forward(*values)
    frozen = op_module._freeze(raw)
    inference = pg.Config(enable_backprop=False)
    return [
        ("np.multiply(0-d array, float) (numpy by hand's op)", best_us(lambda: np.multiply(value, 0.99))),
        ("np.float64 * float", best_us(lambda: raw * 0.99)),
        ("_operands (the general path): unpack and check operands", best_us(lambda: op_module._operands("mul", (y, 0.99), True))),
        ("Binary.forward (the ufunc itself)", best_us(lambda: mul.forward(*values))),
        ("_freeze: np.array of the numpy scalar, read-only flag", best_us(lambda: op_module._freeze(raw))),
        ("_new_node: object.__new__ and five slot setters", best_us(lambda: node_module._new_node(frozen, mul, inputs))),
        ("apply(MUL, (y, c)) in all", best_us(lambda: op_module.apply(mul, (y, 0.99), None))),
        ("pg.mul(y, c)", best_us(lambda: pg.mul(y, 0.99))),
        ("y * c (Node.__mul__ -> apply)", best_us(lambda: y * 0.99)),
        ("pg.mul(y, c, config=Config(enable_backprop=False))", best_us(lambda: pg.mul(y, 0.99, config=inference))),
    ]


def backward_steps(ops: int = 3000) -> list[tuple[str, float]]:
    x = pg.variable(0.5)
    y = x
    for _ in range(ops):
        y = y * 0.99
    seeds = [np.ones((), np.float64)]
    outputs = (y,)
    whole = best_us(lambda: pg.backward(y), number=3, repeat=5) / ops
    sweep = best_us(lambda: backward_module._sweep(outputs, list(seeds), False, False), number=3, repeat=5) / ops
    value = y.value
    mul: Any = arithmetic.MUL
    xs = (value, 0.99)
    gy = np.float64(1.0)
    return [
        ("pg.backward on a chain of y * c, per op", whole),
        ("_sweep alone, per op", sweep),
        ("  of which: MUL.vjp(0, gy, xs, y) (a numpy scalar multiply)", best_us(lambda: mul.vjp(0, gy, xs, value))),
        ("  of which: _fit(gx, x) (shape and dtype compare)", best_us(lambda: backward_module._fit(gy, value))),
        ("  of which: tuple(x.value if type(x) is Node else x ...)", best_us(lambda: tuple(v.value if type(v) is pg.Node else v for v in (y, 0.99)))),
        ("numpy by hand: gy * c", best_us(lambda: gy * 0.99)),
    ]


def chain_floor(triples: int = 3334, repeat: int = 9) -> list[tuple[str, float]]:
    """The scalar chain (sin, * c, + c) forward, per op: puregrad beside the floor that any
    design keeping the API's values (a read-only 0-d ndarray per op) cannot go under."""

    def per_op(build: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            start = time.process_time()
            build()
            times.append(time.process_time() - start)
        return sorted(times)[repeat // 2] / (3 * triples) * 1e6

    def floor() -> list[Any]:
        kept: list[Any] = []
        y = np.array(0.5)
        for _ in range(triples):
            for step in (np.sin, lambda v: v * 0.99, lambda v: v + 0.01):
                y = np.array(step(y))
                y.setflags(write=False)
                kept.append(y)
        return kept

    def puregrad() -> object:
        y = pg.variable(0.5)
        for _ in range(triples):
            y = pg.sin(y) * 0.99 + 0.01
        return y

    return [
        ("floor: ufunc, 0-d ndarray, read-only flag (numpy by hand, kept as the API keeps it)", per_op(floor)),
        ("puregrad forward", per_op(puregrad)),
    ]


def main() -> None:
    sections = (
        ("forward, one op on a 0-d value", forward_steps()),
        ("backward", backward_steps()),
        ("scalar chain forward per op (median CPU time)", chain_floor()),
    )
    for title, steps in sections:
        print(f"\n{title}")
        for label, us in steps:
            print(f"  {us:7.3f} µs  {label}")


if __name__ == "__main__":
    main()
