"""sigmoid keeps full relative precision over the whole range of normal results, where the
cheaper `0.5 tanh(0.5 x) + 0.5` would lose it below about -37."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import puregrad as pg


@pytest.mark.parametrize("dtype, low", [(np.float64, -708.0), (np.float32, -87.0)])
def test_sigmoid_is_within_two_ulps_of_the_exact_value(dtype: type[np.floating[Any]], low: float) -> None:
    x = np.concatenate([np.linspace(low, 40.0, 50_001), [-1e-300, 0.0, 1e-300]]).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    y = pg.sigmoid(x).value
    assert y.dtype == dtype
    relative = np.abs((y - exact) / exact).max() / np.finfo(dtype).eps
    assert relative <= 2.0, relative
    # Beyond the normal range: 0 and 1 (no overflow warning, which the suite makes an error).
    extremes = pg.sigmoid(np.array([-1e4, 1e4, -np.inf, np.inf], dtype)).value
    np.testing.assert_array_equal(extremes, [0.0, 1.0, 0.0, 1.0])
    assert np.isnan(pg.sigmoid(np.array([np.nan], dtype)).value).all()
