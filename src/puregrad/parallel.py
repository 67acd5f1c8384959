"""Data-parallel gradients: the mean loss and gradient over data split into row chunks, one
task per chunk, on a Dask cluster or in this process.

    value, grads = pg.parallel.value_and_grad(loss_fn, params, x, t, client=client)

`loss_fn(params, *batch)` returns the **sum** of the per-example losses of one batch, so the
chunks' values and gradients add up to those of the whole data set; the result is divided by
the number of rows once, at the end. Everything a step needs is pure: the parameters (a tree
of arrays) are sent to every worker once, each chunk's task loads or generates its rows where
it runs and returns only a loss and a gradient tree, and those are summed on the workers in a
tree reduction whose shape depends only on the number of chunks. So a task lost with its
worker is simply run again elsewhere, and the result is the same, bit for bit.

Dask is optional (the `distributed` extra) and imported only when it is used: with
`client=None` and ndarray data this module needs numpy alone.
"""

from __future__ import annotations

import functools
import math
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from puregrad.backward import Gradients, backward
from puregrad.config import Config, using_config
from puregrad.node import F, Node
from puregrad.tree import gradients_of, to_variables, tree_map

if TYPE_CHECKING:
    import dask.array
    import distributed

__all__ = ["Data", "value_and_grad"]

T = TypeVar("T")
R = TypeVar("R")

Data: TypeAlias = "NDArray[Any] | dask.array.Array"
"""One data argument: an ndarray or a Dask array, split along axis 0 into row chunks."""

CHUNK_BYTES: Final = 16 * 2**20
"""ndarray data is cut into chunks of about this many bytes of rows (all arguments together)."""

BATCH_ROWS: Final = 8192
"""The default for the most rows `loss_fn` is called with (see `value_and_grad`)."""

FAN_IN: Final = 4
"""How many partial sums one task of the tree reduction adds."""

_ATTEMPTS: Final = 3  # submissions of a step whose scattered inputs were lost with a worker
_RECORD: Final = Config()  # each chunk's loss is recorded, whatever scope the caller is in
_WHO: Final = "parallel.value_and_grad"
_EXTRA: Final = "pip install 'puregrad[distributed]'"


# The work of one chunk, and of one node of the reduction (run on the workers) ---------------


def _checked_loss(y: object) -> Node[Any]:
    if type(y) is not Node:
        raise TypeError(f"{_WHO}: loss_fn must return a puregrad Node, got {type(y).__name__}")
    if y.shape != ():
        raise ValueError(
            f"{_WHO}: loss_fn must return a node of shape () (the sum of the batch's "
            f"per-example losses), got shape {y.shape}; reduce it with pg.sum"
        )
    return y


def _chunk_value_and_grad(
    loss_fn: Callable[..., Node[Any]], params: T, batch_rows: int, *chunk: NDArray[Any]
) -> tuple[NDArray[Any], T]:
    """The loss of one chunk (a 0-d array) and its gradient tree for `params`, from
    `loss_fn` on successive batches of at most `batch_rows` rows, added in order.

    Batches rather than the whole chunk at once: a model's intermediate arrays then stay a
    batch's size, small enough for the processor's caches (two processes streaming large
    arrays through memory slow each other down far more) and for memory, whatever the
    chunks' size.
    """
    variables = to_variables(params)
    rows = len(chunk[0])
    total: tuple[NDArray[Any], T] | None = None
    for start in range(0, rows, batch_rows):
        batch = [x[start : start + batch_rows] for x in chunk]
        with using_config(_RECORD):
            y = _checked_loss(loss_fn(variables, *batch))
        grads = backward(y, _RECORD) if y.requires_grad else Gradients({})
        part = (y.value, gradients_of(grads, variables))
        total = part if total is None else _add_parts(total, part)
    assert total is not None  # chunks are never empty
    return total


def _add_parts(*parts: tuple[NDArray[Any], T]) -> tuple[NDArray[Any], T]:
    """The sum of partial (loss, gradient tree) pairs, left to right."""
    return _sum([p[0] for p in parts]), tree_map(lambda *leaves: _sum(leaves), *[p[1] for p in parts])


def _sum(arrays: Sequence[NDArray[Any]]) -> NDArray[Any]:
    # np.add of 0-d arrays gives a numpy scalar: keep a (0-d) array, as a tree leaf must be
    return np.asarray(functools.reduce(np.add, arrays))


def _tree_reduce(items: Sequence[R], combine: Callable[[list[R]], R]) -> R:
    """Combine `items` in groups of `FAN_IN` consecutive ones, level by level, to one.

    The grouping depends only on `len(items)`, so the sums come out the same wherever and in
    whatever order the tasks run.
    """
    level = list(items)
    while len(level) > 1:
        level = [
            level[i] if len(level[i : i + FAN_IN]) == 1 else combine(level[i : i + FAN_IN])
            for i in range(0, len(level), FAN_IN)
        ]
    return level[0]


# Checking the arguments, before any task runs ----------------------------------------------


def _is_dask_array(x: object) -> bool:
    # Nothing can be a Dask array unless dask.array was imported, so no import is needed here.
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(x, module.Array)


def _rows(data: tuple[object, ...]) -> int:
    """The number of rows all the data arguments share (`ValueError` naming the one that
    differs, or data without rows)."""
    if not data:
        raise ValueError(f"{_WHO}: no data given; pass the arrays that loss_fn's batch holds")
    lengths: list[int] = []
    for i, x in enumerate(data):
        if not (isinstance(x, np.ndarray) or _is_dask_array(x)):
            raise TypeError(
                f"{_WHO}: data argument {i} is a {type(x).__name__}; pass ndarrays or Dask arrays"
            )
        shape: tuple[float, ...] = x.shape  # type: ignore[attr-defined]  # ndarray or Dask array
        if len(shape) == 0:
            raise ValueError(f"{_WHO}: data argument {i} is 0-d; the data are split along axis 0")
        if math.isnan(shape[0]):
            raise ValueError(
                f"{_WHO}: data argument {i} is a Dask array of unknown length; call its "
                "compute_chunk_sizes() first"
            )
        lengths.append(int(shape[0]))
    if len(set(lengths)) > 1:
        raise ValueError(
            f"{_WHO}: the data arguments have different lengths {lengths}; they must hold "
            "the same rows"
        )
    if lengths[0] == 0:
        raise ValueError(f"{_WHO}: the data have no rows")
    return lengths[0]


def _probe(loss_fn: Callable[..., object], params: object, data: tuple[object, ...]) -> None:
    """Evaluate `loss_fn` once on a batch of one row, in this process, before any task: an
    ndarray's first row, or a row of zeros shaped like a Dask array's (nothing is computed).
    A loss of the wrong kind is thus reported before any chunk runs."""
    row = tuple(
        x[:1] if isinstance(x, np.ndarray) else np.zeros((1, *x.shape[1:]), x.dtype)  # type: ignore[attr-defined]  # a Dask array
        for x in data
    )
    variables = to_variables(params)
    with warnings.catch_warnings(), np.errstate(all="ignore"), using_config(_RECORD):
        warnings.simplefilter("ignore")  # zeros may be outside a loss's domain: only its shape counts
        _checked_loss(loss_fn(variables, *row))


# The chunks -----------------------------------------------------------------------------


def _boundaries(sizes: Sequence[int]) -> list[tuple[int, int]]:
    edges = np.cumsum([0, *sizes]).tolist()
    return list(zip(edges[:-1], edges[1:]))


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{_WHO}: {name} must be a positive int, got {value!r}")
    return value


def _row_chunks(data: tuple[object, ...], n: int, chunk_rows: int | None) -> tuple[int, ...]:
    """The rows of each chunk: `chunk_rows` each if given, else the first Dask array's own
    chunks, else about `CHUNK_BYTES` of rows."""
    if chunk_rows is not None:
        rows = _positive("chunk_rows", chunk_rows)
    else:
        for x in data:
            if _is_dask_array(x):
                chunks: tuple[tuple[int, ...], ...] = x.chunks  # type: ignore[attr-defined]  # a Dask array
                return tuple(chunks[0])
        row_bytes = sum(x.itemsize * math.prod(x.shape[1:]) for x in data)  # type: ignore[attr-defined]  # ndarrays here
        rows = max(1, CHUNK_BYTES // max(1, row_bytes))
    return tuple(min(rows, n - start) for start in range(0, n, rows))


def _dask_blocks(x: Any, sizes: tuple[int, ...]) -> list[Any]:  # Dask's methods are untyped
    """One Delayed per row chunk of `x`, rechunked to `sizes` rows and whole along the other
    axes."""
    wanted = (sizes, *((n,) for n in x.shape[1:]))
    if x.chunks != wanted:
        x = x.rechunk(wanted)
    return list(x.to_delayed().ravel())


# The two ways to run --------------------------------------------------------------------


def _local(
    loss_fn: Callable[..., Node[Any]],
    params: T,
    data: tuple[object, ...],
    sizes: tuple[int, ...],
    batch_rows: int,
) -> tuple[NDArray[Any], T]:
    """Chunk by chunk in this process: a Dask array's blocks are computed one at a time with
    the synchronous scheduler, so a lazily generated array is never held whole."""
    columns: list[list[Any]] = []
    for x in data:
        if isinstance(x, np.ndarray):
            columns.append([x[start:stop] for start, stop in _boundaries(sizes)])
        else:
            columns.append(_dask_blocks(x, sizes))

    lazy = [j for j, c in enumerate(columns) if not isinstance(c[0], np.ndarray)]
    compute = _import_dask().compute if lazy else None

    def part(i: int) -> tuple[NDArray[Any], T]:
        batch = [c[i] for c in columns]
        if compute is not None:  # together, so blocks they share are computed once
            for j, block in zip(lazy, compute(*(batch[j] for j in lazy), scheduler="sync")):
                batch[j] = block
        return _chunk_value_and_grad(loss_fn, params, batch_rows, *batch)

    return _streamed_tree_reduce((part(i) for i in range(len(sizes))), _add_combine)


def _add_combine(group: list[tuple[NDArray[Any], T]]) -> tuple[NDArray[Any], T]:
    return _add_parts(*group)


def _streamed_tree_reduce(items: Iterable[R], combine: Callable[[list[R]], R]) -> R:
    """`_tree_reduce` of items that come one at a time: each group is combined as soon as it
    is complete, so at most `FAN_IN` items per level are held, and the groups are the same."""
    levels: list[list[R]] = []
    for item in items:
        carry = item
        for level in levels:
            level.append(carry)
            if len(level) < FAN_IN:
                break
            carry = combine(level[:])
            level.clear()
        else:
            levels.append([carry])
    # The end: each level's last, incomplete group becomes the last item of the level above.
    carried: list[R] = []
    for depth, level in enumerate(levels):
        level += carried
        if len(level) == 1 and not any(levels[depth + 1 :]):
            return level[0]
        carried = [level[0]] if len(level) == 1 else [combine(level)] if level else []
    if not carried:
        raise ValueError("_streamed_tree_reduce: no items")
    return carried[0]


def _import_dask() -> Any:
    import dask  # only reached with Dask arrays in hand, so dask is installed

    return dask


def _import_distributed() -> Any:
    try:
        import dask
        import distributed  # noqa: F401  # a client's futures need it on this side too
    except ImportError as error:
        raise ImportError(
            f"{_WHO} with a client needs dask.distributed, the `distributed` extra: {_EXTRA}"
        ) from error
    return dask


def _on_cluster(
    client: Any,  # a distributed.Client, whose methods are untyped
    loss_fn: Callable[..., Node[Any]],
    params: T,
    data: tuple[object, ...],
    sizes: tuple[int, ...],
    batch_rows: int,
) -> tuple[NDArray[Any], T]:
    """One graph on `client`: a task per chunk, then the tree reduction; only its root comes
    back.

    What this sends with `scatter` (the parameters, ndarray chunks) lives only in workers'
    memory: a worker lost with the sole copy of a chunk takes it away, and no task can
    recompute it. Then the step is simply submitted again (`_ATTEMPTS` times at most); the
    tasks are pure, so the result is the same. Dask arrays' chunks are recomputed by Dask
    itself, within the same attempt.
    """
    dask = _import_distributed()
    for attempt in range(1, _ATTEMPTS + 1):
        # Sent to every worker once for this step (a list of one, as scatter spreads a
        # list's items); each chunk task then finds it where it runs.
        scattered = client.scatter([params], broadcast=True, hash=False)
        columns: list[list[Any]] = []
        for x in data:
            if isinstance(x, np.ndarray):
                chunks = client.scatter([x[a:b] for a, b in _boundaries(sizes)], hash=False)
                scattered += chunks
                columns.append(chunks)
            else:
                columns.append(_dask_blocks(x, sizes))
        chunk_task = dask.delayed(_chunk_value_and_grad, pure=False)
        add_task = dask.delayed(_add_parts, pure=False)
        parts = [
            chunk_task(loss_fn, scattered[0], batch_rows, *(c[i] for c in columns))
            for i in range(len(sizes))
        ]
        root = _tree_reduce(parts, lambda group: add_task(*group))
        try:
            result: tuple[NDArray[Any], T] = client.compute(root).result()
            return result
        except Exception:
            if attempt == _ATTEMPTS or all(f.status == "finished" for f in scattered):
                raise  # the loss's own error, or lost too often
    raise AssertionError("unreachable")


# The public function ----------------------------------------------------------------------


@overload
def value_and_grad(
    loss_fn: Callable[[T, NDArray[Any]], Node[F]],
    params: T,
    x0: Data,
    /,
    *,
    client: distributed.Client | None = None,
    chunk_rows: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[NDArray[F], T]: ...
@overload
def value_and_grad(
    loss_fn: Callable[[T, NDArray[Any], NDArray[Any]], Node[F]],
    params: T,
    x0: Data,
    x1: Data,
    /,
    *,
    client: distributed.Client | None = None,
    chunk_rows: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[NDArray[F], T]: ...
@overload
def value_and_grad(
    loss_fn: Callable[[T, NDArray[Any], NDArray[Any], NDArray[Any]], Node[F]],
    params: T,
    x0: Data,
    x1: Data,
    x2: Data,
    /,
    *,
    client: distributed.Client | None = None,
    chunk_rows: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[NDArray[F], T]: ...
@overload
def value_and_grad(
    loss_fn: Callable[..., Node[F]],
    params: T,
    x0: Data,
    x1: Data,
    x2: Data,
    x3: Data,
    /,
    *data: Data,
    client: distributed.Client | None = None,
    chunk_rows: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[NDArray[F], T]: ...
def value_and_grad(
    loss_fn: Callable[..., Node[Any]],
    params: T,
    /,
    *data: Data,
    client: distributed.Client | None = None,
    chunk_rows: int | None = None,
    batch_rows: int = BATCH_ROWS,
) -> tuple[NDArray[Any], T]:
    """The mean loss and the mean gradient tree over every row of `data`, a task per chunk.

    Args:
        loss_fn: `loss_fn(params, *batch)` returns the **sum** of the per-example losses of
            the batch (a node of shape `()`); `batch` holds one row chunk of each data array.
        params: a tree of floating arrays (as for `tree_value_and_grad`), sent to every
            worker once per call.
        data: aligned arrays split along axis 0: Dask arrays (each chunk is computed by the
            task that uses it, where it runs, so the data never has to fit in one process)
            or ndarrays (cut into chunks of about 16 MiB of rows and sent to the workers).
        client: a `dask.distributed.Client` to run on (a `LocalCluster`, or a scheduler's
            address for many machines); None runs chunk by chunk in this process.
        chunk_rows: rows per chunk (task); by default a Dask array's own row chunks (the
            other data are cut to match) or about 16 MiB of ndarray rows.
        batch_rows: the most rows `loss_fn` gets at once: a task takes its chunk's
            gradient batch by batch, so the model's intermediate arrays stay this small
            (fast in the caches, light on memory) however large the chunks.

    Returns:
        `(loss, grads)`: the sum of the chunks' losses divided by the number of rows (a 0-d
        array), and likewise the gradient, a tree of read-only arrays shaped like `params`.
        Equal to `tree_value_and_grad` of the mean loss over all the data, up to the order
        of summation (which is fixed: the same chunks give the same bits on any cluster).
        A worker lost mid-step changes nothing: Dask reruns its tasks elsewhere (and the
        step is submitted again, at most twice more, if ndarray chunks went with it).

    Raises:
        ValueError: before any task runs: data of different lengths, without rows, or 0-d;
            a `loss_fn` whose value is not of shape `()` (it is first evaluated here on one
            row: an ndarray's first, or zeros shaped like a Dask array's row).
        TypeError: data that is neither an ndarray nor a Dask array, `params` that is not a
            tree of floating arrays, or a `loss_fn` that does not return a Node.
        ImportError: a client or Dask arrays without the `distributed` extra installed.

    >>> import puregrad as pg
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> def loss(p: dict[str, pg.Param[np.float64]], xb: NDArray[np.float64]) -> pg.Node[np.float64]:
    ...     return pg.sum((xb @ p["w"]) ** 2)
    >>> pg.parallel.value_and_grad(loss, {"w": np.ones(2)}, x, chunk_rows=2)
    (array(35.66666667), {'w': array([30.66666667, 40.66666667])})
    """
    n = _rows(data)
    _probe(loss_fn, params, data)
    sizes = _row_chunks(data, n, chunk_rows)
    _positive("batch_rows", batch_rows)
    if client is None:
        loss_sum, grad_sum = _local(loss_fn, params, data, sizes, batch_rows)
    else:
        loss_sum, grad_sum = _on_cluster(client, loss_fn, params, data, sizes, batch_rows)
    loss = np.asarray(loss_sum / n)
    loss.flags.writeable = False

    def mean(g: NDArray[Any]) -> NDArray[Any]:
        m = np.asarray(g / n)
        m.flags.writeable = False
        return m

    return loss, tree_map(mean, grad_sum)
