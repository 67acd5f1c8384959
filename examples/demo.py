"""A walk through DeZero's steps 17-18 with puregrad: what `make demo` runs.

Each section prints what happens; read it top to bottom beside its output.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

import puregrad as pg

N = 1_000_000  # elements per array in the memory sections: 8 MB each in float64


def section(title: str) -> None:
    print(f"\n== {title}")


def in_arrays(run: Callable[[], Any]) -> tuple[Any, float]:
    """Run, and say how much memory it peaked at above its start, in arrays of N floats."""
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    result = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, (peak - start) / (N * 8)


def gradients() -> None:
    section("1. Gradients are returned, not written onto nodes")
    x = pg.variable(np.array([1.0, 2.0]), name="x")
    y = pg.sum(x**3 + 2 * x)
    grads = pg.backward(y)  # a pure function: it changes no node
    print(f"y = sum(x**3 + 2x) = {y.value}")
    print(f"dy/dx = 3x**2 + 2 = {grads[x].value}")
    # Record the backward pass itself to differentiate again.
    dx = pg.backward(y, pg.Config(create_graph=True))[x]
    print(f"d2y/dx2 = 6x = {pg.backward(pg.sum(dx))[x].value}")
    try:
        grads[x] = dx  # type: ignore[index]  # shown on purpose: Gradients is immutable
    except TypeError as error:
        print(f"grads[x] = ... -> TypeError: {error}")


def freed_graph() -> None:
    section("2. A graph is freed as soon as it is dropped (reference counting only)")
    gc.disable()  # no cycle collector: nothing in puregrad needs it
    try:
        previous: list[weakref.ref[Any]] = []
        for i in range(3):
            x = pg.variable(np.random.default_rng(i).standard_normal(10_000))
            y = pg.square(pg.square(x))
            alive = sum(r() is not None for r in previous)
            print(f"iteration {i}: nodes of the previous graph still alive: {alive}")
            previous = [weakref.ref(x), weakref.ref(y), weakref.ref(y.inputs[0])]
    finally:
        gc.enable()


def chain(x: pg.Node[np.float64], depth: int) -> pg.Node[np.float64]:
    y = x
    for _ in range(depth):
        y = pg.square(y)
    return y


def memory_without_backprop() -> None:
    section("3. Memory with and without backprop (30 squares of 1M floats)")
    x = pg.variable(np.ones(N))
    with_graph, peak = in_arrays(lambda: chain(x, 30))
    print(f"with backprop:    peak {peak:5.1f} arrays (the graph keeps every intermediate)")
    del with_graph
    with pg.no_grad():  # or pass config=pg.Config(enable_backprop=False) to each op
        y, peak = in_arrays(lambda: chain(x, 30))
    print(f"under no_grad:    peak {peak:5.1f} arrays; the result keeps {len(y.inputs)} inputs")


def backward_peak() -> None:
    section("4. Backward's peak with retain_grad off and on (30 squares of 1M floats)")
    x = pg.variable(np.ones(N))
    y = chain(x, 30)
    for retain in (False, True):
        grads, peak = in_arrays(lambda: pg.backward(y, pg.Config(retain_grad=retain)))
        print(
            f"retain_grad={retain!s:5}: peak {peak:5.1f} arrays above the forward, "
            f"{len(grads)} gradient(s) returned"
        )


def remat_block(x: pg.Node[np.float64]) -> pg.Node[np.float64]:
    """Ten elementwise ops: `x + 0.1 sin(x)` and a little more (gradients of order 1)."""
    y = ((x + pg.sin(x) * 0.1) * 2.0 - 0.1) * 0.5 + 0.05
    return y + pg.cos(y) * 0.01


def rematerialization() -> None:
    size = 200_000  # floats per array (1.6 MB): the plain chain's graph holds 200 of them
    section("4b. Rematerialization: 20 blocks of 10 ops, plain and under pg.checkpoint")

    def arrays(run: Callable[[], Any]) -> tuple[Any, float, float]:
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        result = run()
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return result, (held - start) / (size * 8), (peak - start) / (size * 8)

    x = pg.variable(np.random.default_rng(0).standard_normal(size))
    for label, block in (("plain", remat_block), ("checkpoint", pg.checkpoint(remat_block))):

        def forward() -> pg.Node[np.float64]:
            y = x
            for _ in range(20):
                y = block(y)
            return pg.sum(y)

        y, held, peak = arrays(forward)
        grads, _, backward = arrays(lambda: pg.backward(y))
        print(
            f"{label:10}: the graph holds {held:5.1f} arrays (forward peak {peak:5.1f}); "
            f"backward peaks {backward:4.1f} above it; sum |dy/dx| = {np.abs(grads[x].value).sum():.9e}"
        )
        del y, grads
    print("checkpoint keeps each block's output and recomputes its inside during backward")


def scoped_config() -> None:
    section("5. Scoped defaults: restored even when the block raises")
    try:
        with pg.using_config(pg.Config(enable_backprop=False)):
            print(f"inside:  enable_backprop={pg.get_config().enable_backprop}")
            raise RuntimeError("an error inside the block")
    except RuntimeError:
        pass
    print(f"after:   enable_backprop={pg.get_config().enable_backprop}")


def main() -> None:
    gradients()
    freed_graph()
    memory_without_backprop()
    backward_peak()
    rematerialization()
    scoped_config()


if __name__ == "__main__":
    main()
