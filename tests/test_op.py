"""How `apply` stores an op's result: never aliasing memory a caller can write, and never
copied when the memory is the op's own (a view of a fresh array nobody else holds)."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

import puregrad as pg

N = 100_000  # 800 kB in float64


def _peak(run: Any) -> tuple[Any, float]:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run()
        return result, (tracemalloc.get_traced_memory()[1] - base) / (N * 8)
    finally:
        tracemalloc.stop()


def test_a_view_of_a_fresh_copy_is_stored_without_a_second_copy() -> None:
    # reshape of a transposed (non-contiguous) array: numpy copies once and returns a view
    # of its copy; storing that view as it is costs one array, copying it again two.
    x = pg.variable(np.ones((N // 100, 100)))
    xt = pg.transpose(x)
    y, peak = _peak(lambda: pg.reshape(xt, (N,)))
    assert peak < 1.5
    assert y.value.base is not None and not y.value.base.flags.writeable
    assert not y.value.flags.writeable
    np.testing.assert_array_equal(y.value, np.ones(N))


class _Cached(pg.Op):
    """A forward returning a view of an array that something else still holds."""

    name = "cached"
    store: list[Any] = []

    def forward(self, x: Any) -> Any:
        owner = np.array(x, copy=True)
        self.store.append(owner)
        return owner[::-1]

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        return gy[::-1]


def test_a_view_of_memory_held_elsewhere_is_copied() -> None:
    y = _Cached()(pg.variable(np.arange(4.0)))
    owner = _Cached.store.pop()
    assert owner.flags.writeable  # left as it was
    owner[:] = -1.0
    np.testing.assert_array_equal(y.value, [3.0, 2.0, 1.0, 0.0])


@pytest.mark.parametrize("hold", [False, True])
def test_a_view_of_a_writable_operand_is_copied(hold: bool) -> None:
    a = np.arange(6.0).reshape(2, 3)
    y = pg.reshape(a if hold else a.T, (6,))
    if hold:  # a view of the caller's own array: copied
        a[0, 0] = 100.0
        assert y.value[0] == 0.0
    assert not y.value.flags.writeable
