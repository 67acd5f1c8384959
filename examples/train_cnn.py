"""Train a small CNN on scikit-learn's handwritten digits, the functional way: what `make demo`
runs last.

The model is a `Sequential` of two blocks (conv, batch norm, relu, max-pool), dropout and a
linear head. Its parameters, its batch-norm statistics and the optimizer's state are plain
trees; one training step is one pure function

    (params, stats, opt_state, batch, rng) -> (params, stats, opt_state, loss)

that takes the dropout generator and the statistics as arguments and returns the new
statistics: nothing global (DeZero's `Config.train`), nothing mutated (its layers' running
averages). Evaluation runs under `no_grad` with `train=False`. It writes out/digits_cnn.png:
the loss and test-accuracy curves and the misclassified test digits (needs matplotlib, the
`demo` extra; the digits need scikit-learn, the `data` extra).
"""

from __future__ import annotations

import os

# The matrices here are small (a batch of 32 images of 8x8): a second BLAS thread only waits
# for the first, and on a busy machine it makes each step several times slower. Set before
# numpy is imported; an explicit setting in the environment wins.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg

OUT = Path(__file__).resolve().parent.parent / "out"

MODEL = pg.Sequential(
    pg.Conv2d(1, 16, 3, pad=1),
    pg.BatchNorm(16),
    pg.Relu(),
    pg.MaxPool2d(2),  # 8x8 -> 4x4
    pg.Conv2d(16, 32, 3, pad=1),
    pg.BatchNorm(32),
    pg.Relu(),
    pg.MaxPool2d(2),  # 4x4 -> 2x2
    pg.Flatten(),
    pg.Dropout(0.3),
    pg.Linear(32 * 2 * 2, 10),
)
OPTIMIZER = pg.Adam(learning_rate=0.005)
EPOCHS = 20
BATCH_SIZE = 32
SEED = 0

Float = np.float32  # float32 end to end: data, parameters, statistics, gradients
Params = pg.ModelParams[Float]
Stats = pg.ModelStats[Float]


def train_step(
    params: Params,
    stats: Stats,
    opt_state: pg.AdamState,
    batch: tuple[NDArray[Float], NDArray[np.int64]],
    rng: np.random.Generator,
) -> tuple[Params, Stats, pg.AdamState, float]:
    """One step of minibatch training: a pure function of its arguments (the generator is
    the only thing it draws from)."""
    x, t = batch
    variables = pg.to_variables(params)
    logits, new_stats = MODEL.apply(variables, stats, x, train=True, rng=rng)
    loss = pg.softmax_cross_entropy(logits, t)
    grads = pg.gradients_of(pg.backward(loss), variables)
    new_params, new_state = pg.step(OPTIMIZER, grads, opt_state, params)
    return new_params, new_stats, new_state, float(loss.value)


def predict(params: Params, stats: Stats, x: NDArray[Float]) -> NDArray[np.int64]:
    """The predicted classes: inference, nothing recorded, running statistics, no dropout."""
    with pg.no_grad():
        logits, _ = MODEL.apply(params, stats, x, train=False)
    predicted: NDArray[np.int64] = np.argmax(logits.value, axis=1)
    return predicted


@attrs.frozen
class History:
    """What training gives back."""

    params: Params
    stats: Stats
    losses: list[float]
    test_accuracies: list[float]
    seconds: float


def train(
    data: pg.DigitsSplit[Float], epochs: int = EPOCHS, seed: int = SEED, progress: bool = True
) -> History:
    """Minibatch training with a live progress line; the test accuracy after each epoch."""
    rng = np.random.default_rng(seed)
    params = MODEL.init(rng, Float)
    stats = MODEL.init_stats(Float)
    opt_state = OPTIMIZER.init(params)
    losses: list[float] = []
    accuracies: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total = 0.0
        for batch in pg.minibatches(data.x_train, data.t_train, BATCH_SIZE, rng=rng):
            params, stats, opt_state, loss = train_step(params, stats, opt_state, batch, rng)
            total += loss * len(batch[1])
        losses.append(total / len(data.t_train))
        accuracies.append(float(np.mean(predict(params, stats, data.x_test) == data.t_test)))
        if progress:
            print(
                f"\repoch {epoch:3d}/{epochs}  loss {losses[-1]:.4f}  "
                f"test accuracy {accuracies[-1]:6.1%}  {time.perf_counter() - start:5.1f} s",
                end="",
                flush=True,
            )
    if progress:
        print()
    return History(params, stats, losses, accuracies, time.perf_counter() - start)


def plot(history: History, data: pg.DigitsSplit[Float], path: Path) -> None:
    """Loss and test-accuracy curves, and a grid of the misclassified test digits."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    predicted = predict(history.params, history.stats, data.x_test)
    wrong = np.flatnonzero(predicted != data.t_test)
    columns = 6
    rows = max(1, -(-min(len(wrong), 24) // columns))
    figure = plt.figure(figsize=(12, 4.5 + 1.6 * rows))
    grid = figure.add_gridspec(1 + rows, columns, height_ratios=[3.0] + [1.0] * rows)
    epochs = np.arange(1, len(history.losses) + 1)
    loss_axes = figure.add_subplot(grid[0, : columns // 2])
    loss_axes.plot(epochs, history.losses)
    loss_axes.set(xlabel="epoch", ylabel="mean cross entropy", yscale="log", title="training loss")
    accuracy_axes = figure.add_subplot(grid[0, columns // 2 :])
    accuracy_axes.plot(epochs, np.array(history.test_accuracies) * 100)
    accuracy_axes.set(
        xlabel="epoch", ylabel="%", title=f"test accuracy (final {history.test_accuracies[-1]:.1%})"
    )
    for k, index in enumerate(wrong[: rows * columns]):
        axes = figure.add_subplot(grid[1 + k // columns, k % columns])
        axes.imshow(data.x_test[index, 0], cmap="gray_r")
        axes.set_title(f"true {data.t_test[index]}, predicted {predicted[index]}", fontsize=8)
        axes.axis("off")
    if len(wrong) == 0:
        figure.text(0.5, 0.1, "no misclassified test digits", ha="center")
    figure.suptitle(f"{len(wrong)} of {len(data.t_test)} test digits misclassified")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    data = pg.digits(SEED, dtype=Float)
    print(
        f"Training a CNN on the digits ({len(data.t_train)} training, {len(data.t_test)} test "
        f"images of 8x8) with {OPTIMIZER}, float32"
    )
    history = train(data)
    print(
        f"held-out test accuracy {history.test_accuracies[-1]:.1%} after {EPOCHS} epochs in "
        f"{history.seconds:.1f} s"
    )
    OUT.mkdir(exist_ok=True)
    png = OUT / "digits_cnn.png"
    try:
        plot(history, data, png)
    except ImportError:
        print("matplotlib is not installed (pip install '.[demo]'): no PNG", file=sys.stderr)
        return
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
