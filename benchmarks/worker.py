"""One workload on one framework, in a process of its own: prints one JSON line of metrics.

    python -m benchmarks.worker WORKLOAD FRAMEWORK [--quick] [--repeat N]
    python -m benchmarks.worker STEP_WORKLOAD FRAMEWORK,FRAMEWORK,... --interleave

`run.py` starts one per workload and framework, so a memory figure never includes what an
earlier workload left behind. The result is `{"status": "ok", "metrics": {...}, ...}`, or
`"skipped"` (the framework is not installed, or lacks a name the workload needs) with a
message. Times are medians over the repeats; memory is read once, in the fresh process.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

import attrs
import numpy as np

from benchmarks import measure
from benchmarks.spec import cnn_data, lstm_data, mlp_data
from benchmarks.transform_cost import transform_cost

FRAMEWORKS: Final = {
    "numpy": "benchmarks.impl_numpy",
    "puregrad": "benchmarks.impl_puregrad",
    "torch": "benchmarks.impl_torch",
    "autograd": "benchmarks.impl_autograd",
    "dezero": "benchmarks.impl_dezero",
}

Metrics = dict[str, float]


class Skip(Exception):
    """The workload cannot run on this framework (a missing name); the message says why."""


@attrs.frozen
class Sizes:
    """How big and how often: the full suite, or `--quick` for a smoke run."""

    chain_triples: int  # the scalar chain has 3 ops per triple
    repeat: int
    fan_in: tuple[int, ...]
    fan_in_budget_s: float  # stop repeating a fan-in size once this much time is spent
    mlp_batch: int
    deep_triples: int  # the chain measured by RSS
    traced_triples: int  # the chain measured by tracemalloc (slow: 5-10x)
    sin_floats: int
    sin_depth: int
    cnn_batch: int = 64


FULL: Final = Sizes(3334, 7, (5_000, 10_000, 20_000), 20.0, 512, 333_334, 33_334, measure.ARRAY_FLOATS, 30)
QUICK: Final = Sizes(334, 3, (500, 1_000, 2_000), 2.0, 64, 10_000, 1_000, 200_000, 30, cnn_batch=16)


def _need(impl: ModuleType, *names: str) -> list[Callable[..., Any]]:
    missing = [n for n in names if not hasattr(impl, n)]
    if missing:
        raise Skip(f"{impl.NAME} has no {', '.join(missing)} for this workload")
    return [getattr(impl, n) for n in names]


def _optional(impl: ModuleType, name: str) -> Callable[..., Any] | None:
    function: Callable[..., Any] | None = getattr(impl, name, None)
    return function


def _repeat(sizes: Sizes, run: Callable[[], float], budget_s: float = math.inf) -> list[float]:
    """`run()` (which returns the seconds it measured) `sizes.repeat` times, fewer when the
    budget is spent (at least once)."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < sizes.repeat:
        gc.collect()
        times.append(run())
        if time.perf_counter() - start > budget_s:
            break
    return times


def scalar_chain(impl: ModuleType, sizes: Sizes) -> Metrics:
    """sin, * c, + c repeated on a 0-d float64: forward and backward µs per op, and the
    optional variants (create_graph backward, forward without recording)."""
    forward, backward = _need(impl, "chain_forward", "chain_backward")
    create_graph = _optional(impl, "chain_backward_create_graph")
    no_grad = _optional(impl, "chain_forward_no_grad")
    triples = sizes.chain_triples
    ops = 3 * triples
    backward(forward(100))  # warm up caches and lazy imports
    if no_grad is not None:
        no_grad(100)
    forward_times: list[float] = []
    backward_times: list[float] = []
    no_grad_times: list[float] = []
    check = 0.0

    def once() -> float:
        nonlocal check
        state, t_forward = measure.timed(lambda: forward(triples))
        check, t_backward = measure.timed(lambda: backward(state))
        forward_times.append(t_forward)
        backward_times.append(t_backward)
        del state
        if no_grad is not None:
            # Timed in the same repeat as the recording forward, so both see the same
            # machine: measured in a phase of their own, a shared machine's load made them
            # differ by up to 1.5x either way.
            no_grad_times.append(measure.timed(lambda: no_grad(triples))[1])
        return t_forward + t_backward

    _repeat(sizes, once)
    metrics = {
        "forward_us_per_op": measure.median(forward_times) / ops * 1e6,
        "backward_us_per_op": measure.median(backward_times) / ops * 1e6,
        "check": float(check),
    }
    if no_grad_times:
        metrics["forward_no_grad_us_per_op"] = measure.median(no_grad_times) / ops * 1e6
    if create_graph is not None:
        create_graph(forward(100))

        def once_create_graph() -> float:
            state = forward(triples)
            return measure.timed(lambda: create_graph(state))[1]

        times = _repeat(sizes, once_create_graph)
        metrics["backward_create_graph_us_per_op"] = measure.median(times) / ops * 1e6
    return metrics


def fan_in(impl: ModuleType, sizes: Sizes) -> Metrics:
    """y = x * 1 + x * 2 + ... + x * n: backward seconds at each n, and the growth exponent
    fitted between the smallest and largest n."""
    forward, backward = _need(impl, "fan_in_forward", "fan_in_backward")
    backward(forward(100))
    metrics: Metrics = {}
    for n in sizes.fan_in:
        check = 0.0

        def once() -> float:
            nonlocal check
            state = forward(n)
            check, seconds = measure.timed(lambda: backward(state))
            return seconds

        # Short sweeps are the noisiest, and the exponent divides by the shortest: more
        # repeats (within the time budget) keep one disturbed run from moving it.
        times = _repeat(attrs.evolve(sizes, repeat=3 * sizes.repeat), once, sizes.fan_in_budget_s)
        metrics[f"backward_s_{n}"] = measure.median(times)
        metrics[f"check_{n}"] = float(check)
    first, last = sizes.fan_in[0], sizes.fan_in[-1]
    metrics["growth_exponent"] = math.log(
        metrics[f"backward_s_{last}"] / metrics[f"backward_s_{first}"]
    ) / math.log(last / first)
    return metrics


def deep_chain(impl: ModuleType, sizes: Sizes) -> Metrics:
    """Memory per node of a deep scalar chain (sin, * c, + c): process RSS growth while it
    is built and held, over the node count; the same by tracemalloc on a shorter chain;
    and what building it under no_grad holds."""
    (forward,) = _need(impl, "chain_forward")
    no_grad = _optional(impl, "chain_forward_no_grad")
    triples = sizes.deep_triples
    ops = 3 * triples
    forward(100)
    metrics: Metrics = {}
    if no_grad is not None:  # first: freed memory would hide the growth of what follows
        no_grad(100)
        gc.collect()
        before = measure.rss_bytes()
        y = no_grad(triples)
        metrics["no_grad_bytes_per_node_rss"] = (measure.rss_bytes() - before) / ops
        del y
    gc.collect()
    before = measure.rss_bytes()
    state, seconds = measure.timed(lambda: forward(triples))
    metrics["bytes_per_node_rss"] = (measure.rss_bytes() - before) / ops
    metrics["forward_us_per_op"] = seconds / ops * 1e6
    del state
    gc.collect()
    small = sizes.traced_triples
    _, held, _ = measure.traced_bytes(lambda: forward(small))
    metrics["bytes_per_node_traced"] = held / (3 * small)
    if no_grad is not None:
        _, _, peak = measure.traced_bytes(lambda: no_grad(small))
        metrics["no_grad_peak_bytes_per_node_traced"] = peak / (3 * small)
    return metrics


def sin_memory(impl: ModuleType, sizes: Sizes) -> Metrics:
    """`sin_depth` x sin on a large float64 array: how far backward's peak rises above the
    memory the forward holds, in arrays (tracemalloc, and process RSS high-water mark), then
    forward and backward times."""
    forward, backward = _need(impl, "sin_forward", "sin_backward")
    array_bytes = sizes.sin_floats * 8
    x = np.random.default_rng(0).standard_normal(sizes.sin_floats)
    x.flags.writeable = False
    backward(forward(x[:10], 2))
    gc.collect()

    state = forward(x, sizes.sin_depth)
    gc.collect()
    reset = measure.reset_peak_rss()
    before = measure.rss_bytes()
    tracemalloc.start()
    g = backward(state)
    peak_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_rss = measure.peak_rss_bytes() - before
    metrics: Metrics = {"check": float(np.sum(np.asarray(_plain(g), dtype=np.float64)))}
    del g, state
    if impl.NAME != "PyTorch":  # its buffers are invisible to tracemalloc
        metrics["backward_peak_arrays_traced"] = peak_traced / array_bytes
    if reset:
        metrics["backward_peak_arrays_rss"] = peak_rss / array_bytes
    forward_times: list[float] = []

    def once() -> float:
        state, t_forward = measure.timed(lambda: forward(x, sizes.sin_depth))
        forward_times.append(t_forward)
        return t_forward + measure.timed(lambda: backward(state))[1]

    times = _repeat(sizes, once)
    metrics["forward_backward_s"] = measure.median(times)
    return metrics


@attrs.frozen
class Step:
    """A training-step workload: the name of the impl's maker (`make(data) -> (step,
    check)`), its data, and how many steps warm it up (until the allocator's heap has
    settled and steps cost the same)."""

    maker: str
    data: Callable[[Sizes], Any]
    warmup: int
    describe: str


STEPS: Final = {
    "mlp": Step(
        "mlp_step", lambda sizes: mlp_data(sizes.mlp_batch), 10,
        "One training step (forward and backward) of a 784-256-10 relu MLP under softmax "
        "cross entropy.",
    ),
    "cnn": Step(
        "cnn_step", lambda sizes: cnn_data(sizes.cnn_batch), 10,
        "One training step of a small CNN on a batch of 1x28x28 images: conv(1->8, 3x3, pad "
        "1), relu, max-pool 2, conv(8->16), relu, max-pool 2, linear(784->10), softmax cross "
        "entropy.",
    ),
    "lstm": Step(
        "lstm_step", lambda sizes: lstm_data(), 5,
        "One forward and backward of an LSTM (batch 32, input 1, hidden 64) unrolled over 30 "
        "steps, a linear head on every step, mean squared error.",
    ),
}


def interleaved(workload: str, frameworks: list[str], quick: bool, repeat: int | None = None) -> dict[str, dict[str, Any]]:
    """A step workload on several frameworks in this one process, their steps interleaved:
    each of the repeats times one step of every framework (after an untimed one of the same
    framework), in an order shuffled each time, so the frameworks' k-th steps ran side by
    side and saw the same moment of a shared machine. One record per framework, as `run` gives, with every step's time under
    "paired" (entry k of one framework ran beside entry k of every other)."""
    sizes = QUICK if quick else FULL
    if repeat is not None:
        sizes = attrs.evolve(sizes, repeat=repeat)
    spec = STEPS[workload]
    records: dict[str, dict[str, Any]] = {}
    steps: dict[str, tuple[Callable[[], Any], Callable[[Any], list[float]]]] = {}
    for framework in frameworks:
        record: dict[str, Any] = {"workload": workload, "framework": framework}
        try:
            impl = importlib.import_module(FRAMEWORKS[framework])
        except ImportError as error:
            records[framework] = record | {"status": "skipped", "message": f"{framework} not importable: {error}"}
            continue
        record |= {"name": impl.NAME, "version": impl.VERSION, "notes": getattr(impl, "NOTES", [])}
        try:
            (make,) = _need(impl, spec.maker)
        except Skip as skip:
            records[framework] = record | {"status": "skipped", "message": str(skip)}
            continue
        steps[framework] = make(spec.data(sizes))
        records[framework] = record
    held = {}  # each framework's last result stays alive, as a training loop's would
    for framework, (step, _) in steps.items():
        for _ in range(spec.warmup):
            held[framework] = step()
    times: dict[str, list[float]] = {f: [] for f in steps}
    # A new order every time (seeded): a step's time depends on what ran just before it
    # (what it left in the caches and the heap), so no framework may always follow the same.
    # Each turn takes one untimed step first, so the timed one runs as in a training loop,
    # after a step of its own framework (its code and data in the caches), not cold after
    # another framework's.
    shuffle = random.Random(0).sample
    for _ in range(3 * sizes.repeat):
        for framework in shuffle(list(steps), len(steps)):
            step = steps[framework][0]
            step()
            gc.collect()
            times[framework].append(measure.timed(step)[1])
    for framework, (_, check) in steps.items():
        metrics = {"step_s": measure.median(times[framework])}
        metrics["step_ms"] = metrics["step_s"] * 1e3
        for i, value in enumerate(check(held[framework])):
            metrics[f"check_{i}"] = value
        records[framework] |= {"status": "ok", "metrics": metrics, "paired": times[framework]}
    return records


def _plain(g: Any) -> Any:
    """A gradient as something numpy reads (a node's or Variable's value, a tensor)."""
    for attribute in ("value", "data"):
        inner = getattr(g, attribute, None)
        if isinstance(inner, np.ndarray):
            return inner
    detach = getattr(g, "detach", None)
    return detach().numpy() if detach is not None else g


WORKLOADS: Final[dict[str, Callable[[ModuleType, Sizes], Metrics]]] = {
    "scalar_chain": scalar_chain,
    "fan_in": fan_in,
    "deep_chain": deep_chain,
    "sin_memory": sin_memory,
    "transform_cost": lambda impl, sizes: transform_cost(impl, sizes, Skip, 3 * sizes.repeat),
}


def run(workload: str, framework: str, quick: bool, repeat: int | None = None) -> dict[str, Any]:
    """The result record of one workload on one framework (also usable in-process)."""
    sizes = QUICK if quick else FULL
    if repeat is not None:
        sizes = attrs.evolve(sizes, repeat=repeat)
    record: dict[str, Any] = {"workload": workload, "framework": framework}
    try:
        impl = importlib.import_module(FRAMEWORKS[framework])
    except ImportError as error:
        return record | {"status": "skipped", "message": f"{framework} not importable: {error}"}
    record |= {"name": impl.NAME, "version": impl.VERSION, "notes": getattr(impl, "NOTES", [])}
    if workload in STEPS:
        return interleaved(workload, [framework], quick, repeat)[framework]
    try:
        metrics = WORKLOADS[workload](impl, sizes)
    except Skip as skip:
        return record | {"status": "skipped", "message": str(skip)}
    return record | {"status": "ok", "metrics": metrics}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workload", choices=sorted([*WORKLOADS, *STEPS]))
    parser.add_argument("framework", help=f"one of {', '.join(FRAMEWORKS)}; with --interleave, a comma-separated list")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--interleave", action="store_true", help=f"a step workload ({', '.join(STEPS)}) on the frameworks in this process, steps interleaved")
    args = parser.parse_args(argv)
    names = args.framework.split(",") if args.interleave else [args.framework]
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown or (args.interleave and args.workload not in STEPS):
        parser.error(f"unknown framework {unknown}" if unknown else f"--interleave takes a step workload ({', '.join(STEPS)})")
    if args.interleave:
        result: dict[str, Any] = interleaved(args.workload, names, args.quick, args.repeat)
    else:
        result = run(args.workload, args.framework, args.quick, args.repeat)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
