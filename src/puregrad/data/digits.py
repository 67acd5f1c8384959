"""scikit-learn's handwritten digits (1,797 images of 8x8, 10 classes), split into training and
test sets, stratified and reproducible from a seed.

The images ship inside scikit-learn (no download); it is the optional extra `data`:
`pip install 'puregrad[data]'`.
"""

from __future__ import annotations

import importlib
from typing import Any, Generic, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.node import F

__all__ = ["DigitsSplit", "digits"]


@attrs.frozen
class DigitsSplit(Generic[F]):
    """The digits, split: images `(N, 1, 8, 8)` scaled to `[0, 1]` and integer labels
    `(N,)`, read-only."""

    x_train: NDArray[F]
    t_train: NDArray[np.int64]
    x_test: NDArray[F]
    t_test: NDArray[np.int64]


def _load() -> tuple[NDArray[Any], NDArray[Any]]:
    try:
        datasets: Any = importlib.import_module("sklearn.datasets")
    except ImportError as error:
        raise ImportError(
            "puregrad.digits needs scikit-learn, which holds the images: install the "
            "optional extra `data` (pip install 'puregrad[data]')"
        ) from error
    bunch = datasets.load_digits()
    return np.asarray(bunch.images), np.asarray(bunch.target)


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


@overload
def digits(seed: int = 0, *, test_fraction: float = 0.2) -> DigitsSplit[np.float64]: ...
@overload
def digits(seed: int = 0, *, test_fraction: float = 0.2, dtype: type[F]) -> DigitsSplit[F]: ...
def digits(
    seed: int = 0, *, test_fraction: float = 0.2, dtype: type[np.floating[Any]] = np.float64
) -> DigitsSplit[Any]:
    """The digits split into training and test sets.

    Stratified: each class gives `round(test_fraction * its count)` images to the test set,
    chosen by a `numpy.random.Generator` seeded with `seed`, so every class keeps its share
    and the same seed always gives the same split. Both sets are shuffled.

    Raises:
        ImportError: scikit-learn (the `data` extra) is not installed.
        ValueError: `test_fraction` is not in `(0, 1)`.

    >>> split = digits(0)
    >>> split.x_train.shape, split.x_test.shape, np.bincount(split.t_test)[:3].tolist()
    ((1438, 1, 8, 8), (359, 1, 8, 8), [36, 36, 35])
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction!r}")
    images, labels = _load()
    rng = np.random.default_rng(seed)
    test: list[NDArray[np.intp]] = []
    train: list[NDArray[np.intp]] = []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(test_fraction * len(members)))
        test.append(members[:k])
        train.append(members[k:])
    train_index = rng.permutation(np.concatenate(train))
    test_index = rng.permutation(np.concatenate(test))
    x = (images / 16.0).astype(dtype)[:, None, :, :]
    t = labels.astype(np.int64)
    return DigitsSplit(
        _frozen(x[train_index]),
        _frozen(t[train_index]),
        _frozen(x[test_index]),
        _frozen(t[test_index]),
    )
