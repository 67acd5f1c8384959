"""Layers as frozen descriptions: `init(rng)` makes parameters, `apply(params, x)` uses them.

A layer holds no parameters and no state, only its sizes: the parameters are a separate,
plain tree (`LinearParams`, a tuple of them for an `MLP`), made reproducibly from a
`numpy.random.Generator`, passed in explicitly and returned by optimizers as new values.
Their order is fixed by the tree (DeZero's layers kept theirs in a `set`).

    mlp = MLP((2, 30, 3), activation="sigmoid")
    params = mlp.init(np.random.default_rng(0))
    logits = mlp.apply(params, x)  # a Node; differentiate it with value_and_grad
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, Generic, Literal, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node
from puregrad.ops import linear, relu, sigmoid, tanh
from puregrad.tree import Param

__all__ = ["Activation", "Initializer", "Linear", "LinearParams", "MLP", "MLPParams"]

Activation = Literal["relu", "sigmoid", "tanh"]
Initializer = Literal["xavier", "he"]

_ACTIVATIONS: Final = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh}


def _positive(who: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or value < 1:
            raise ValueError(f"{who}: {attribute.name} must be a positive int, got {value!r}")

    return check


def _as_tuple(sizes: Iterable[int]) -> tuple[int, ...]:
    return tuple(sizes)


@attrs.frozen
class LinearParams(Generic[F]):
    """The parameters of a `Linear` layer: weight `W` of shape `(in_size, out_size)` and
    bias `b` of shape `(out_size,)` (None without bias). Arrays at rest, variables while
    differentiated (see `Param`)."""

    W: Param[F]
    b: Param[F] | None


MLPParams = tuple[LinearParams[F], ...]
"""The parameters of an `MLP`: one `LinearParams` per layer, input side first."""


@attrs.frozen
class Linear:
    """A fully connected layer `y = x @ W + b`.

    Attributes:
        in_size, out_size: the sizes of an input row and an output row.
        bias: whether the layer adds a bias (initialised to zeros).
        initializer: "xavier" (Glorot: normal with variance `2 / (in + out)`, for sigmoid
            and tanh) or "he" (normal with variance `2 / in`, for relu).

    >>> layer = Linear(3, 2)
    >>> params = layer.init(np.random.default_rng(0))
    >>> params.W.shape, params.b.shape
    ((3, 2), (2,))
    >>> layer.apply(params, np.ones((4, 3))).shape
    (4, 2)
    """

    in_size: int = attrs.field(validator=_positive("Linear"))
    out_size: int = attrs.field(validator=_positive("Linear"))
    bias: bool = True
    initializer: Initializer = attrs.field(
        default="xavier", validator=attrs.validators.in_(("xavier", "he"))
    )

    @overload
    def init(self, rng: np.random.Generator) -> LinearParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> LinearParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> LinearParams[Any]:
        """Fresh parameters drawn from `rng` (the same generator state gives the same
        parameters), as read-only arrays of `dtype`."""
        if self.initializer == "he":
            scale = np.sqrt(2.0 / self.in_size)
        else:
            scale = np.sqrt(2.0 / (self.in_size + self.out_size))
        W = (rng.standard_normal((self.in_size, self.out_size)) * scale).astype(dtype)
        W.flags.writeable = False
        b = None
        if self.bias:
            b = np.zeros(self.out_size, dtype)
            b.flags.writeable = False
        return LinearParams(W, b)

    def apply(
        self,
        params: LinearParams[F],
        x: Node[F] | NDArray[F],
        *,
        config: Config | None = None,
    ) -> Node[F]:
        """`x @ W + b` for a batch `x` of shape `(N, in_size)`.

        Raises:
            ValueError: `x`'s last axis is not `in_size` (from `matmul`).
        """
        return linear(x, params.W, params.b, config=config)


@attrs.frozen
class MLP:
    """A multi-layer perceptron: `Linear` layers of the given sizes with an activation
    between them (none after the last, which gives the logits).

    Attributes:
        sizes: the input size, each hidden size and the output size: `(2, 30, 3)` is one
            hidden layer of 30 units from 2 inputs to 3 outputs.
        activation: "relu" (He initialisation), "sigmoid" or "tanh" (Xavier).

    >>> mlp = MLP((2, 8, 3), activation="tanh")
    >>> params = mlp.init(np.random.default_rng(0))
    >>> [p.W.shape for p in params]
    [(2, 8), (8, 3)]
    >>> mlp.apply(params, np.ones((5, 2))).shape
    (5, 3)
    """

    sizes: tuple[int, ...] = attrs.field(converter=_as_tuple)
    activation: Activation = attrs.field(
        default="sigmoid", validator=attrs.validators.in_(tuple(_ACTIVATIONS))
    )

    @sizes.validator
    def _check_sizes(self, attribute: attrs.Attribute[tuple[int, ...]], sizes: tuple[int, ...]) -> None:
        if len(sizes) < 2 or not all(type(s) is int and s >= 1 for s in sizes):
            raise ValueError(
                f"MLP: sizes must be at least two positive ints (input, ..., output), got {sizes!r}"
            )

    @property
    def layers(self) -> tuple[Linear, ...]:
        """The layers, input side first."""
        initializer: Initializer = "he" if self.activation == "relu" else "xavier"
        return tuple(
            Linear(i, o, initializer=initializer) for i, o in zip(self.sizes, self.sizes[1:])
        )

    @overload
    def init(self, rng: np.random.Generator) -> MLPParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> MLPParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> MLPParams[Any]:
        """Fresh parameters for every layer, drawn from `rng` in order."""
        return tuple(layer.init(rng, dtype) for layer in self.layers)

    def apply(
        self, params: MLPParams[F], x: Node[F] | NDArray[F], *, config: Config | None = None
    ) -> Node[F]:
        """The logits for a batch `x` of shape `(N, sizes[0])`.

        Raises:
            ValueError: `params` does not have one entry per layer, or a shape does not fit.
        """
        layers = self.layers
        if len(params) != len(layers):
            raise ValueError(
                f"MLP.apply: {len(params)} parameter sets for {len(layers)} layers"
            )
        activation = _ACTIVATIONS[self.activation]
        y: Node[F] | NDArray[F] = x
        for i, (layer, p) in enumerate(zip(layers, params)):
            y = layer.apply(p, y, config=config)
            if i < len(layers) - 1:
                y = activation(y, config=config)
        assert type(y) is Node
        return y
