"""DeZero's sine-wave data (`SinCurve`) and its sequence batcher (`SeqDataLoader`), from a
seed and with no global random state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.node import F

__all__ = ["SinCurve", "sequence_batches", "sin_curve"]

A = TypeVar("A", bound=np.generic)
B = TypeVar("B", bound=np.generic)


@attrs.frozen
class SinCurve(Generic[F]):
    """A sequence for next-value prediction: `t[k]` is the value that follows `x[k]`.

    Attributes:
        x: the inputs, `(num_data - 1, 1)`, read-only.
        t: the targets, `(num_data - 1, 1)`, read-only (the curve shifted by one step).
    """

    x: NDArray[F]
    t: NDArray[F]

    def __len__(self) -> int:
        return len(self.x)


@overload
def sin_curve(
    seed: int = 0, *, train: bool = True, num_data: int = 1000, noise: float = 0.05
) -> SinCurve[np.float64]: ...
@overload
def sin_curve(
    seed: int = 0, *, train: bool = True, num_data: int = 1000, noise: float = 0.05, dtype: type[F]
) -> SinCurve[F]: ...
def sin_curve(
    seed: int = 0,
    *,
    train: bool = True,
    num_data: int = 1000,
    noise: float = 0.05,
    dtype: type[np.floating[Any]] = np.float64,
) -> SinCurve[Any]:
    """DeZero's `SinCurve`: `num_data` points of one period, `s = linspace(0, 2 pi)`.

    For training (`train=True`) the curve is `sin(s)` plus noise uniform on
    `[-noise, noise]`, drawn from a generator seeded with `seed`; for evaluation it is the
    clean `cos(s)` (a curve the model has not seen, of the same shape). Each input is one
    point and its target the next.

    Raises:
        ValueError: `num_data` is below 2, or `noise` is negative.

    >>> data = sin_curve()
    >>> len(data), data.x.shape, bool(data.t[0, 0] == data.x[1, 0])
    (999, (999, 1), True)
    >>> float(sin_curve(train=False).x[0, 0])
    1.0
    """
    if num_data < 2:
        raise ValueError(f"sin_curve: num_data must be at least 2, got {num_data}")
    if noise < 0:
        raise ValueError(f"sin_curve: noise must not be negative, got {noise}")
    s = np.linspace(0, 2 * np.pi, num_data)
    if train:
        y = np.sin(s) + np.random.default_rng(seed).uniform(-noise, noise, s.shape)
    else:
        y = np.cos(s)
    y = y.astype(dtype)
    x, t = y[:-1, None].copy(), y[1:, None].copy()
    x.flags.writeable = False
    t.flags.writeable = False
    return SinCurve(x, t)


def sequence_batches(
    x: NDArray[A],
    t: NDArray[B],
    batch_size: int,
    length: int,
    *,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[NDArray[A], NDArray[B]]]:
    """One epoch of a sequence as `batch_size` parallel streams, in windows of `length`
    steps, time-major (DeZero's `SeqDataLoader`, cut into windows for truncated BPTT).

    Stream `k` starts at `k * jump` with `jump = len(x) // batch_size` (evenly spaced
    offsets) and advances one element per step, wrapping around the end; an epoch is `jump`
    steps, so each window is `(x[index], t[index])` with `index` of shape `(L, batch_size)`
    and `L = length` (the last window holds what remains). Consecutive windows continue
    each stream where the previous one stopped, so the state carried between them is the
    state of the same stream. With `rng`, every offset is shifted by one random amount
    drawn from it (the windows start elsewhere each epoch); without, the epoch is fixed.

    Raises:
        ValueError: `x` and `t` differ in length, `batch_size` is not in `[1, len(x)]`, or
            `length` is not positive.

    >>> xs = np.arange(10)
    >>> [b.tolist() for b, _ in sequence_batches(xs, xs, batch_size=2, length=3)]
    [[[0, 5], [1, 6], [2, 7]], [[3, 8], [4, 9]]]
    """
    n = len(x)
    if len(t) != n:
        raise ValueError(f"sequence_batches: x and t differ in length ({n} and {len(t)})")
    if not 1 <= batch_size <= n:
        raise ValueError(
            f"sequence_batches: batch_size must be in [1, {n}] for a sequence of {n}, got "
            f"{batch_size}"
        )
    if length < 1:
        raise ValueError(f"sequence_batches: length must be positive, got {length}")
    jump = n // batch_size
    shift = int(rng.integers(n)) if rng is not None else 0
    offsets = np.arange(batch_size) * jump + shift
    for start in range(0, jump, length):
        steps = np.arange(start, min(start + length, jump))
        index = (steps[:, None] + offsets[None, :]) % n
        yield x[index], t[index]
