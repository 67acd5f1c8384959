"""checkpoint: the graph keeps only a block's inputs and output, intermediates are recomputed
in backward; gradients equal the plain chain's (first and second order, closed-over
parameters included); memory bounded in arrays (tracemalloc) and weakrefs dead."""

from __future__ import annotations

import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, rand

N = 1_000_000  # 8 MB per float64 array, as the issue asks
BLOCKS = 20
OPS_PER_BLOCK = 10


def block(x: pg.Node[Any]) -> pg.Node[Any]:
    """Ten elementwise ops, each making a new array: about `1.03 (x - 0.01 x^3)`, so values
    stay bounded and gradients of order 1 through 20 blocks (neither vanishing nor
    exploding). Only products and sums: a test budget of seconds on 8 MB arrays."""
    s = x * x
    s = s * x
    s = s * -0.01
    y = x + s
    y = y * 1.05
    y = y + 0.01
    t = y * y
    t = t * 0.001
    y = y - t
    return y * 0.98


def chain(x: pg.Node[Any], step: Callable[[pg.Node[Any]], pg.Node[Any]]) -> pg.Node[Any]:
    for _ in range(BLOCKS):
        x = step(x)
    return x


def held_arrays(y: pg.Node[Any], size: int) -> float:
    """Bytes of the distinct arrays reachable through y's graph, in arrays of `size` floats."""
    seen: dict[int, int] = {}
    stack = [y]
    visited: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in visited:
            continue
        visited.add(id(n))
        seen[id(n.value)] = n.value.nbytes
        stack.extend(i for i in n.inputs if type(i) is pg.Node)
    return sum(seen.values()) / (size * 8)


def peak_of(run: Callable[[], Any], size: int) -> tuple[Any, float, float]:
    """What `run` returns, the memory it still holds and its peak, in arrays of `size`."""
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        result = run()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, (current - start) / (size * 8), (peak - start) / (size * 8)


def test_twenty_checkpointed_blocks_hold_twenty_arrays_and_backward_one_block() -> None:
    x = pg.variable(np.random.default_rng(0).standard_normal(N))
    checkpointed = pg.checkpoint(block)
    y, held, forward_peak = peak_of(lambda: chain(x, checkpointed), N)
    # One output per block survives the forward; one block's intermediates exist at a time.
    assert BLOCKS - 0.5 <= held <= BLOCKS + 0.5, f"forward holds {held:.1f} arrays"
    assert held_arrays(y, N) <= BLOCKS + 1.5  # the outputs and x
    assert forward_peak <= BLOCKS + OPS_PER_BLOCK + 1.5, f"forward peak {forward_peak:.1f}"
    grads, _, backward_peak = peak_of(lambda: pg.backward(pg.sum(y)), N)
    # What a plain backward of one block needs above its graph (gradients in flight, a
    # rule's temporaries): measured, not guessed.
    one = block(pg.variable(x.value))
    _, _, sweep = peak_of(lambda: pg.backward(pg.sum(one)), N)
    del one
    # Backward recomputes one block (its 10 intermediates) and sweeps it: bounded by one
    # block, not by the chain (the plain chain's graph holds 200; gradients kept by the
    # checkpoints would add one per block), with one array of slack for the upstream
    # gradient and the check that the recomputation matches the first run.
    assert backward_peak <= OPS_PER_BLOCK + sweep + 1.5, (
        f"backward peak {backward_peak:.1f} arrays; one block's sweep {sweep:.1f}"
    )
    assert set(grads) == {x}
    # The plain chain holds every intermediate: ten per block (measured on smaller arrays;
    # counted in arrays, the figure does not depend on their size).
    small = 10_000
    plain, plain_held, _ = peak_of(lambda: chain(pg.variable(np.ones(small)), block), small)
    assert plain_held >= BLOCKS * OPS_PER_BLOCK - 0.5, f"plain chain holds {plain_held:.1f}"
    del plain
    # And the gradient equals the plain chain's, on a slice of the same input.
    part = pg.variable(x.value[:1000])
    reference = pg.backward(pg.sum(chain(part, block)))[part].value
    assert 0.1 < np.abs(reference).mean() < 10  # a gradient that neither vanished nor blew up
    np.testing.assert_allclose(grads[x].value[:1000], reference, rtol=1e-13)


def test_the_first_runs_intermediates_are_freed(collector_off: None) -> None:
    refs: list[weakref.ref[pg.Node[Any]]] = []

    def noted(x: pg.Node[Any]) -> pg.Node[Any]:
        h = pg.sin(x)
        refs.append(weakref.ref(h))
        return pg.exp(h)

    x = pg.variable(np.ones(3))
    y = pg.checkpoint(noted)(x)
    assert y.inputs == (x,) and refs[0]() is None  # dead, with the collector off
    grads = pg.backward(pg.sum(y), HIGHER)
    assert len(refs) == 2 and refs[1]() is not None  # recorded under create_graph
    pg.backward(pg.sum(y))
    assert len(refs) == 3 and refs[2]() is None  # the plain recomputation's are freed
    # The checkpoint's node, its op and the create_graph gradient hold no cycle.
    assert y.origin is not None
    node, op = weakref.ref(y), weakref.ref(y.origin)
    del y, grads
    assert node() is None and op() is None and refs[1]() is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_equal_the_plain_chains_first_and_second_order(dtype: type[np.floating[Any]]) -> None:
    x0 = rand(50, dtype=dtype, seed=1)
    results = []
    for step in (block, pg.checkpoint(block)):
        x = pg.variable(x0)
        y = pg.sum(chain(x, step))
        g = pg.backward(y, HIGHER)[x]
        h = pg.backward(pg.sum(g * g))[x]
        assert g.dtype == h.dtype == dtype
        results.append((y.value, g.value, h.value))
    (y1, g1, h1), (y2, g2, h2) = results
    assert np.abs(g1).mean() > 0.1 and np.abs(h1).mean() > 0.1  # not vanished
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_allclose(g2, g1, rtol=1e-6 if dtype == np.float32 else 1e-13)
    np.testing.assert_allclose(h2, h1, rtol=1e-5 if dtype == np.float32 else 1e-12)
    pg.check_grad(lambda v: pg.checkpoint(block)(v), rand(4, seed=2))


def test_closed_over_parameters_get_their_gradients() -> None:
    layer = pg.Linear(3, 3)
    arrays = layer.init(np.random.default_rng(0))
    data = rand(5, 3, seed=3)

    def loss(params: pg.LinearParams[np.float64], remat: bool) -> pg.Node[np.float64]:
        h: pg.Node[np.float64] | NDArray[np.float64] = data
        def apply(v: pg.Node[np.float64] | NDArray[np.float64]) -> pg.Node[np.float64]:
            return pg.tanh(layer.apply(params, v))  # params: captured by the closure

        for _ in range(3):  # the same parameters in every block
            h = pg.checkpoint(apply)(h) if remat else apply(h)
        return pg.sum(h * h)

    plain = pg.tree_value_and_grad(loss)(arrays, False)
    remat = pg.tree_value_and_grad(loss)(arrays, True)
    np.testing.assert_array_equal(plain[0], remat[0])
    np.testing.assert_allclose(remat[1].W, plain[1].W, rtol=1e-13)
    assert remat[1].b is not None and plain[1].b is not None
    np.testing.assert_allclose(remat[1].b, plain[1].b, rtol=1e-13)
    # The checkpoint node's inputs: its argument, then W and b.
    params = pg.to_variables(arrays)
    y = pg.checkpoint(lambda v: layer.apply(params, v))(pg.variable(data))
    assert y.inputs[1:] == (params.W, params.b)


def test_nested_in_transforms_and_closing_over_intermediates() -> None:
    x = rand(4, seed=4)

    def f(w: pg.Node[np.float64]) -> pg.Node[np.float64]:
        scaled = w * 2.0  # an intermediate of the outer graph, captured by the block
        return pg.sum(pg.checkpoint(lambda v: pg.sin(v * scaled) * v)(pg.exp(w)))

    def f_plain(w: pg.Node[np.float64]) -> pg.Node[np.float64]:
        return pg.sum(pg.sin(pg.exp(w) * (w * 2.0)) * pg.exp(w))

    np.testing.assert_allclose(pg.grad(f)(x), pg.grad(f_plain)(x), rtol=1e-13)
    np.testing.assert_allclose(pg.hessian(f)(x), pg.hessian(f_plain)(x), rtol=1e-12)
    v = rand(4, seed=5)
    np.testing.assert_allclose(pg.hvp(f, x, v), pg.hvp(f_plain, x, v), rtol=1e-12)
    np.testing.assert_allclose(pg.jvp(f, (x,), (v,))[1], pg.jvp(f_plain, (x,), (v,))[1], rtol=1e-12)
    # Checkpoints inside checkpoints.
    nested = pg.checkpoint(lambda u: pg.checkpoint(block)(pg.checkpoint(block)(u)))
    np.testing.assert_allclose(
        pg.grad(lambda u: pg.sum(nested(u)))(x), pg.grad(lambda u: pg.sum(block(block(u))))(x), rtol=1e-13
    )


def test_no_grad_constants_and_identity() -> None:
    x = pg.variable(np.ones(2))
    with pg.no_grad():
        y = pg.checkpoint(block)(x)
    assert not y.requires_grad and y.inputs == ()
    assert pg.checkpoint(lambda v: v)(x) is x
    c = pg.checkpoint(block)(pg.constant(np.ones(2)))
    assert not c.requires_grad
    np.testing.assert_array_equal(c.value, block(pg.constant(np.ones(2))).value)


def test_what_checkpoint_cannot_do_is_an_error_naming_it() -> None:
    x = pg.variable(np.ones(3))
    with pytest.raises(TypeError, match="checkpoint: f must return a puregrad Node or a tree of them, got float"):
        pg.checkpoint(lambda v: 1.0)(x)  # type: ignore[type-var]  # the misuse under test
    with pytest.raises(TypeError, match="got tuple holding no Node"):
        pg.checkpoint(lambda v: (v.value, None))(x)
    with pytest.raises(TypeError, match=r"got tuple \(tree_leaves: .* got str at \[1\]"):
        pg.checkpoint(lambda v: (v, "no"))(x)
    # A variable made inside f is a new one on every run: its gradient cannot come back.
    y = pg.checkpoint(lambda v: v * pg.variable(np.full(3, 2.0)))(x)
    with pytest.raises(ValueError, match="checkpoint: recomputing f reached nodes that require grad"):
        pg.backward(pg.sum(y))
    # Randomness drawn inside f: the recomputation differs from the first run.
    rng = np.random.default_rng(0)
    noisy = pg.checkpoint(lambda v: v * rng.standard_normal(3))(x)
    with pytest.raises(ValueError, match="checkpoint: f gave another value when recomputed"):
        pg.backward(pg.sum(noisy))


def test_gradients_an_input_never_asked_for_do_not_leak_into_the_next_sweep() -> None:
    # The sweep to `a` alone never asks the checkpoint for b's gradient (b is on no path
    # to the target): a later sweep with another upstream gradient must not reuse it.
    b = pg.variable(np.array([1.0, 2.0]))
    step = pg.checkpoint(lambda u, v: pg.sum(pg.sin(u) * v))
    for scale in (2.0, 3.0, 2.0):
        a = pg.variable(np.array([0.5, -0.5]))
        g = pg.grad(lambda u: step(u, b) * scale)(a)
        np.testing.assert_allclose(g.value, scale * np.cos(a.value) * b.value, rtol=1e-15)
        grads = pg.backward(step(a, b) * scale)
        np.testing.assert_allclose(grads[b].value, scale * np.sin(a.value), rtol=1e-15)


def test_one_backward_recomputes_the_block_once_for_all_its_inputs() -> None:
    # Three inputs (an argument and two closed-over parameters) share one recomputation:
    # a per-input VJP would run the block three times.
    runs: list[None] = []
    W = pg.variable(rand(3, 3, seed=1))
    b = pg.variable(rand(3, seed=2))

    def block(v: pg.Node[np.float64]) -> pg.Node[np.float64]:
        runs.append(None)
        return pg.tanh(v @ W + b)

    x = pg.variable(rand(4, 3, seed=3))
    y = pg.sum(pg.checkpoint(block)(x))
    assert len(runs) == 1
    grads = pg.backward(y)
    assert len(runs) == 2
    assert set(grads) == {x, W, b}
    plain = pg.backward(pg.sum(block(x)))
    for node in (x, W, b):
        np.testing.assert_allclose(grads[node].value, plain[node].value, rtol=1e-14)


# Several outputs: a tree of nodes ------------------------------------------------------------


def pair(x: pg.Node[Any], W: pg.Node[Any]) -> tuple[pg.Node[Any], tuple[pg.Node[Any], pg.Node[Any]]]:
    """Two outputs sharing intermediates, one of them in two places (as an LSTM step's
    `(h, LSTMState(h, c))`), and a closed-over `W`."""
    z = pg.tanh(x @ W)
    h = pg.sin(z) * x
    c = pg.exp(z * 0.5) + h
    return h, (h, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_tree_of_outputs_keeps_only_inputs_and_outputs_with_equal_gradients(
    dtype: type[np.floating[Any]],
) -> None:
    W = pg.variable(rand(3, 3, dtype=dtype, seed=6))
    x0 = rand(4, 3, dtype=dtype, seed=7)
    runs: list[None] = []

    def step(v: pg.Node[Any]) -> tuple[pg.Node[Any], tuple[pg.Node[Any], pg.Node[Any]]]:
        runs.append(None)
        return pair(v, W)

    def loss(v: pg.Node[Any], f: Callable[[pg.Node[Any]], Any]) -> pg.Node[Any]:
        for _ in range(3):  # a chain: each step's outputs are the next one's inputs
            h, (h2, c) = f(v)
            v = c - h2 * 0.5 + h * 0.1
        return pg.sum(v * v)

    x = pg.variable(x0)
    h, (h2, c) = pg.checkpoint(step)(x)
    assert h is h2  # the same node in the same places, as f returned it
    assert h.inputs == c.inputs == (x, W)  # no intermediate is recorded
    assert type(h.origin) is pg.op.Output and type(c.origin) is pg.op.Output
    assert h.origin.call is c.origin.call  # one op for both outputs
    runs.clear()
    results = []
    for f in (step, pg.checkpoint(step)):
        x = pg.variable(x0)
        y = loss(x, f)
        before = len(runs)
        grads = pg.backward(y, HIGHER)
        # one recomputation per step for x, W and both outputs (3 steps), none for plain
        assert len(runs) - before == (3 if f is not step else 0)
        second = pg.backward(pg.sum(grads[x] * grads[x]) + pg.sum(grads[W]))
        assert grads[x].dtype == second[x].dtype == second[W].dtype == dtype
        results.append((y.value, grads[x].value, grads[W].value, second[x].value, second[W].value))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for plain, remat in zip(*results):
        assert np.abs(plain).mean() > 1e-2  # not vanished
        np.testing.assert_allclose(remat, plain, rtol=tol, atol=tol)
    if dtype == np.float64:
        pg.check_grad(lambda v, w: loss(v, pg.checkpoint(lambda u: pair(u, w))), x0, rand(3, 3, seed=6))


def test_an_output_left_unused_and_outputs_that_are_not_made_by_f() -> None:
    W = pg.variable(rand(3, 3, seed=8))
    x = pg.variable(rand(2, 3, seed=9))
    const = pg.constant(np.ones(3))
    data = np.arange(3.0)

    def step(v: pg.Node[Any]) -> dict[str, Any]:
        h, (_, c) = pair(v, W)
        return {"h": h, "c": c, "arg": v, "W": W, "const": const, "data": data, "none": None}

    out = pg.checkpoint(step)(x)
    assert out["arg"] is x and out["W"] is W and out["const"] is const and out["data"] is data
    assert out["none"] is None and list(out) == ["h", "c", "arg", "W", "const", "data", "none"]
    # Only c is differentiated: h's gradient is zeros, and c's gradient is complete.
    plain_h, (_, plain_c) = pair(x, W)
    for y, reference in ((out["c"], plain_c), (out["h"], plain_h)):
        grads = pg.backward(pg.sum(y * y))
        expected = pg.backward(pg.sum(reference * reference))
        for node in (x, W):
            np.testing.assert_allclose(grads[node].value, expected[node].value, rtol=1e-13)
    # Through a transform, with respect to the argument only (W closed over, not asked).
    g = pg.grad(lambda v: pg.sum(pg.checkpoint(step)(v)["c"]))(x)
    expected_g = pg.grad(lambda v: pg.sum(pair(v, W)[1][1]))(x)
    np.testing.assert_allclose(g.value, expected_g.value, rtol=1e-13)


class Counted(pg.Op):
    """The identity, counting its VJP calls."""

    name = "counted"
    calls = 0

    def forward(self, x: NDArray[Any]) -> NDArray[Any]:
        return x

    def vjp(self, i: int, gy: Any, xs: tuple[Any, ...], y: Any) -> Any:
        Counted.calls += 1
        return gy


def test_a_tree_of_outputs_frees_the_first_runs_intermediates(collector_off: None) -> None:
    refs: list[weakref.ref[pg.Node[Any]]] = []

    def noted(v: pg.Node[Any]) -> tuple[pg.Node[Any], pg.Node[Any]]:
        z = pg.sin(v)
        refs.append(weakref.ref(z))
        return pg.exp(z), Counted()(pg.cos(z))

    x = pg.variable(np.ones(3))
    a, b = pg.checkpoint(noted)(x)
    assert refs[0]() is None  # dead, with the collector off
    assert a.origin is not None
    op = weakref.ref(a.origin.call.op)  # type: ignore[union-attr]  # an Output
    Counted.calls = 0
    pg.backward(pg.sum(a) + pg.sum(b))
    assert len(refs) == 2 and refs[1]() is None and Counted.calls == 1
    # The op holds neither its outputs nor their values: one output dropped frees its array.
    value = weakref.ref(b.value)
    del b
    assert value() is None
    # b is gone, so nothing consumed it: its zero gradient is not swept (nor checked).
    grads = pg.backward(pg.sum(a), HIGHER)
    assert Counted.calls == 1
    np.testing.assert_allclose(
        grads[x].value, np.exp(np.sin(x.value)) * np.cos(x.value), rtol=1e-15
    )
    del a, grads
    assert op() is None


def test_a_tree_of_outputs_that_changes_on_recomputation_is_an_error() -> None:
    x = pg.variable(np.ones(3))
    rng = np.random.default_rng(0)
    a, b = pg.checkpoint(lambda v: (pg.sin(v), v * rng.standard_normal(3)))(x)
    with pytest.raises(ValueError, match="checkpoint: f gave another value when recomputed"):
        pg.backward(pg.sum(a * b))
    a, b = pg.checkpoint(lambda v: (pg.sin(v), v * pg.variable(np.full(3, 2.0))))(x)
    with pytest.raises(ValueError, match="checkpoint: recomputing f reached nodes that require grad"):
        pg.backward(pg.sum(a + b))
    flips = iter([False, True])

    def changing(v: pg.Node[Any]) -> tuple[pg.Node[Any], ...]:
        return (pg.sin(v), pg.cos(v)) + ((pg.exp(v),) if next(flips) else ())

    a, b = pg.checkpoint(changing)(x)
    with pytest.raises(ValueError, match="checkpoint: f returned 3 leaves when recomputed"):
        pg.backward(pg.sum(a + b))


def node(p: pg.Node[Any] | NDArray[Any]) -> pg.Node[Any]:
    assert type(p) is pg.Node
    return p


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_lstm_window_checkpointed_step_by_step_equals_the_unrolled_window(
    dtype: type[np.floating[Any]],
) -> None:
    lstm = pg.LSTM(3, 5)
    arrays = lstm.init(np.random.default_rng(0), dtype)
    xs = rand(6, 4, 3, dtype=dtype, seed=10)
    runs: list[None] = []

    def window(params: pg.LSTMParams[Any], remat: bool) -> tuple[pg.Node[Any], pg.LSTMState[Any]]:
        def step(
            x: NDArray[Any], s: pg.LSTMState[Any] | None
        ) -> tuple[pg.Node[Any], pg.LSTMState[Any]]:
            runs.append(None)
            return lstm.apply(params, x, s)

        stepper = pg.checkpoint(step) if remat else step
        state: pg.LSTMState[Any] | None = None
        total = pg.constant(np.zeros((), dtype))
        for x in xs:
            h, state = stepper(x, state)
            assert state.h is h  # the tree comes back as the step returned it
            total = total + pg.sum(h * h)
        assert state is not None
        return total + pg.sum(state.c), state

    results = []
    for remat in (False, True):
        params = pg.to_variables(arrays)
        loss, state = window(params, remat)
        if remat:  # the graph keeps each step's outputs, none of its gates
            ops = set()
            stack: list[pg.Node[Any]] = [loss]
            seen: set[int] = set()
            while stack:
                n = stack.pop()
                if id(n) not in seen:
                    seen.add(id(n))
                    ops.add(None if n.origin is None else n.origin.name)
                    stack.extend(i for i in n.inputs if type(i) is pg.Node)
            assert "checkpoint[0]" in ops and "checkpoint[1]" in ops
            assert not {o for o in ops if o and ("lstm" in o or "recurrence" in o or "linear" in o)}
        runs.clear()
        grads = pg.backward(loss, HIGHER)
        assert len(runs) == (len(xs) if remat else 0)  # once per step, for every input
        first = pg.gradients_of(grads, params)
        gs = [grads[node(p)] for p in (params.W_x, params.W_h, params.b)]
        penalty = pg.sum(gs[0] * gs[0]) + pg.sum(gs[1] * gs[1]) + pg.sum(gs[2] * gs[2])
        second = pg.gradients_of(pg.backward(penalty), params)
        results.append((loss.value, node(state.c).value, first, second))
    (l1, c1, g1, s1), (l2, c2, g2, s2) = results
    np.testing.assert_array_equal(l2, l1)
    np.testing.assert_array_equal(c2, c1)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for plain, remat_ in ((g1, g2), (s1, s2)):
        for name in ("W_x", "W_h", "b"):
            reference = getattr(plain, name)
            assert np.abs(reference).mean() > 1e-3 and getattr(remat_, name).dtype == dtype
            np.testing.assert_allclose(getattr(remat_, name), reference, rtol=tol, atol=tol * np.abs(reference).max())


def test_a_tree_of_outputs_nested_in_transforms() -> None:
    W = pg.constant(rand(3, 3, seed=11))

    def f(x: pg.Node[Any], remat: bool) -> pg.Node[Any]:
        step = pg.checkpoint(lambda u: pair(u, W)) if remat else (lambda u: pair(u, W))
        h, (h2, c) = step(x)
        h, (h2, c) = step(c - 0.5 * h2)
        return pg.sum(h * c)

    x, v = rand(2, 3, seed=12), rand(2, 3, seed=13)
    for transform in (
        lambda remat: pg.jvp(lambda u: f(u, remat), (x,), (v,))[1],
        lambda remat: pg.hvp(lambda u: f(u, remat), x, v),
        lambda remat: pg.hessian(lambda u: f(u, remat))(x),
    ):
        plain, remat = transform(False), transform(True)
        assert np.abs(plain).mean() > 0.1
        np.testing.assert_allclose(remat, plain, rtol=1e-12, atol=1e-14)
