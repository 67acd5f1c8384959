"""Measuring instruments: wall time, process memory (RSS) and Python-visible memory
(tracemalloc), each read the same way for every framework."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Final, TypeVar

__all__ = [
    "ARRAY_FLOATS",
    "median",
    "reset_peak_rss",
    "rss_bytes",
    "peak_rss_bytes",
    "timed",
    "traced_bytes",
]

ARRAY_FLOATS: Final = 2_000_000
"""The length of the float64 arrays in the memory workload (one array = 16 MB)."""

T = TypeVar("T")

_STATUS: Final = Path("/proc/self/status")
_CLEAR_REFS: Final = Path("/proc/self/clear_refs")


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(function: Callable[[], T]) -> tuple[T, float]:
    """`function()` and the CPU seconds this process spent on it (the collector runs as it
    would for a user).

    CPU time, not wall time: every workload runs on one thread (one BLAS thread), and on a
    shared machine other processes' load would otherwise inflate whichever framework
    happened to run while they did, skewing ratios between separately run workers.
    """
    start = time.process_time()
    result = function()
    return result, time.process_time() - start


def _status_kib(field: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in {_STATUS}")


def rss_bytes() -> int:
    """The process's resident memory now."""
    return _status_kib("VmRSS") * 1024


def peak_rss_bytes() -> int:
    """The process's resident high-water mark since start (or since `reset_peak_rss`)."""
    return _status_kib("VmHWM") * 1024


def reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux >= 4.0); False when refused."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def traced_bytes(function: Callable[[], object]) -> tuple[object, int, int]:
    """Run `function` under tracemalloc: its result, the memory it left allocated (bytes),
    and its peak. numpy reports its array buffers to tracemalloc; PyTorch does not."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = function()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, after - before, peak - before
