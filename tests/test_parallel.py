"""pg.parallel.value_and_grad: chunked mean gradients, in this process and on a Dask cluster
of worker processes (one small module-scoped LocalCluster, closed by its fixture)."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import subprocess
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from puregrad import parallel

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

R = TypeVar("R")
MLP: Final = pg.MLP((3, 5, 2), activation="tanh")
STEP_TIMEOUT: Final = 60.0  # seconds: a step that takes longer has hung


# Losses: module-level, so the workers import them by reference -----------------------------


def classification_loss(
    params: pg.MLPParams[Any], x: NDArray[Any], t: NDArray[np.int64]
) -> pg.Node[Any]:
    """The summed cross entropy of an MLP's logits (softmax_cross_entropy is a batch mean)."""
    return pg.softmax_cross_entropy(MLP.apply(params, x), t) * len(t)


def regression_loss(params: dict[str, pg.Param[Any]], x: NDArray[Any]) -> pg.Node[Any]:
    """Summed squared error of a linear model whose target is made from the row itself."""
    y = np.sin(x[:, :1]) + x[:, 1:2] ** 2
    return pg.sum((pg.tanh(x @ params["w"]) + params["b"] - y) ** 2)


def per_example_loss(params: dict[str, pg.Param[Any]], x: NDArray[Any]) -> pg.Node[Any]:
    """A common mistake: the per-example losses, not their sum."""
    return pg.sum((x @ params["w"]) ** 2, axis=1)


def loss_of_one_row_only(params: dict[str, pg.Param[Any]], x: NDArray[Any]) -> pg.Node[Any]:
    """A scalar on one row (so it passes the check before the tasks), a vector on more."""
    y = pg.sum((x @ params["w"]) ** 2, axis=1)
    return pg.sum(y) if len(x) == 1 else y


@attrs.frozen
class KillWorkerOnce:
    """A regression loss that SIGKILLs the worker process running the chunk whose first row
    id is `row`, the first time only (a marker file says it happened)."""

    marker: Path
    row: int
    client_pid: int

    def __call__(
        self, params: dict[str, pg.Param[Any]], x: NDArray[Any], ids: NDArray[np.int64]
    ) -> pg.Node[Any]:
        if os.getpid() != self.client_pid and ids[0] == self.row and not self.marker.exists():
            self.marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return regression_loss(params, x)


def explode(block: NDArray[Any]) -> NDArray[Any]:
    raise RuntimeError("a chunk was computed")


# Data and reference values ----------------------------------------------------------------


def regression_params(dtype: type[np.floating[Any]]) -> dict[str, pg.Param[Any]]:
    rng = np.random.default_rng(1)
    return {"w": rng.standard_normal((4, 1)).astype(dtype), "b": np.array(0.3, dtype)}  # a 0-d leaf too


def regression_rows(n: int, dtype: type[np.floating[Any]] = np.float64) -> NDArray[Any]:
    return np.random.default_rng(2).standard_normal((n, 4)).astype(dtype)


def lazy_rows(n: int, chunk: int) -> Any:
    """A Dask array of `n` rows of 4 floats, generated chunk by chunk when computed."""
    return da.random.default_rng(3).standard_normal((n, 4), chunks=(chunk, 4))


def classification_data(n: int, dtype: type[np.floating[Any]]) -> tuple[NDArray[Any], NDArray[np.int64]]:
    rng = np.random.default_rng(4)
    return rng.standard_normal((n, 3)).astype(dtype), rng.integers(0, 2, n)


def reference(loss: Callable[..., pg.Node[Any]], params: R, *data: NDArray[Any]) -> tuple[NDArray[Any], R]:
    """The single-process value and gradient of the mean loss over all the data at once."""
    n = len(data[0])
    return pg.tree_value_and_grad(lambda p: loss(p, *data) / n)(params)


def assert_trees_close(actual: object, expected: object, rtol: float) -> None:
    got, want = pg.tree_leaves(actual), pg.tree_leaves(expected)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray) and isinstance(w, np.ndarray)
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def assert_trees_equal(actual: object, expected: object) -> None:
    got, want = pg.tree_leaves(actual), pg.tree_leaves(expected)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray) and isinstance(w, np.ndarray)
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


RTOL: Final = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes of one thread each; closed after this module's tests."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def in_time(call: Callable[[], R]) -> R:
    """`call()`, failing the test if it has not returned within STEP_TIMEOUT seconds."""
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(call).result(timeout=STEP_TIMEOUT)
    finally:
        pool.shutdown(wait=False)  # on a timeout, fail now rather than wait for the step


# In this process ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("chunk_rows", "batch_rows"), [(1, 8192), (7, 3), (100, 8192), (100, 9), (None, 8192), (None, 1)])
def test_local_equals_the_mean_over_all_the_data(
    dtype: type[np.floating[Any]], chunk_rows: int | None, batch_rows: int
) -> None:
    params = MLP.init(np.random.default_rng(0), dtype)
    x, t = classification_data(101, dtype)
    value, grads = parallel.value_and_grad(
        classification_loss, params, x, t, chunk_rows=chunk_rows, batch_rows=batch_rows
    )
    want_value, want_grads = reference(classification_loss, params, x, t)
    assert value.shape == () and value.dtype == dtype and not value.flags.writeable
    np.testing.assert_allclose(value, want_value, rtol=RTOL[dtype])
    assert type(grads) is tuple and type(grads[0]) is pg.LinearParams
    assert_trees_close(grads, want_grads, RTOL[dtype])
    assert all(isinstance(g, np.ndarray) and not g.flags.writeable for g in pg.tree_leaves(grads))


def batch_sizes_seen(params: dict[str, pg.Param[Any]], x: NDArray[Any]) -> pg.Node[Any]:
    """A loss whose value is the number of rows squared: sums to the sum of squared batch sizes."""
    return pg.sum(params["w"] * 0.0) + float(len(x)) ** 2


def test_loss_fn_sees_batches_of_at_most_batch_rows() -> None:
    params = regression_params(np.float64)
    value, _ = parallel.value_and_grad(batch_sizes_seen, params, regression_rows(50), chunk_rows=20, batch_rows=8)
    # chunks 20, 20, 10; batches 8, 8, 4 | 8, 8, 4 | 8, 2
    assert value * 50 == pytest.approx(2 * (64 + 64 + 16) + 64 + 4)


def test_gradient_against_central_differences() -> None:
    params = regression_params(np.float64)
    x = regression_rows(53)
    _, grads = parallel.value_and_grad(regression_loss, params, x, chunk_rows=10)
    h = 1e-6
    for name in params:
        for index in np.ndindex(params[name].shape):
            values = []
            for step in (h, -h):
                shifted = {k: np.array(v) for k, v in params.items()}
                shifted[name][index] += step
                moved: dict[str, pg.Param[Any]] = dict(shifted)
                values.append(parallel.value_and_grad(regression_loss, moved, x, chunk_rows=10)[0])
            difference = (values[0] - values[1]) / (2 * h)
            assert grads[name][index] == pytest.approx(difference, rel=1e-6, abs=1e-8)


def test_a_lazy_dask_array_is_computed_one_chunk_at_a_time() -> None:
    params = regression_params(np.float64)
    chunk, chunks = 10_000, 30  # a chunk is 320 kB; all of them 9.6 MB
    x = lazy_rows(chunk * chunks, chunk)
    tracemalloc.start()
    try:
        value, grads = parallel.value_and_grad(regression_loss, params, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    chunk_bytes = chunk * 4 * 8
    assert peak < 8 * chunk_bytes, f"peak {peak / chunk_bytes:.1f} chunks"  # 4.5 seen
    want_value, want_grads = reference(regression_loss, params, x.compute())
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    assert_trees_close(grads, want_grads, 1e-12)


def test_dask_arrays_of_other_chunks_are_cut_to_chunk_rows() -> None:
    params = regression_params(np.float32)
    x = lazy_rows(230, 37).astype(np.float32)  # chunks of 37 rows, cut to 50 here
    ids = da.arange(230, chunks=100)
    loss = KillWorkerOnce(Path("/nonexistent"), -1, os.getpid())  # row -1: never kills
    value, grads = parallel.value_and_grad(loss, params, x, ids, chunk_rows=50, batch_rows=16)
    assert value.dtype == np.float32
    want_value, want_grads = reference(regression_loss, params, x.compute())
    np.testing.assert_allclose(value, want_value, rtol=RTOL[np.float32])
    assert_trees_close(grads, want_grads, RTOL[np.float32])


def test_the_reduction_groups_do_not_depend_on_how_items_arrive() -> None:
    def combine(group: list[str]) -> str:
        return "(" + "+".join(group) + ")"

    assert parallel._tree_reduce([str(i) for i in range(7)], combine) == "((0+1+2+3)+(4+5+6))"
    for n in range(1, 70):
        items = [str(i) for i in range(n)]
        streamed = parallel._streamed_tree_reduce(iter(items), combine)
        assert streamed == parallel._tree_reduce(items, combine)
        assert streamed.replace("(", "").replace(")", "").split("+") == items


# Bad input: a ValueError before any chunk is computed --------------------------------------


def exploding(n: int, chunk: int) -> Any:
    """A Dask array whose every chunk raises RuntimeError when computed."""
    return lazy_rows(n, chunk).map_blocks(explode, dtype=np.float64)


@pytest.mark.parametrize("on_cluster", [False, True])
def test_bad_input_is_refused_before_any_chunk_runs(on_cluster: bool, request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue("client") if on_cluster else None
    params = regression_params(np.float64)
    ids = np.arange(99)
    with pytest.raises(ValueError, match=r"different lengths \[100, 99\]"):
        parallel.value_and_grad(KillWorkerOnce(Path("/nonexistent"), -1, 0), params, exploding(100, 10), ids, client=client)
    with pytest.raises(ValueError, match="no rows"):
        parallel.value_and_grad(regression_loss, params, exploding(0, 10), client=client)
    with pytest.raises(ValueError, match=r"shape \(\) .* got shape \(1,\)"):
        parallel.value_and_grad(per_example_loss, params, exploding(100, 10), client=client)
    with pytest.raises(ValueError, match="0-d"):
        parallel.value_and_grad(regression_loss, params, np.array(1.0), client=client)
    with pytest.raises(ValueError, match="no data"):
        parallel.value_and_grad(regression_loss, params, client=client)  # type: ignore[call-overload]  # no data on purpose
    with pytest.raises(ValueError, match="chunk_rows must be a positive int, got 0"):
        parallel.value_and_grad(regression_loss, params, exploding(100, 10), client=client, chunk_rows=0)
    with pytest.raises(ValueError, match="batch_rows must be a positive int, got -1"):
        parallel.value_and_grad(regression_loss, params, exploding(100, 10), client=client, batch_rows=-1)
    with pytest.raises(TypeError, match="data argument 0 is a list"):
        parallel.value_and_grad(regression_loss, params, [[1.0] * 4], client=client)  # type: ignore[call-overload]  # a list on purpose


def test_a_loss_that_is_not_a_scalar_on_a_chunk_is_a_value_error() -> None:
    # It passes the check on one row; the first chunk's task reports it, and no other runs.
    x = da.concatenate([lazy_rows(10, 10), exploding(30, 10)])
    with pytest.raises(ValueError, match=r"shape \(\) .* got shape \(10,\)"):
        parallel.value_and_grad(loss_of_one_row_only, regression_params(np.float64), x)


def test_without_distributed_a_client_is_an_import_error_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ImportError, match=r"puregrad\[distributed\]"):
        parallel.value_and_grad(regression_loss, regression_params(np.float64), regression_rows(4), client=object())  # type: ignore[call-overload]  # any object: never used


def test_importing_puregrad_imports_no_dask() -> None:
    code = "import sys, puregrad; assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')]"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# On a cluster of two worker processes ------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cluster_equals_local_on_ndarrays(client: Any, dtype: type[np.floating[Any]]) -> None:
    params = MLP.init(np.random.default_rng(0), dtype)
    x, t = classification_data(503, dtype)
    local = parallel.value_and_grad(classification_loss, params, x, t, chunk_rows=50)
    value, grads = in_time(lambda: parallel.value_and_grad(classification_loss, params, x, t, client=client, chunk_rows=50))
    np.testing.assert_allclose(value, local[0], rtol=RTOL[dtype])
    assert value.dtype == dtype and not value.flags.writeable
    assert_trees_close(grads, local[1], RTOL[dtype])
    want_value, want_grads = reference(classification_loss, params, x, t)
    np.testing.assert_allclose(value, want_value, rtol=RTOL[dtype])
    assert_trees_close(grads, want_grads, RTOL[dtype])


def test_cluster_computes_dask_chunks_on_the_workers_and_sums_them_there(client: Any) -> None:
    params = regression_params(np.float64)
    x = lazy_rows(2_000, 100)  # 20 chunks
    ids = da.arange(2_000, chunks=300)  # other chunks: cut to match x's
    loss = KillWorkerOnce(Path("/nonexistent"), -1, os.getpid())  # row -1: never kills
    scattered: list[bool] = []
    scatter = client.scatter

    def spy(data: Any, **kwargs: Any) -> Any:
        scattered.append(kwargs.get("broadcast", False))
        return scatter(data, **kwargs)

    with distributed.get_task_stream(client) as stream:
        client.scatter = spy
        try:
            value, grads = in_time(lambda: parallel.value_and_grad(loss, params, x, ids, client=client))
        finally:
            del client.scatter
    names = [task["key"][0] if isinstance(task["key"], tuple) else task["key"] for task in stream.data]
    assert sum(n.startswith("_chunk_value_and_grad") for n in names) == 20
    assert sum(n.startswith("_add_parts") for n in names) == 7  # 20 -> 5 -> 2 -> 1 in groups of 4
    assert scattered == [True]  # the parameters, to every worker; nothing else
    want_value, want_grads = reference(regression_loss, params, x.compute())
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    assert_trees_close(grads, want_grads, 1e-12)


@pytest.mark.parametrize("kind", ["dask", "ndarray"])
def test_a_worker_killed_mid_step_changes_nothing(client: Any, tmp_path: Path, kind: str) -> None:
    # Dask reruns a lost worker's tasks (and the Dask array's chunks they used); ndarray
    # chunks, scattered to one worker each, are lost with it: then the step is sent again.
    params = regression_params(np.float64)
    x, ids = lazy_rows(3_000, 100), da.arange(3_000, chunks=100)  # 30 chunks, 15 per worker
    if kind == "ndarray":
        x, ids = x.compute(), ids.compute()
    loss = KillWorkerOnce(tmp_path / "killed", 1_500, os.getpid())
    undisturbed = in_time(lambda: parallel.value_and_grad(loss, params, x, ids, chunk_rows=100))  # in this process: never kills
    client.wait_for_workers(2, timeout=STEP_TIMEOUT)
    pids = set(client.run(os.getpid).values())
    value, grads = in_time(lambda: parallel.value_and_grad(loss, params, x, ids, client=client, chunk_rows=100))
    assert (tmp_path / "killed").exists(), "no worker was killed"
    client.wait_for_workers(2, timeout=STEP_TIMEOUT)
    assert set(client.run(os.getpid).values()) != pids  # the nanny started a new worker process
    assert value == undisturbed[0]  # bit for bit: the same chunks, summed in the same tree
    assert_trees_equal(grads, undisturbed[1])


def test_the_parallel_benchmark_runs_and_agrees(client: Any) -> None:
    from benchmarks import parallel as benchmark

    sizes = benchmark.Sizes(rows=4_000, chunks=4, small_rows=100, small_chunks=2, repeat=1)
    metrics = in_time(lambda: benchmark.measure(client, sizes))
    assert metrics["chunks"] == 4 and metrics["small_chunks"] == 2
    assert metrics["max_relative_difference"] < 1e-12 and metrics["small_max_relative_difference"] < 1e-12
    assert metrics["local_s"] > 0 and metrics["cluster_s"] > 0
    assert "| 4,000 rows of 20 floats, 4 chunks |" in benchmark.table(metrics)
