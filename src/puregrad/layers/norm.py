"""Layers whose behaviour depends on the mode: `BatchNorm` (statistics kept apart) and
`Dropout` (randomness passed in).

`BatchNorm.apply(params, x, stats, *, train)` returns `(y, new_stats)`: the running
statistics are a value the caller threads through training, never stored in the layer.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node
from puregrad.ops.normalization import BatchNormStats, batch_norm, dropout
from puregrad.tree import Param

__all__ = ["BatchNorm", "BatchNormParams", "Dropout"]


@attrs.frozen
class BatchNormParams(Generic[F]):
    """The learned parameters of a `BatchNorm`: scale `gamma` and shift `beta`, `(C,)`."""

    gamma: Param[F]
    beta: Param[F]


def _check_features(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValueError(f"BatchNorm: num_features must be a positive int, got {value!r}")


def _check_fraction(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{type(instance).__name__}: {attribute.name} must be in [0, 1), got {value!r}")


@attrs.frozen
class BatchNorm:
    """Batch normalization over `num_features` channels (`batch_norm`).

    >>> bn = BatchNorm(3)
    >>> params, stats = bn.init(np.random.default_rng(0)), bn.init_stats()
    >>> y, stats = bn.apply(params, np.ones((4, 3)), stats, train=True)
    >>> stats.mean
    array([0.1, 0.1, 0.1])
    """

    num_features: int = attrs.field(validator=_check_features)
    decay: float = attrs.field(default=0.9, kw_only=True, validator=_check_fraction)
    eps: float = attrs.field(default=1e-5, kw_only=True)

    @overload
    def init(self, rng: np.random.Generator) -> BatchNormParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> BatchNormParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> BatchNormParams[Any]:
        """`gamma` ones and `beta` zeros (the generator is not drawn from; it is taken for
        the same signature as every layer)."""
        gamma = np.ones(self.num_features, dtype)
        beta = np.zeros(self.num_features, dtype)
        gamma.flags.writeable = False
        beta.flags.writeable = False
        return BatchNormParams(gamma, beta)

    @overload
    def init_stats(self) -> BatchNormStats[np.float64]: ...
    @overload
    def init_stats(self, dtype: type[F]) -> BatchNormStats[F]: ...
    def init_stats(self, dtype: type[np.floating[Any]] = np.float64) -> BatchNormStats[Any]:
        """The running statistics before training: zeros and ones."""
        return BatchNormStats.init(self.num_features, dtype)

    def apply(
        self,
        params: BatchNormParams[F],
        x: Node[F] | NDArray[F],
        stats: BatchNormStats[F],
        *,
        train: bool,
        config: Config | None = None,
    ) -> tuple[Node[F], BatchNormStats[F]]:
        """`(y, new_stats)`, as `batch_norm`."""
        return batch_norm(
            x, params.gamma, params.beta, stats, train=train, decay=self.decay, eps=self.eps,
            config=config,
        )


@attrs.frozen
class Dropout:
    """`dropout(x, rate, train=train, rng=rng)` as a layer without parameters."""

    rate: float = attrs.field(default=0.5, validator=_check_fraction)

    @overload
    def apply(
        self,
        x: Node[F] | NDArray[F],
        *,
        train: Literal[False],
        rng: np.random.Generator | None = None,
        config: Config | None = None,
    ) -> Node[F]: ...
    @overload
    def apply(
        self,
        x: Node[F] | NDArray[F],
        *,
        train: bool,
        rng: np.random.Generator,
        config: Config | None = None,
    ) -> Node[F]: ...
    def apply(
        self,
        x: Node[F] | NDArray[F],
        *,
        train: bool,
        rng: np.random.Generator | None = None,
        config: Config | None = None,
    ) -> Node[F]:
        if train:
            if rng is None:
                raise ValueError(f"Dropout: train=True needs rng (input shape {np.shape(x)})")
            return dropout(x, self.rate, train=True, rng=rng, config=config)
        return dropout(x, self.rate, train=False, config=config)
