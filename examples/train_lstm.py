"""DeZero's sine-wave LSTM (its steps 59-60) the functional way: what `make demo` runs last.

An LSTM (hidden 100) with a linear head learns to predict the next value of a noisy sine
wave, by truncated backpropagation through time over windows of 30 steps, with Adam. The
state is an explicit argument and result; between windows it is cut from its graph with
`pg.tree_stop_gradient` (DeZero's `unchain_backward`, without mutating anything), so memory
holds one window's graph however long training runs. Then, under `no_grad`, the model
predicts the clean cosine curve step by step; the script prints the mean squared error and
plots prediction against truth in out/lstm_sine.png (needs matplotlib, the `demo` extra).
"""

from __future__ import annotations

import os

if __name__ == "__main__":
    # Small matrices (30 x 100): one BLAS thread is several times faster than a pool that
    # spins up for each product. Set before numpy loads (run as a script only: importing
    # this module changes no environment); a caller's own setting wins.
    for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

import sys
import time
from pathlib import Path

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg

OUT = Path(__file__).resolve().parent.parent / "out"

HIDDEN = 100
BPTT_LENGTH = 30
BATCH_SIZE = 30
EPOCHS = 100
LEARNING_RATE = 0.001  # Adam's default, as DeZero's demo


@attrs.frozen
class Model:
    """The network's description: an LSTM and a linear head reading its output."""

    lstm: pg.LSTM
    head: pg.Linear

    @staticmethod
    def of(hidden: int) -> Model:
        return Model(pg.LSTM(1, hidden), pg.Linear(hidden, 1))


@attrs.frozen
class Params:
    """The model's parameters: a plain tree (an attrs instance of parameter trees)."""

    lstm: pg.LSTMParams[np.float64]
    head: pg.LinearParams[np.float64]


def window_loss(
    model: Model,
    params: Params,
    xs: NDArray[np.float64],
    ts: NDArray[np.float64],
    state: pg.LSTMState[np.float64] | None,
) -> tuple[pg.Node[np.float64], pg.LSTMState[np.float64]]:
    """The mean squared error of the next-value predictions over a window `(L, N, 1)`, and
    the state after it (still attached to the window's graph)."""
    hs, state = model.lstm.scan(params.lstm, xs, state)
    ys = model.head.apply(params.head, hs)
    return pg.mean_squared_error(ys, ts), state


def train_window(
    model: Model,
    optimizer: pg.Adam,
    params: Params,
    opt_state: pg.AdamState,
    xs: NDArray[np.float64],
    ts: NDArray[np.float64],
    state: pg.LSTMState[np.float64] | None,
) -> tuple[float, Params, pg.AdamState, pg.LSTMState[np.float64]]:
    """One optimizer step on one window: the loss, the new parameters and optimizer state,
    and the state to carry on, cut from the window's graph. The graph lives only in this
    function's locals, so it is freed when the function returns."""
    variables = pg.to_variables(params)
    loss, state = window_loss(model, variables, xs, ts, state)
    grads = pg.gradients_of(pg.backward(loss), variables)
    params, opt_state = pg.step(optimizer, grads, opt_state, params)
    return float(loss.value), params, opt_state, pg.tree_stop_gradient(state)


@attrs.frozen
class History:
    params: Params
    losses: list[float]  # the mean loss of each epoch
    seconds: float


def train(
    *,
    hidden: int = HIDDEN,
    epochs: int = EPOCHS,
    bptt_length: int = BPTT_LENGTH,
    batch_size: int = BATCH_SIZE,
    learning_rate: float = LEARNING_RATE,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Truncated BPTT on the noisy sine wave: each window is one optimizer step; the state
    carries on to the next window of the same streams, cut from the graph behind it."""
    model = Model.of(hidden)
    data = pg.sin_curve(seed)
    rng = np.random.default_rng(seed)
    params = Params(model.lstm.init(rng), model.head.init(rng))
    optimizer = pg.Adam(learning_rate=learning_rate)
    opt_state = optimizer.init(params)
    losses: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        state: pg.LSTMState[np.float64] | None = None  # each epoch starts the streams afresh
        total, count = 0.0, 0
        for xs, ts in pg.sequence_batches(data.x, data.t, batch_size, bptt_length):
            loss, params, opt_state, state = train_window(
                model, optimizer, params, opt_state, xs, ts, state
            )
            total += loss * len(xs)
            count += len(xs)
        losses.append(total / count)
        if progress:
            print(f"\repoch {epoch:3d}/{epochs}  loss {losses[-1]:.5f}", end="", flush=True)
    if progress:
        print()
    return History(params, losses, time.perf_counter() - start)


def predict(model: Model, params: Params, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """The next-value prediction after each point of `x` `(T, 1)`, one step at a time
    under `no_grad` (nothing is recorded; the state is threaded by hand)."""
    predictions = np.empty_like(x)
    state: pg.LSTMState[np.float64] | None = None
    with pg.no_grad():
        for k in range(len(x)):
            h, state = model.lstm.apply(params.lstm, x[k : k + 1], state)
            predictions[k] = model.head.apply(params.head, h).value[0]
    return predictions


def evaluate(history: History, hidden: int = HIDDEN) -> tuple[float, pg.SinCurve[np.float64], NDArray[np.float64]]:
    """The mean squared error of the step-by-step prediction of the clean cosine curve."""
    curve = pg.sin_curve(train=False)
    prediction = predict(Model.of(hidden), history.params, curve.x)
    return float(np.mean((prediction - curve.t) ** 2)), curve, prediction


def plot(curve: pg.SinCurve[np.float64], prediction: NDArray[np.float64], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4))
    steps = np.arange(len(curve.t))
    axes.plot(steps, curve.t[:, 0], label="cos (truth)")
    axes.plot(steps, prediction[:, 0], label="LSTM prediction", linestyle="--")
    axes.set(xlabel="step", ylabel="next value", title="LSTM trained on a noisy sine wave")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    print(
        f"Training an LSTM (hidden {HIDDEN}) on a noisy sine wave: truncated BPTT over "
        f"{BPTT_LENGTH} steps, {BATCH_SIZE} streams, Adam, {EPOCHS} epochs"
    )
    history = train()
    mse, curve, prediction = evaluate(history)
    print(f"trained in {history.seconds:.1f} s; predicting the clean cosine step by step: MSE {mse:.5f}")
    OUT.mkdir(exist_ok=True)
    path = OUT / "lstm_sine.png"
    try:
        plot(curve, prediction, path)
    except ImportError:
        print("matplotlib is not installed (pip install '.[demo]'): no PNG", file=sys.stderr)
        return
    print(f"wrote: {path}")


if __name__ == "__main__":
    main()
