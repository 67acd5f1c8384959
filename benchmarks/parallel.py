"""The `parallel` workload: pg.parallel.value_and_grad on a 2-worker LocalCluster against the
same call with client=None in this process (see benchmarks/README.md).

    python benchmarks/parallel.py [--quick] [--repeat N]

The full-batch gradient of an MLP (20-64-64-1, tanh, summed squared error) over 2M rows of 20
float64 features, cut into 16 chunks. On the cluster the data are generated on the workers
and persisted there (as a data set loaded once would be); in this process they are one
ndarray. Both run one BLAS thread per process. Times are **wall** seconds per step (medians
after a warm-up step, the two ways alternating so that both share the machine's other load
alike), since the point is the elapsed time that two processes save. Also the
per-step overhead on small data (1,000 rows in 2 chunks), where nothing is to be gained.

Writes benchmarks/results/parallel.{md,json} (quick: parallel-quick.{md,json}).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

THREADS: Final = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
if __name__ == "__main__":  # before numpy is imported, here and in the workers started below
    for _name in THREADS:
        os.environ[_name] = "1"

ROOT: Final = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (`make bench`)
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import Any  # noqa: E402

import attrs  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

import puregrad as pg  # noqa: E402

__all__ = ["FULL", "QUICK", "Sizes", "measure", "main"]

MODEL: Final = pg.MLP((20, 64, 64, 1), activation="tanh")
WORKER_MMAP_THRESHOLD: Final = 32 * 2**20  # see README.md, "Data-parallel gradients on Dask"


def summed_squared_error(
    params: pg.MLPParams[np.float64], x: NDArray[np.float64], y: NDArray[np.float64]
) -> pg.Node[np.float64]:
    return pg.sum((MODEL.apply(params, x) - y) ** 2)


@attrs.frozen
class Sizes:
    rows: int
    chunks: int
    small_rows: int
    small_chunks: int
    repeat: int


FULL: Final = Sizes(rows=2_000_000, chunks=16, small_rows=1_000, small_chunks=2, repeat=3)
QUICK: Final = Sizes(rows=100_000, chunks=8, small_rows=1_000, small_chunks=2, repeat=2)


def _data(rows: int, chunks: int) -> tuple[Any, Any]:
    """Features and targets as Dask arrays generated chunk by chunk (the targets from the
    features, through a fixed random linear map and a sine)."""
    import dask.array as da

    x = da.random.default_rng(0).standard_normal((rows, 20), chunks=(-(-rows // chunks), 20))
    w = np.random.default_rng(1).standard_normal((20, 1)) / np.sqrt(20)
    y = x.map_blocks(lambda block: np.sin(block @ w), chunks=(x.chunks[0], (1,)), dtype=np.float64)
    return x, y


@attrs.frozen
class Timing:
    wall_s: float  # median wall seconds per step
    cpu_s: float  # CPU seconds per step of this process (with LocalCluster: the scheduler too)
    worker_cpu_s: float  # CPU seconds per step of the busiest worker process (0 without one)


def _interleaved(
    local: Callable[[], object], cluster: Callable[[], object], client: Any, repeat: int
) -> tuple[Timing, Timing, object, object]:
    """Time `local()` and `cluster()` alternately, after one warm-up call of each, so that
    both see the same share of whatever else runs on the machine; also their last results."""
    results = [local(), cluster()]
    walls: list[list[float]] = [[], []]
    cpus = [0.0, 0.0]
    workers = 0.0
    for _ in range(repeat):
        for i, step in enumerate((local, cluster)):
            before = client.run(time.process_time) if i == 1 else {}
            cpu, start = time.process_time(), time.perf_counter()
            results[i] = step()
            walls[i].append(time.perf_counter() - start)
            cpus[i] += time.process_time() - cpu
            if i == 1:
                after = client.run(time.process_time)
                workers += max(after[w] - before[w] for w in after if w in before)
    return (
        Timing(statistics.median(walls[0]), cpus[0] / repeat, 0.0),
        Timing(statistics.median(walls[1]), cpus[1] / repeat, workers / repeat),
        results[0],
        results[1],
    )


def _max_relative_difference(a: object, b: object) -> float:
    worst = 0.0
    for x, y in zip(pg.tree_leaves(a), pg.tree_leaves(b), strict=True):
        assert isinstance(x, np.ndarray) and isinstance(y, np.ndarray)
        scale = max(float(np.max(np.abs(y))), 1e-300)
        worst = max(worst, float(np.max(np.abs(x - y))) / scale)
    return worst


def measure(client: Any, sizes: Sizes) -> dict[str, float]:
    """Seconds per step in this process and on `client`, for the large and the small data;
    and how far the two results differ (they sum the same chunks in the same tree)."""
    import distributed

    params = MODEL.init(np.random.default_rng(2))
    metrics: dict[str, float] = {"workers": float(len(client.nthreads()))}
    for label, rows, chunks in (("", sizes.rows, sizes.chunks), ("small_", sizes.small_rows, sizes.small_chunks)):
        x, y = _data(rows, chunks)
        x_here, y_here = x.compute(scheduler="sync"), y.compute(scheduler="sync")
        x, y = client.persist([x, y])  # loaded once, on the workers
        distributed.wait([x, y])
        chunk_rows = x.chunks[0][0]
        local, cluster, local_grads, cluster_grads = _interleaved(
            lambda: pg.parallel.value_and_grad(summed_squared_error, params, x_here, y_here, chunk_rows=chunk_rows),
            lambda: pg.parallel.value_and_grad(summed_squared_error, params, x, y, client=client),
            client,
            sizes.repeat,
        )
        del x_here, y_here
        metrics[f"{label}rows"] = float(rows)
        metrics[f"{label}chunks"] = float(len(x.chunks[0]))
        metrics[f"{label}local_s"] = local.wall_s
        metrics[f"{label}cluster_s"] = cluster.wall_s
        metrics[f"{label}speedup"] = local.wall_s / cluster.wall_s
        metrics[f"{label}local_cpu_s"] = local.cpu_s
        metrics[f"{label}cluster_busiest_worker_cpu_s"] = cluster.worker_cpu_s
        metrics[f"{label}cluster_client_cpu_s"] = cluster.cpu_s
        metrics[f"{label}cpu_speedup"] = local.cpu_s / max(cluster.worker_cpu_s, 1e-9)
        metrics[f"{label}max_relative_difference"] = _max_relative_difference(cluster_grads, local_grads)
        del x, y
    metrics["small_overhead_ms"] = (metrics["small_cluster_s"] - metrics["small_local_s"]) * 1e3
    return metrics


def table(metrics: dict[str, float]) -> str:
    def row(label: str, prefix: str) -> str:
        m = {k[len(prefix):]: v for k, v in metrics.items() if k.startswith(prefix)}
        return (
            f"| {label} | {m['local_s']:.3g} | {m['cluster_s']:.3g} | **{m['speedup']:.2f}** "
            f"| {m['local_cpu_s']:.3g} | {m['cluster_busiest_worker_cpu_s']:.3g} "
            f"| {m['cluster_client_cpu_s']:.3g} | {m['cpu_speedup']:.2f} | {m['max_relative_difference']:.1g} |"
        )

    rows, chunks = int(metrics["rows"]), int(metrics["chunks"])
    small, small_chunks = int(metrics["small_rows"]), int(metrics["small_chunks"])
    return "\n".join(
        [
            "| full-batch gradient, MLP 20-64-64-1 | client=None, wall s/step | 2-worker LocalCluster, "
            "wall s/step | speedup (wall) | client=None, CPU s/step | busiest worker, CPU s/step "
            "| client and scheduler, CPU s/step | speedup (CPU) | max relative difference |",
            "| --- " * 9 + "|",
            row(f"{rows:,} rows of 20 floats, {chunks} chunks", ""),
            row(f"{small:,} rows, {small_chunks} chunks", "small_"),
            "",
            f"- per-step overhead of the cluster on small data: {metrics['small_overhead_ms']:.0f} ms "
            "(wall, cluster minus client=None)",
            "- speedup (CPU): client=None's CPU time over the busiest worker's, what two otherwise idle "
            "cores would give if the client's and scheduler's own work (beside it) took none",
        ]
    )


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100k rows and 2 repeats: a smoke run")
    parser.add_argument("--repeat", type=int, help="timed steps per figure (default 3, quick 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    sizes = QUICK if args.quick else FULL
    if args.repeat is not None:
        sizes = attrs.evolve(sizes, repeat=args.repeat)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("parallel: skipped: dask.distributed is not installed (pip install 'puregrad[distributed]')")
        return ""

    import dask

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    # distributed starts workers with MALLOC_TRIM_THRESHOLD_ set, which also stops glibc's
    # adaptive mmap threshold: every batch-sized array is then mapped and unmapped afresh
    # (page faults: 40% more CPU per chunk). This process allocates the default way.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": WORKER_MMAP_THRESHOLD}), LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, Client(cluster) as client:
        metrics = measure(client, sizes)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    meta = {
        "command": " ".join(["python benchmarks/parallel.py", *arguments]),
        "commit": commit,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "seconds": time.perf_counter() - started,
    }
    notes = []
    try:
        autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        autogroup = False
    if autogroup:
        notes.append(
            "- the kernel shares CPU between sessions (sched_autogroup): while another session "
            "keeps a core busy, this run's processes together get about one core however many "
            "there are, so the wall-time speedup stays near 1 then; the CPU speedup does not"
        )
    markdown = "\n".join(
        [
            table(metrics),
            *notes,
            "",
            f"`{meta['command']}` at {commit or 'an unknown commit'}, {meta['date']}; Python "
            f"{meta['python']}, {meta['cores']} cores, one BLAS thread per process; 1-minute load "
            f"average {load_before:.2f} before, {meta['load_average_after']:.2f} after (the "
            "machine may be shared: a load above 0 means others' work ran alongside).",
        ]
    )
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "parallel-quick" if args.quick else "parallel"
    (args.out / f"{stem}.md").write_text(markdown + "\n")
    (args.out / f"{stem}.json").write_text(json.dumps({"meta": meta, "metrics": metrics}, indent=2) + "\n")
    return markdown


if __name__ == "__main__":
    main()
