"""Checkpoint throughput: `pg.save` and `pg.load` of a 200 MB tree beside numpy.

    python benchmarks/saving.py [--size-mb 200] [--repeat 7] [--dir DIR] [--out DIR]

The tree is what a training run saves: the parameters of an MLP (float64) and the state of
`Adam` for them (two moment trees and a step count), about `--size-mb` in all. Each way of
writing and reading the same arrays is timed in turn, `--repeat` times, with the order
rotated each round; the table gives the best and the median MB/s (MB = 10^6 bytes) and
their ratios to `numpy.save` / `np.load` from this run (on a shared machine other processes
only ever slow a round down, so the best round is the steadier figure):

- `pg.save`: one safetensors file, written to a temporary file, fsynced, renamed over the
  target and the directory fsynced (what makes it crash-safe).
- `numpy.save`: one `.npy` file per array, as a user would write them by hand: no fsync.
- `numpy.save + fsync`: the same, each file fsynced: the like-for-like durable baseline.
- `safetensors save_file + fsync`: the library's own writer, fsynced afterwards (the
  alternative to writing the format directly), no temporary file or rename.
- loads: `pg.load` (validated, read-only arrays), `np.load` of the `.npy` files,
  `safetensors load_file` (mmap); all read what was just written, from the page cache.
- `memory copy`: one `np.copyto` of the whole tree, the bound set by memory bandwidth.
- `pg.save, fsyncs skipped`: a diagnostic, `os.fsync` stubbed out: the cost of writing the
  format itself, beside `numpy.save` (which does not fsync either).

Wall time (I/O waits count); the machine is shared, so read the ratios. The table is
printed and written to `benchmarks/results/saving.md` (figures as JSON in `saving.json`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

ROOT: Final = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (`make bench`)
    sys.path.insert(0, str(ROOT / "src"))

import safetensors  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

import puregrad as pg  # noqa: E402


def checkpoint_tree(size_mb: float) -> tuple[pg.MLPParams[np.float64], pg.AdamState]:
    """MLP parameters (two square hidden layers) and their Adam state: about `size_mb`."""
    # 3 trees (params, mu, nu) of two width x width float64 matrices each
    width = max(8, int((size_mb * 1e6 / (3 * 2 * 8)) ** 0.5))
    params = pg.MLP((width, width, width, 10)).init(np.random.default_rng(0))
    optimizer = pg.Adam()
    state = optimizer.init(params)
    grads = pg.tree_map(lambda p: np.full_like(p, 0.5), params)
    _, state = optimizer.update(grads, state, params)  # moments that are not all zeros
    return params, state


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _arrays(tree: object) -> dict[str, NDArray[Any]]:
    leaves = pg.tree_leaves(tree)
    return {str(i): leaf for i, leaf in enumerate(leaves) if isinstance(leaf, np.ndarray)}


def measure(size_mb: float, repeat: int, directory: Path) -> dict[str, Any]:
    """The MB/s of every way of saving and loading, medians over `repeat` rounds."""
    # Touch memory first: in a virtual machine the first touch of a page the guest never
    # used costs the host a fault (seen at 2 s per 200 MB here), which would land on
    # whichever operation happened to allocate it.
    warm = np.ones(int(4 * size_mb * 1e6) // 8)  # four trees' worth
    del warm
    tree = checkpoint_tree(size_mb)
    arrays = _arrays(tree)
    total = sum(a.nbytes for a in arrays.values())
    pg_path = directory / "tree.safetensors"
    st_path = directory / "library.safetensors"
    npy = directory / "npy"
    npy.mkdir(exist_ok=True)
    copy_target = {k: np.empty_like(a) for k, a in arrays.items()}

    def np_save(sync: bool) -> None:
        for key, array in arrays.items():
            path = npy / f"{key}.npy"
            np.save(path, array)
            if sync:
                _fsync(path)

    def st_save() -> None:
        save_file(arrays, st_path)
        _fsync(st_path)

    def copy() -> None:
        for key, array in arrays.items():
            np.copyto(copy_target[key], array)

    def pg_load() -> list[NDArray[Any]]:
        return [a for a in pg.tree_leaves(pg.load(pg_path, tree)) if isinstance(a, np.ndarray)]

    def np_load() -> list[NDArray[Any]]:
        return [np.load(npy / f"{key}.npy") for key in arrays]

    def st_load() -> list[NDArray[Any]]:
        loaded = load_file(st_path)
        return [loaded[key] for key in arrays]

    def pg_save_unsynced() -> None:
        fsync = os.fsync
        os.fsync = lambda fd: None  # diagnostic only: what the writing itself costs
        try:
            pg.save(pg_path, tree)
        finally:
            os.fsync = fsync

    saves: dict[str, Callable[[], None]] = {
        "pg.save": lambda: pg.save(pg_path, tree),
        "pg.save, fsyncs skipped (diagnostic)": pg_save_unsynced,
        "numpy.save": lambda: np_save(False),
        "numpy.save + fsync": lambda: np_save(True),
        "safetensors save_file + fsync": st_save,
        "memory copy": copy,
    }
    loads: dict[str, Callable[[], object]] = {
        "pg.load": pg_load,
        "np.load": np_load,
        "safetensors load_file": st_load,
    }
    times: dict[str, list[float]] = {name: [] for name in [*saves, *loads]}
    checks: dict[str, bool] = {}
    expected = list(arrays.values())
    for round_ in range(repeat + 1):  # round 0 warms up (files exist, pages are cached)
        for group in (saves, loads):
            names = list(group)
            names = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in names:
                start = time.perf_counter()
                loaded = group[name]()
                elapsed = time.perf_counter() - start
                if round_ > 0:
                    times[name].append(elapsed)
                if isinstance(loaded, list):  # checked outside the clock
                    checks[name] = len(loaded) == len(expected) and all(
                        np.array_equal(a, b) for a, b in zip(loaded, expected)
                    )
                del loaded
    return {
        "bytes": total,
        "leaves": len(arrays),
        "repeat": repeat,
        "mb_per_s": {name: total / 1e6 / statistics.median(t) for name, t in times.items()},
        "best_mb_per_s": {name: total / 1e6 / min(t) for name, t in times.items()},
        "seconds": times,
        "correct": checks,
    }


def table(result: dict[str, Any]) -> str:
    """Best and median MB/s of each operation, and their ratios to numpy's."""
    rates: dict[str, float] = result["mb_per_s"]
    best: dict[str, float] = result["best_mb_per_s"]
    lines = [
        "| operation | MB/s (best) | MB/s (median) | ÷ numpy (best) | ÷ numpy (median) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name in rates:
        baseline = "np.load" if "load" in name else "numpy.save"
        lines.append(
            f"| {name} | {best[name]:,.0f} | {rates[name]:,.0f} | "
            f"{best[name] / best[baseline]:.2f} | {rates[name] / rates[baseline]:.2f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> str:
    """Run, print and write the table. Returns the markdown it wrote."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=float, default=200.0, help="the size of the tree")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds (after a warm-up)")
    parser.add_argument("--dir", type=Path, help="where the files go (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    directory = Path(tempfile.mkdtemp(prefix="puregrad-saving-", dir=args.dir))
    try:
        result = measure(args.size_mb, args.repeat, directory)
    finally:
        shutil.rmtree(directory)
    command = " ".join(["python benchmarks/saving.py", *arguments])
    checks = result["correct"]
    markdown = "\n".join(
        [
            table(result),
            "",
            f"- {result['bytes'] / 1e6:.0f} MB in {result['leaves']} arrays (MLP parameters and "
            f"Adam state, float64); best and median of {result['repeat']} rounds, wall time; loads read "
            "from the page cache.",
            "- every load gave back the saved arrays"
            if checks and all(checks.values())
            else f"- LOADED ARRAYS DIFFER: {checks}",
            "",
            f"`{command}`, {datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}; "
            f"Python {platform.python_version()}, numpy {np.__version__}, safetensors "
            f"{safetensors.__version__}, {os.cpu_count()} cores.",
        ]
    )
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "saving.md").write_text(markdown + "\n")
    (args.out / "saving.json").write_text(json.dumps({"command": command, **result}, indent=2) + "\n")
    return markdown


if __name__ == "__main__":
    main()
