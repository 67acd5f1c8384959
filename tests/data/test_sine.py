"""sin_curve (DeZero's SinCurve) and sequence_batches (its SeqDataLoader), from seeds."""

from __future__ import annotations

import numpy as np
import pytest

import puregrad as pg


def test_training_curve_is_a_noisy_sine_shifted_by_one() -> None:
    data = pg.sin_curve(3)
    s = np.linspace(0, 2 * np.pi, 1000)
    assert data.x.shape == data.t.shape == (999, 1) and len(data) == 999
    noise = data.x[:, 0] - np.sin(s[:-1])
    assert np.abs(noise).max() <= 0.05 and np.abs(noise).max() > 0.049
    assert abs(noise.mean()) < 0.005  # uniform on [-0.05, 0.05]
    np.testing.assert_array_equal(data.t[:-1], data.x[1:])  # each target is the next input
    assert not data.x.flags.writeable and not data.t.flags.writeable


def test_seeds_reproduce_and_differ_and_no_global_state_is_used() -> None:
    np.random.seed(0)
    a = pg.sin_curve(1)
    np.random.seed(1)
    np.testing.assert_array_equal(a.x, pg.sin_curve(1).x)
    assert not np.array_equal(a.x, pg.sin_curve(2).x)


def test_evaluation_curve_is_the_clean_cosine_in_the_dtype() -> None:
    curve = pg.sin_curve(train=False, num_data=50, dtype=np.float32)
    s = np.linspace(0, 2 * np.pi, 50)
    assert curve.x.dtype == np.float32
    np.testing.assert_allclose(curve.x[:, 0], np.cos(s[:-1]), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(curve.t[:, 0], np.cos(s[1:]), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="num_data"):
        pg.sin_curve(num_data=1)
    with pytest.raises(ValueError, match="noise"):
        pg.sin_curve(noise=-1.0)


def test_batches_are_parallel_streams_from_evenly_spaced_offsets_time_major() -> None:
    x = np.arange(20.0)[:, None]
    t = x + 100
    windows = list(pg.sequence_batches(x, t, batch_size=4, length=2))
    # jump = 20 // 4 = 5 steps per epoch: windows of 2, 2 and 1 steps
    assert [w[0].shape for w in windows] == [(2, 4, 1), (2, 4, 1), (1, 4, 1)]
    xs = np.concatenate([w[0] for w in windows])[:, :, 0]
    np.testing.assert_array_equal(xs[0], [0, 5, 10, 15])  # offsets k * jump
    np.testing.assert_array_equal(xs, xs[0] + np.arange(5)[:, None])  # each stream advances by one
    np.testing.assert_array_equal(np.concatenate([w[1] for w in windows])[:, :, 0], xs + 100)


def test_a_generator_shifts_the_streams_reproducibly() -> None:
    x = np.arange(10)
    first = next(pg.sequence_batches(x, x, 2, 3, rng=np.random.default_rng(0)))[0]
    again = next(pg.sequence_batches(x, x, 2, 3, rng=np.random.default_rng(0)))[0]
    np.testing.assert_array_equal(first, again)
    assert (first[0, 1] - first[0, 0]) % 10 == 5  # still evenly spaced, wrapping around the end
    np.testing.assert_array_equal(first[:, 0], (first[0, 0] + np.arange(3)) % 10)
    shifts = {int(next(pg.sequence_batches(x, x, 2, 3, rng=np.random.default_rng(s)))[0][0, 0]) for s in range(20)}
    assert len(shifts) > 3


def test_bad_arguments() -> None:
    x = np.arange(10)
    with pytest.raises(ValueError, match="differ in length"):
        next(pg.sequence_batches(x, x[:5], 2, 3))
    with pytest.raises(ValueError, match="batch_size"):
        next(pg.sequence_batches(x, x, 11, 3))
    with pytest.raises(ValueError, match="length"):
        next(pg.sequence_batches(x, x, 2, 0))
