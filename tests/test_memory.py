"""Memory claims, each checked by a test that fails if memory is kept: weakrefs that must be
dead with the garbage collector off, and tracemalloc peaks bounded in arrays."""

from __future__ import annotations

import sys
import time
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import puregrad as pg

N = 100_000  # elements per array: 800 kB in float64, far above any bookkeeping
ARRAY = N * 8


def arrays_in(nbytes: float) -> float:
    return nbytes / ARRAY


def peak_of(run: Callable[[], Any]) -> tuple[Any, float]:
    """What `run` returns, and the peak of traced memory above the start, in arrays."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, arrays_in(peak - start)


def test_a_graph_built_in_a_loop_is_freed_each_iteration(collector_off: None) -> None:
    # The seed's scenario: each iteration rebinds x and y, and the previous graph (its
    # intermediate too, and its gradient) is freed at that moment, by reference counting.
    previous: list[weakref.ref[Any]] = []
    for _ in range(5):
        x = pg.variable(np.random.default_rng(0).standard_normal(N))
        y = pg.square(pg.square(x))
        grads = pg.backward(pg.sum(y))
        assert previous == [] or all(r() is None for r in previous)
        previous = [weakref.ref(n) for n in (x, y, y.inputs[0], grads[x])]
        assert all(r() is not None for r in previous)
    del x, y, grads
    assert all(r() is None for r in previous)


def test_nodes_hold_no_reference_cycles(collector_off: None) -> None:
    x = pg.variable(np.ones(3))
    y = pg.sum(pg.exp(x) * x + 1.0)
    pg.backward(y, pg.Config(create_graph=True))
    refs = [weakref.ref(y), weakref.ref(x)]
    del x, y
    assert [r() for r in refs] == [None, None]


def test_no_grad_and_disabled_backprop_keep_no_inputs(collector_off: None) -> None:
    x = pg.variable(np.ones(N))
    for scope in (pg.no_grad, lambda: pg.using_config(pg.Config(enable_backprop=False))):
        with scope():
            a = pg.square(x)
            y = pg.exp(a)
        ref = weakref.ref(a)
        del a
        assert ref() is None and y.inputs == () and not y.requires_grad
    off = pg.Config(enable_backprop=False)
    a = pg.square(x, config=off)
    ref = weakref.ref(a)
    y = pg.exp(a, config=off)
    del a
    assert ref() is None
    # With backprop the intermediate lives as long as the output does.
    a = pg.square(x)
    ref = weakref.ref(a)
    y = pg.exp(a)
    del a
    assert ref() is not None
    del y
    assert ref() is None


def _chain(x: pg.Node[np.float64], depth: int) -> pg.Node[np.float64]:
    y = x
    for _ in range(depth):
        y = pg.square(y)  # ones stay ones: no overflow at any depth
    return y


def test_forward_memory_with_and_without_backprop() -> None:
    x = pg.variable(np.ones(N))
    depth = 20
    kept, _ = peak_of(lambda: _chain(x, depth))
    with_graph = tracemalloc_size(kept)
    with pg.no_grad():
        y, peak = peak_of(lambda: _chain(x, depth))
    # With backprop the graph holds every intermediate; without, only the result survives
    # and at most two arrays exist at once.
    assert with_graph >= depth
    assert peak <= 2.1 and y.inputs == ()


def tracemalloc_size(y: pg.Node[Any]) -> float:
    """Arrays reachable through y's graph (each intermediate counted once)."""
    seen: set[int] = set()
    stack: list[pg.Node[Any]] = [y]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            stack.extend(i for i in n.inputs if type(i) is pg.Node)
    return float(len(seen) - 1)


@pytest.mark.parametrize("depth", [10, 40])
def test_backward_peak_is_a_couple_of_arrays_whatever_the_depth(depth: int) -> None:
    x = pg.variable(np.ones(N))
    y = _chain(x, depth)
    grads, peak = peak_of(lambda: pg.backward(y))
    # The gradient in flight and the rule's result (numpy reuses the rule's temporary for
    # it): 2 arrays, as numpy by hand, at depth 10 and 40 alike. Keeping intermediate
    # gradients would cost `depth` arrays; holding the seed to the end, one more.
    assert peak <= 2.1, f"backward peak {peak:.2f} arrays at depth {depth}"
    assert set(grads) == {x}


def test_retain_grad_keeps_every_intermediate_gradient() -> None:
    depth = 20
    x = pg.variable(np.ones(N))
    y = _chain(x, depth)
    grads, peak = peak_of(lambda: pg.backward(y, pg.Config(retain_grad=True)))
    assert len(grads) == depth + 1
    assert peak >= depth  # what retain_grad=False releases, measured the same way


def test_a_million_op_chain_differentiates_and_is_freed(collector_off: None) -> None:
    depth = 1_000_000
    x = pg.variable(np.array(1.5))
    start = time.perf_counter()
    y: pg.Node[np.float64] = x
    for _ in range(depth):
        y = -y
    assert y.generation == depth
    assert pg.backward(y)[x].value == 1.0  # an even number of negations
    ref = weakref.ref(y)
    del y
    assert ref() is None
    assert sys.getrecursionlimit() < depth  # so a recursive sweep would have failed
    assert time.perf_counter() - start < 120
