"""The scikit-learn digits: shapes, a stratified and reproducible split, the missing extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import puregrad as pg


def test_digits_split_is_stratified_complete_and_reproducible() -> None:
    split = pg.digits(0)
    assert split.x_train.shape == (1438, 1, 8, 8) and split.x_test.shape == (359, 1, 8, 8)
    assert split.x_train.dtype == np.float64 and split.t_train.dtype == np.int64
    assert 0.0 <= split.x_train.min() and split.x_train.max() == 1.0
    for a in (split.x_train, split.t_train, split.x_test, split.t_test):
        assert not a.flags.writeable
    datasets = pytest.importorskip("sklearn.datasets")
    full = datasets.load_digits()
    # Each class gives round(0.2 * its count) images to the test set.
    counts = np.bincount(full.target)
    np.testing.assert_array_equal(np.bincount(split.t_test), np.round(0.2 * counts))
    np.testing.assert_array_equal(np.bincount(split.t_train) + np.bincount(split.t_test), counts)
    # Together the two sets are the data set, each image once, with its own label.
    both = np.concatenate([split.x_train, split.x_test]).reshape(-1, 64) * 16.0
    labels = np.concatenate([split.t_train, split.t_test])
    order = np.lexsort(np.column_stack([both, labels]).T)
    reference = np.lexsort(np.column_stack([full.data, full.target]).T)
    np.testing.assert_array_equal(both[order], full.data[reference])
    np.testing.assert_array_equal(labels[order], full.target[reference])
    # The same seed gives the same split; another seed another one.
    again, other = pg.digits(0), pg.digits(1)
    np.testing.assert_array_equal(again.x_test, split.x_test)
    np.testing.assert_array_equal(again.t_train, split.t_train)
    assert not np.array_equal(other.t_test, split.t_test)


def test_digits_dtype_and_fraction() -> None:
    split = pg.digits(3, test_fraction=0.5, dtype=np.float32)
    assert split.x_train.dtype == np.float32
    assert abs(len(split.t_test) - 1797 / 2) <= 10
    with pytest.raises(ValueError, match=r"digits: test_fraction must be in \(0, 1\)"):
        pg.digits(0, test_fraction=1.0)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes its import fail
    with pytest.raises(ImportError, match=r"scikit-learn.*extra `data`.*puregrad\[data\]"):
        pg.digits(0)
