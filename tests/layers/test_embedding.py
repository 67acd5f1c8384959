"""The Embedding layer: reproducible table, lookup, dtype."""

from __future__ import annotations

import numpy as np
import pytest

import puregrad as pg


def test_init_is_reproducible_read_only_and_normal() -> None:
    layer = pg.Embedding(1000, 20)
    p = layer.init(np.random.default_rng(0))
    assert isinstance(p.W, np.ndarray) and p.W.shape == (1000, 20) and not p.W.flags.writeable
    np.testing.assert_array_equal(p.W, layer.init(np.random.default_rng(0)).W)
    assert np.std(p.W) == pytest.approx(1.0, rel=0.02)


def test_apply_looks_rows_up_in_the_dtype() -> None:
    layer = pg.Embedding(4, 3)
    p = layer.init(np.random.default_rng(0), np.float32)
    y = layer.apply(p, np.array([[3, 1]]))
    assert y.shape == (1, 2, 3) and y.dtype == np.float32
    np.testing.assert_array_equal(y.value, np.asarray(p.W)[[[3, 1]]])
    with pytest.raises(IndexError, match="id 4"):
        layer.apply(p, np.array([4]))


def test_sizes_are_checked() -> None:
    with pytest.raises(ValueError, match="num_embeddings"):
        pg.Embedding(0, 3)
