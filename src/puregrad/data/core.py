"""The spiral data set, shuffled minibatches and accuracy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from puregrad.node import F, Node

__all__ = ["accuracy", "minibatches", "spiral"]

A = TypeVar("A", bound=np.generic)
B = TypeVar("B", bound=np.generic)


@overload
def spiral(
    seed: int = 1984, *, num_per_class: int = 100, num_classes: int = 3
) -> tuple[NDArray[np.float64], NDArray[np.int64]]: ...
@overload
def spiral(
    seed: int = 1984, *, num_per_class: int = 100, num_classes: int = 3, dtype: type[F]
) -> tuple[NDArray[F], NDArray[np.int64]]: ...
def spiral(
    seed: int = 1984,
    *,
    num_per_class: int = 100,
    num_classes: int = 3,
    dtype: type[np.floating[Any]] = np.float64,
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The spiral dataset of DeZero's `get_spiral`: points on `num_classes` noisy spiral
    arms in the plane, shuffled.

    Point `i` of arm `j` lies at radius `r = i / num_per_class` and angle
    `4 j + 4 r + 0.2 * noise` (standard normal noise) as `(r sin, r cos)`. The same seed
    always gives the same data (a `numpy.random.Generator`, no global state).

    Returns:
        `x` of shape `(num_per_class * num_classes, 2)` and integer labels `t` of shape
        `(num_per_class * num_classes,)`, both read-only.

    Raises:
        ValueError: a count is not positive.

    >>> x, t = spiral()
    >>> x.shape, t.shape, np.bincount(t).tolist()
    ((300, 2), (300,), [100, 100, 100])
    """
    if num_per_class < 1 or num_classes < 1:
        raise ValueError(
            f"spiral: num_per_class and num_classes must be positive, got {num_per_class} "
            f"and {num_classes}"
        )
    rng = np.random.default_rng(seed)
    rate = np.tile(np.arange(num_per_class) / num_per_class, num_classes)
    t = np.repeat(np.arange(num_classes, dtype=np.int64), num_per_class)
    theta = 4.0 * t + 4.0 * rate + 0.2 * rng.standard_normal(t.size)
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=1).astype(dtype)
    order = rng.permutation(t.size)
    x, t = x[order], t[order]
    x.flags.writeable = False
    t.flags.writeable = False
    return x, t


def minibatches(
    x: NDArray[A],
    t: NDArray[B],
    batch_size: int,
    *,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[NDArray[A], NDArray[B]]]:
    """One epoch of minibatches `(x[i], t[i])`: in a fresh random order drawn from `rng`
    (or in order when it is None); the last batch holds what remains.

    Raises:
        ValueError: `x` and `t` differ in length, or `batch_size` is not positive.

    >>> xs = np.arange(5.0)
    >>> [b.tolist() for b, _ in minibatches(xs, xs, 2)]
    [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    if batch_size < 1:
        raise ValueError(f"minibatches: batch_size must be positive, got {batch_size}")
    if len(x) != len(t):
        raise ValueError(
            f"minibatches: x and t differ in length ({len(x)} and {len(t)})"
        )
    n = len(x)
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield x[index], t[index]


def accuracy(
    logits: Node[Any] | NDArray[np.floating[Any]], labels: NDArray[np.integer[Any]]
) -> float:
    """The fraction of rows of `logits` (shape `(N, C)`) whose largest entry is at the label.

    Raises:
        ValueError: the shapes are not `(N, C)` and `(N,)`.

    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    values = logits.value if type(logits) is Node else np.asarray(logits)
    if values.ndim != 2 or labels.shape != values.shape[:1]:
        raise ValueError(
            f"accuracy: logits of shape {values.shape} and labels of shape {labels.shape}; "
            "expected (N, C) and (N,)"
        )
    return float(np.mean(np.argmax(values, axis=1) == labels))
