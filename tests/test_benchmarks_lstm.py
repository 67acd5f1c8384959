"""The lstm benchmark workload: numpy by hand and puregrad compute the same loss and
gradients (so the speed comparison compares the same math)."""

from __future__ import annotations

import pytest

from benchmarks import impl_numpy, impl_puregrad
from benchmarks.spec import lstm_data


def test_lstm_numpy_by_hand_and_puregrad_agree() -> None:
    data = lstm_data(steps=5, batch=4, hidden=3)
    results = []
    for impl in (impl_numpy, impl_puregrad):
        step, check = impl.lstm_step(data)
        results.append(check(step()))
    reference, mine = results
    assert len(reference) == 6 and reference[0] > 0
    assert mine == pytest.approx(reference, rel=1e-10, abs=1e-13)
