"""Fit a linear model by full-batch gradient descent on 20 million rows (1.6 GB) that no process
ever holds: what `make demo-parallel` runs.

The data are a lazily generated Dask array: each 500,000-row chunk (40 MB) is made by the
task that uses it, on whichever worker runs it, and dropped once its gradient is taken. Every
step, `pg.parallel.value_and_grad` sends the parameters to the two worker processes of a
`LocalCluster`, runs one task per chunk, sums the gradients on the workers, and returns the
mean loss and gradient over all 20 million rows. At the end each worker's peak memory is
printed: a few chunks' worth, far below the data's size.

To run the same code on a real cluster, connect to its scheduler instead of starting a
LocalCluster: `Client("tcp://scheduler:8786")` (puregrad must be installed on the workers).

    python examples/parallel_regression.py [--rows 20000000] [--steps 6] [--scheduler ADDRESS]
"""

from __future__ import annotations

import os

if __name__ == "__main__":  # one BLAS thread per process: the two workers share two cores
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import resource
import time
from typing import Any

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster
from numpy.typing import NDArray

import puregrad as pg

FEATURES = 9  # and one target column: 10 float64s, 80 bytes a row
CHUNK_ROWS = 500_000
TRUE_W = np.linspace(-2.0, 2.0, FEATURES).reshape(FEATURES, 1)
TRUE_B = 0.5
MODEL = pg.Linear(FEATURES, 1)
OPTIMIZER = pg.SGD(0.4)


def summed_squared_error(
    params: pg.LinearParams[np.float64], x: NDArray[np.float64], y: NDArray[np.float64]
) -> pg.Node[np.float64]:
    """The sum over the batch of the squared errors (pg.parallel divides by the row count)."""
    return pg.sum((MODEL.apply(params, x) - y) ** 2)


def make_data(rows: int) -> tuple[Any, Any]:
    """Features and noisy targets of a known linear model, as lazy Dask arrays."""
    x = da.random.default_rng(0).standard_normal((rows, FEATURES), chunks=(CHUNK_ROWS, FEATURES))
    noise = da.random.default_rng(1).standard_normal((rows, 1), chunks=(CHUNK_ROWS, 1))
    return x, x @ TRUE_W + TRUE_B + 0.1 * noise


def peak_memory_bytes() -> int:
    """This process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def fit(client: Client, rows: int, steps: int) -> pg.LinearParams[np.float64]:
    x, y = make_data(rows)
    gigabytes = (x.nbytes + y.nbytes) / 1e9
    print(f"{rows:,} rows ({gigabytes:.1f} GB, {x.numblocks[0]} chunks), generated where they are used")
    params = MODEL.init(np.random.default_rng(2))
    state = OPTIMIZER.init(params)
    start = time.perf_counter()
    for i in range(1, steps + 1):
        loss, grads = pg.parallel.value_and_grad(summed_squared_error, params, x, y, client=client)
        params, state = pg.step(OPTIMIZER, grads, state, params)
        elapsed = time.perf_counter() - start
        print(f"step {i}/{steps}  mean squared error {float(loss):.5f}  {elapsed / i:.1f} s/step", flush=True)
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--scheduler", help="a running scheduler's address, e.g. tcp://scheduler:8786")
    args = parser.parse_args()
    if args.scheduler:
        with Client(args.scheduler) as client:
            params = fit(client, args.rows, args.steps)
            peaks = client.run(peak_memory_bytes)
    else:
        # Workers allocate like a plain Python process: distributed's MALLOC_TRIM_THRESHOLD_
        # would otherwise have glibc map every large array afresh (see README.md).
        environ = {"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 32 * 2**20}
        with dask.config.set(environ), LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster, Client(cluster) as client:
            params = fit(client, args.rows, args.steps)
            peaks = client.run(peak_memory_bytes)
    print(f"fitted W {np.round(np.ravel(params.W), 3)}, b {np.round(np.ravel(params.b or 0.0), 3)}")
    print(f"true   W {np.round(np.ravel(TRUE_W), 3)}, b {TRUE_B}")
    data_mb = args.rows * (FEATURES + 1) * 8 / 1e6
    for address, peak in sorted(peaks.items()):
        print(f"worker {address}: peak memory {peak / 1e6:,.0f} MB (the data: {data_mb:,.0f} MB)")
    print(f"this process: peak memory {peak_memory_bytes() / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
