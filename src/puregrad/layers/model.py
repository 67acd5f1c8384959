"""`Sequential`: layers composed into a model that threads the mode, the randomness and the
batch-norm statistics explicitly.

A model is a frozen tuple of layer descriptions. Its parameters are a tuple with one entry
per layer (None for a layer without parameters), its statistics a tuple with a
`BatchNormStats` per batch-norm layer (None elsewhere): plain trees, usable with every tree
function, optimizer and `save`. `apply` takes both and gives back the output and the new
statistics:

    model = Sequential(Conv2d(1, 8, 3, pad=1), BatchNorm(8), Relu(), MaxPool2d(2),
                       Flatten(), Dropout(0.25), Linear(8 * 4 * 4, 10))
    params, stats = model.init(rng), model.init_stats()
    logits, stats = model.apply(params, stats, x, train=True, rng=rng)

So a training step is one pure function `(params, stats, opt_state, batch, rng) -> new
ones`, and its signature says everything it depends on: `apply` without the statistics, or
with `train=True` and no `rng`, is a mypy error (and a ValueError at run time), never a
silent use of a global mode as in DeZero's `Config.train`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.layers.conv import AvgPool2d, Conv2d, Conv2dParams, MaxPool2d
from puregrad.layers.dense import Linear, LinearParams
from puregrad.layers.norm import BatchNorm, BatchNormParams, Dropout
from puregrad.node import F, Node, constant
from puregrad.ops import relu, reshape
from puregrad.ops.normalization import BatchNormStats

__all__ = ["Flatten", "LayerParams", "ModelLayer", "ModelParams", "ModelStats", "Relu", "Sequential"]


@attrs.frozen
class Relu:
    """`relu` as a layer without parameters."""

    def apply(self, x: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
        return relu(x, config=config)


@attrs.frozen
class Flatten:
    """`(N, ...) -> (N, size)`: images to rows, before a `Linear` layer."""

    def apply(self, x: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
        shape = np.shape(x)
        if not shape:
            raise ValueError("Flatten: x must have a batch axis, got a 0-d value")
        return reshape(x, (shape[0], -1), config=config)


ModelLayer: TypeAlias = (
    Conv2d | BatchNorm | Linear | Relu | MaxPool2d | AvgPool2d | Flatten | Dropout
)
"""What a `Sequential` is made of."""

LayerParams: TypeAlias = Conv2dParams[F] | BatchNormParams[F] | LinearParams[F] | None
"""One layer's parameters (None for a layer without)."""

ModelParams: TypeAlias = tuple[LayerParams[F], ...]
"""A `Sequential`'s parameters: one entry per layer, in order."""

ModelStats: TypeAlias = tuple[BatchNormStats[F] | None, ...]
"""A `Sequential`'s running statistics: one `BatchNormStats` per `BatchNorm` layer, None for
every other layer."""

_LAYERS = (Conv2d, BatchNorm, Linear, Relu, MaxPool2d, AvgPool2d, Flatten, Dropout)


def _layers(layers: tuple[object, ...]) -> tuple[ModelLayer, ...]:
    for i, layer in enumerate(layers):
        if not isinstance(layer, _LAYERS):
            names = ", ".join(kind.__name__ for kind in _LAYERS)
            raise TypeError(
                f"Sequential: layer {i} is a {type(layer).__name__}; a layer is one of {names}"
            )
    return layers  # type: ignore[return-value]  # each was checked above


@attrs.frozen(init=False)
class Sequential:
    """Layers applied in order, threading `train`, the dropout `rng` and the batch-norm
    statistics.

    >>> import puregrad as pg
    >>> model = Sequential(pg.Linear(3, 4), pg.BatchNorm(4), Relu(), pg.Dropout(0.5), pg.Linear(4, 2))
    >>> rng = np.random.default_rng(0)
    >>> params, stats = model.init(rng), model.init_stats()
    >>> y, stats = model.apply(params, stats, np.ones((5, 3)), train=True, rng=rng)
    >>> y.shape, [type(s).__name__ for s in stats]
    ((5, 2), ['NoneType', 'BatchNormStats', 'NoneType', 'NoneType', 'NoneType'])
    """

    layers: tuple[ModelLayer, ...]

    def __init__(self, *layers: ModelLayer) -> None:
        self.__attrs_init__(_layers(layers))

    @overload
    def init(self, rng: np.random.Generator) -> ModelParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> ModelParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> ModelParams[Any]:
        """Fresh parameters for every layer, drawn from `rng` in order."""
        params: list[LayerParams[Any]] = []
        for layer in self.layers:
            if isinstance(layer, (Conv2d, BatchNorm, Linear)):
                params.append(layer.init(rng, dtype))
            else:
                params.append(None)
        return tuple(params)

    @overload
    def init_stats(self) -> ModelStats[np.float64]: ...
    @overload
    def init_stats(self, dtype: type[F]) -> ModelStats[F]: ...
    def init_stats(self, dtype: type[np.floating[Any]] = np.float64) -> ModelStats[Any]:
        """The running statistics before training (None for layers that keep none)."""
        return tuple(
            layer.init_stats(dtype) if isinstance(layer, BatchNorm) else None
            for layer in self.layers
        )

    @overload
    def apply(
        self,
        params: ModelParams[F],
        stats: ModelStats[F],
        x: Node[F] | NDArray[F],
        *,
        train: Literal[False],
        rng: np.random.Generator | None = None,
        config: Config | None = None,
    ) -> tuple[Node[F], ModelStats[F]]: ...
    @overload
    def apply(
        self,
        params: ModelParams[F],
        stats: ModelStats[F],
        x: Node[F] | NDArray[F],
        *,
        train: bool,
        rng: np.random.Generator,
        config: Config | None = None,
    ) -> tuple[Node[F], ModelStats[F]]: ...
    def apply(
        self,
        params: ModelParams[F],
        stats: ModelStats[F],
        x: Node[F] | NDArray[F],
        *,
        train: bool,
        rng: np.random.Generator | None = None,
        config: Config | None = None,
    ) -> tuple[Node[F], ModelStats[F]]:
        """The output for a batch `x`, and the new statistics.

        Args:
            params: from `init` (arrays, or variables while differentiated).
            stats: from `init_stats`, or the statistics the previous step returned.
            train: True in training (batch statistics, dropout on), False in inference
                (running statistics, dropout off; the statistics come back unchanged).
            rng: the generator dropout draws from; required with `train=True`.

        Raises:
            ValueError: `params` or `stats` do not have one entry per layer, an entry is
                of the wrong kind, `train=True` without `rng`, or a shape does not fit.
        """
        n = len(self.layers)
        if len(params) != n or len(stats) != n:
            raise ValueError(
                f"Sequential.apply: {len(params)} parameter entries and {len(stats)} statistics "
                f"entries for {n} layers (use init and init_stats)"
            )
        if train and not isinstance(rng, np.random.Generator):
            raise ValueError(
                "Sequential.apply: train=True needs rng, a numpy.random.Generator for dropout"
            )
        y: Node[F] = x if type(x) is Node else constant(x)
        new_stats: list[BatchNormStats[F] | None] = []
        for i, (layer, p, s) in enumerate(zip(self.layers, params, stats)):
            out = None
            if isinstance(layer, BatchNorm):
                if not isinstance(p, BatchNormParams) or not isinstance(s, BatchNormStats):
                    raise _mismatch(i, layer, p, s)
                y, out = layer.apply(p, y, s, train=train, config=config)
            elif isinstance(layer, Conv2d):
                if not isinstance(p, Conv2dParams):
                    raise _mismatch(i, layer, p, s)
                y = layer.apply(p, y, config=config)
            elif isinstance(layer, Linear):
                if not isinstance(p, LinearParams):
                    raise _mismatch(i, layer, p, s)
                y = layer.apply(p, y, config=config)
            elif isinstance(layer, Dropout):
                if train:
                    assert rng is not None
                    y = layer.apply(y, train=True, rng=rng, config=config)
            else:
                y = layer.apply(y, config=config)
            new_stats.append(out)
        return y, tuple(new_stats)


def _mismatch(i: int, layer: ModelLayer, p: object, s: object) -> ValueError:
    return ValueError(
        f"Sequential.apply: layer {i} ({type(layer).__name__}) got parameters of type "
        f"{type(p).__name__} and statistics of type {type(s).__name__}"
    )
