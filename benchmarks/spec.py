"""What every framework computes: the workloads' constants and inputs, shared by all
`impl_*.py` so each writes the same math."""

from __future__ import annotations

from typing import Final

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["CHAIN_ADD", "CHAIN_MUL", "CHAIN_X", "MLPData", "chain_op", "fan_in_constants", "mlp_data"]
__all__ += ["LSTMData", "lstm_data"]
__all__ += ["CNNData", "cnn_data"]

CHAIN_X: Final = 0.5
"""The scalar chain's input."""
CHAIN_MUL: Final = 0.99
CHAIN_ADD: Final = 0.01


def chain_op(i: int) -> str:
    """The i-th op of the scalar chain: sin, then `* CHAIN_MUL`, then `+ CHAIN_ADD`, repeated
    (values stay in [-1, 1], so any depth is safe). The constants keep the gradient of 10^4
    ops far from underflow: subnormal floats would slow every framework's arithmetic."""
    return ("sin", "mul", "add")[i % 3]


def fan_in_constants(n: int) -> list[float]:
    """The wide fan-in's branch constants: y = x * 1 + x * 2 + ... + x * n."""
    return [float(i) for i in range(1, n + 1)]


@attrs.frozen
class MLPData:
    """A 784-256-10 MLP's batch and parameters (float64, read-only)."""

    x: NDArray[np.float64]
    t: NDArray[np.int64]
    w1: NDArray[np.float64]
    b1: NDArray[np.float64]
    w2: NDArray[np.float64]
    b2: NDArray[np.float64]


def mlp_data(batch: int = 512, sizes: tuple[int, int, int] = (784, 256, 10)) -> MLPData:
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = sizes
    arrays = (
        rng.standard_normal((batch, n_in)),
        rng.integers(0, n_out, batch),
        rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in),
        np.zeros(n_hidden),
        rng.standard_normal((n_hidden, n_out)) * np.sqrt(1.0 / n_hidden),
        np.zeros(n_out),
    )
    for a in arrays:
        a.flags.writeable = False
    return MLPData(*arrays)


# The LSTM workload ------------------------------------------------------------------------


@attrs.frozen
class LSTMData:
    """An LSTM's window and parameters (float64, read-only): `x` and `t` `(T, N, 1)`,
    `w_x` `(1, 4H)`, `w_h` `(H, 4H)`, `b` `(4H,)` (gates in PyTorch's order i, f, g, o), and a
    linear head `w_o` `(H, 1)`, `b_o` `(1,)`. The loss is the mean squared error of the head's
    output at every step against `t`; the state starts at zeros."""

    x: NDArray[np.float64]
    t: NDArray[np.float64]
    w_x: NDArray[np.float64]
    w_h: NDArray[np.float64]
    b: NDArray[np.float64]
    w_o: NDArray[np.float64]
    b_o: NDArray[np.float64]

    @property
    def hidden(self) -> int:
        return int(self.w_h.shape[0])


def lstm_data(steps: int = 30, batch: int = 32, hidden: int = 64) -> LSTMData:
    rng = np.random.default_rng(0)
    bound = 1.0 / np.sqrt(hidden)
    phase = rng.uniform(0, 2 * np.pi, batch)
    curve = np.sin(np.arange(steps + 1)[:, None] * 0.2 + phase)[:, :, None]
    arrays = (
        curve[:-1].copy(),
        curve[1:].copy(),
        rng.uniform(-bound, bound, (1, 4 * hidden)),
        rng.uniform(-bound, bound, (hidden, 4 * hidden)),
        rng.uniform(-bound, bound, 4 * hidden),
        rng.uniform(-bound, bound, (hidden, 1)),
        np.zeros(1),
    )
    for a in arrays:
        a.flags.writeable = False
    return LSTMData(*arrays)
@attrs.frozen
class CNNData:
    """The `cnn` workload's batch and parameters (float64, read-only, NCHW as PyTorch):
    conv(1->8, 3x3, pad 1), relu, max-pool 2, conv(8->16, 3x3, pad 1), relu, max-pool 2,
    linear(16 * 7 * 7 -> 10) on the flattened `(C, H, W)` features, softmax cross entropy."""

    x: NDArray[np.float64]  # (N, 1, 28, 28)
    t: NDArray[np.int64]
    w1: NDArray[np.float64]  # (8, 1, 3, 3)
    b1: NDArray[np.float64]
    w2: NDArray[np.float64]  # (16, 8, 3, 3)
    b2: NDArray[np.float64]
    w3: NDArray[np.float64]  # (784, 10)
    b3: NDArray[np.float64]


def cnn_data(batch: int = 64) -> CNNData:
    rng = np.random.default_rng(0)
    arrays = (
        rng.standard_normal((batch, 1, 28, 28)),
        rng.integers(0, 10, batch),
        rng.standard_normal((8, 1, 3, 3)) * np.sqrt(2.0 / 9),
        rng.standard_normal(8) * 0.1,
        rng.standard_normal((16, 8, 3, 3)) * np.sqrt(2.0 / 72),
        rng.standard_normal(16) * 0.1,
        rng.standard_normal((784, 10)) * np.sqrt(1.0 / 784),
        np.zeros(10),
    )
    for a in arrays:
        a.flags.writeable = False
    return CNNData(*arrays)
