"""Train an MLP on the spiral data the functional way: what `make demo` runs after the walk-through.

Parameters are a plain tree of arrays; one step is a pure function of (params, state, batch):
`value_and_grad` gives the loss and a tree of gradients, the optimizer gives new parameters
and a new state. Nothing is mutated. Then it writes, under out/:

- spiral.png: the loss curve and the decision regions (needs matplotlib, the `demo` extra);
- tanh.dot and tanh_d2.dot: the graph of y = tanh(x) and the graph of d2y/dx2, built by
  differentiating twice with create_graph (rendered to SVG when Graphviz's `dot` is installed).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import attrs
import numpy as np
from numpy.typing import NDArray

import puregrad as pg

OUT = Path(__file__).resolve().parent.parent / "out"

MODEL = pg.MLP((2, 30, 3), activation="tanh")
OPTIMIZER = pg.Adam(learning_rate=0.03)
EPOCHS = 300
BATCH_SIZE = 30


def loss_fn(
    params: pg.MLPParams[np.float64], x: NDArray[np.float64], t: NDArray[np.int64]
) -> pg.Node[np.float64]:
    """The mean cross entropy of the model's logits for the batch."""
    return pg.softmax_cross_entropy(MODEL.apply(params, x), t)


@attrs.frozen
class History:
    """What training gives back: the final parameters and the loss of each epoch."""

    params: pg.MLPParams[np.float64]
    losses: list[float]
    accuracy: float
    seconds: float


def train(epochs: int = EPOCHS, seed: int = 0, progress: bool = True) -> History:
    """Minibatch training on the spiral data; prints a live progress line when asked."""
    x, t = pg.spiral()
    rng = np.random.default_rng(seed)
    params = MODEL.init(rng)
    state = OPTIMIZER.init(params)
    step = pg.tree_value_and_grad(loss_fn)
    losses: list[float] = []
    start = time.perf_counter()
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        total = 0.0
        for xb, tb in pg.minibatches(x, t, BATCH_SIZE, rng=rng):
            loss, grads = step(params, xb, tb)
            params, state = pg.step(OPTIMIZER, grads, state, params)
            total += float(loss) * len(tb)
        losses.append(total / len(t))
        if progress and (epoch % 10 == 0 or epoch == epochs):
            with pg.no_grad():
                accuracy = pg.accuracy(MODEL.apply(params, x), t)
            print(
                f"\repoch {epoch:4d}/{epochs}  loss {losses[-1]:.4f}  accuracy {accuracy:6.1%}",
                end="",
                flush=True,
            )
    seconds = time.perf_counter() - start
    if progress:
        print()
    with pg.no_grad():
        accuracy = pg.accuracy(MODEL.apply(params, x), t)
    return History(params, losses, accuracy, seconds)


def plot(history: History, path: Path) -> None:
    """The loss curve beside the decision regions, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no window
    import matplotlib.pyplot as plt

    x, t = pg.spiral()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    left.plot(np.arange(1, len(history.losses) + 1), history.losses)
    left.set(xlabel="epoch", ylabel="mean cross entropy", yscale="log", title="training loss")
    grid = np.linspace(-1.1, 1.1, 300)
    gx, gy = np.meshgrid(grid, grid)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    with pg.no_grad():
        regions = np.argmax(MODEL.apply(history.params, points).value, axis=1)
    right.contourf(gx, gy, regions.reshape(gx.shape), levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.3,
                   cmap="brg")
    right.scatter(x[:, 0], x[:, 1], c=t, cmap="brg", s=12, edgecolors="k", linewidths=0.3)
    right.set(title=f"decision regions (training accuracy {history.accuracy:.1%})",
              aspect="equal")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def graphs(directory: Path) -> list[Path]:
    """DOT files for y = tanh(x) and for its second derivative; SVGs too when `dot` exists."""
    x = pg.variable(1.0, name="x")
    y = pg.tanh(x)
    higher = pg.Config(create_graph=True)
    dy = pg.backward(y, higher)[x]
    d2y = pg.backward(dy, higher)[x]
    written = []
    for name, node in (("tanh", y), ("tanh_d2", d2y)):
        dot_path = directory / f"{name}.dot"
        dot_path.write_text(pg.to_dot(node))
        written.append(dot_path)
        if shutil.which("dot") is not None:
            written.append(pg.render(node, directory / f"{name}.svg"))
    return written


def main() -> None:
    print(f"Training {MODEL} with {OPTIMIZER} on the spiral data (300 points, 3 classes)")
    history = train()
    print(
        f"training accuracy {history.accuracy:.1%} after {len(history.losses)} epochs "
        f"in {history.seconds:.1f} s"
    )
    OUT.mkdir(exist_ok=True)
    written = []
    try:
        png = OUT / "spiral.png"
        plot(history, png)
        written.append(png)
    except ImportError:
        print("matplotlib is not installed (pip install '.[demo]'): no PNG", file=sys.stderr)
    written += graphs(OUT)
    if shutil.which("dot") is None:
        print("Graphviz's dot is not installed: DOT text only (apt-get install graphviz)")
    print("wrote:")
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    main()
