"""Training-mode ops with the mode, the randomness and the statistics made explicit:
dropout and batch normalization.

DeZero reads a global `Config.train` in both and keeps batch norm's running averages on the
layer, changing them in place. Here `train` is a required keyword, dropout draws from the
`numpy.random.Generator` it is given, and batch norm takes its statistics as an argument and
returns the new ones beside its result: nothing is global, nothing is mutated.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node, constant
from puregrad.op import apply
from puregrad.ops.arithmetic import ADD, MUL, SUB
from puregrad.ops.elementwise import SQRT
from puregrad.ops.reduce import Mean
from puregrad.ops.shape import Reshape

__all__ = ["BatchNormStats", "batch_norm", "dropout"]


# dropout ------------------------------------------------------------------------------------------


@overload
def dropout(
    x: Node[F] | NDArray[F],
    rate: float = 0.5,
    *,
    train: Literal[False],
    rng: np.random.Generator | None = None,
    config: Config | None = None,
) -> Node[F]: ...
@overload
def dropout(
    x: Node[F] | NDArray[F],
    rate: float = 0.5,
    *,
    train: bool,
    rng: np.random.Generator,
    config: Config | None = None,
) -> Node[F]: ...
def dropout(
    x: Node[F] | NDArray[F],
    rate: float = 0.5,
    *,
    train: bool,
    rng: np.random.Generator | None = None,
    config: Config | None = None,
) -> Node[F]:
    """Inverted dropout: in training, each element is zeroed with probability `rate` and the
    rest are scaled by `1 / (1 - rate)`, so the expected value is unchanged.

    Args:
        x: any floating array or node.
        rate: the probability of dropping an element, in `[0, 1)`.
        train: True to drop (training); False returns `x` unchanged (inference).
        rng: where the mask is drawn from; required with `train=True` (typed so: leaving
            it out is a mypy error).

    The gradient flows through the kept elements with the same scale.

    Raises:
        ValueError: `rate` outside `[0, 1)`, or `train=True` without `rng`.

    >>> import puregrad as pg
    >>> x = pg.variable(np.ones(6))
    >>> dropout(x, 0.5, train=True, rng=np.random.default_rng(0)).value
    array([2., 0., 0., 0., 2., 2.])
    >>> dropout(x, 0.5, train=False) is x
    True
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate!r}")
    if type(train) is not bool:
        raise TypeError(f"dropout: train must be a bool, got {type(train).__name__}")
    if not train:
        return x if type(x) is Node else constant(x)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "dropout: train=True needs rng, a numpy.random.Generator to draw the mask from "
            f"(got {type(rng).__name__}; input shape {np.shape(x)})"
        )
    dtype = x.dtype
    if dtype.kind != "f":
        raise TypeError(f"dropout: x must be floating, got dtype {dtype}")
    draw = np.float32 if dtype == np.float32 else np.float64
    keep = rng.random(np.shape(x), dtype=draw) >= rate
    mask = np.multiply(keep, 1.0 / (1.0 - rate), dtype=dtype)
    mask.flags.writeable = False
    return apply(MUL, (x, mask), config)


# batch norm ---------------------------------------------------------------------------------------


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


@attrs.frozen
class BatchNormStats(Generic[F]):
    """Batch norm's running statistics per channel: `mean` and `var`, read-only `(C,)`
    arrays. A value: `batch_norm` returns new statistics, it never changes these.

    >>> BatchNormStats.init(2)
    BatchNormStats(mean=array([0., 0.]), var=array([1., 1.]))
    """

    mean: NDArray[F]
    var: NDArray[F]

    @overload
    @staticmethod
    def init(num_features: int) -> BatchNormStats[np.float64]: ...
    @overload
    @staticmethod
    def init(num_features: int, dtype: type[F]) -> BatchNormStats[F]: ...
    @staticmethod
    def init(
        num_features: int, dtype: type[np.floating[Any]] = np.float64
    ) -> BatchNormStats[Any]:
        """The statistics before any training: zeros and ones of `dtype`."""
        if type(num_features) is not int or num_features < 1:
            raise ValueError(
                f"BatchNormStats.init: num_features must be a positive int, got {num_features!r}"
            )
        return BatchNormStats(
            _frozen(np.zeros(num_features, dtype)), _frozen(np.ones(num_features, dtype))
        )


def _value(a: object) -> NDArray[Any]:
    return a.value if type(a) is Node else np.asarray(a)


def batch_norm(
    x: Node[F] | NDArray[F],
    gamma: Node[F] | NDArray[F],
    beta: Node[F] | NDArray[F],
    stats: BatchNormStats[F],
    *,
    train: bool,
    decay: float = 0.9,
    eps: float = 1e-5,
    config: Config | None = None,
) -> tuple[Node[F], BatchNormStats[F]]:
    """Batch normalization over the batch (and spatial) axes, per channel, as
    `F.batch_norm` with `momentum = 1 - decay`.

    With `train=True`, `x` is normalized with its own batch mean and biased variance, and
    the running statistics come back updated: `mean' = decay mean + (1 - decay) batch_mean`,
    `var' = decay var + (1 - decay) batch_var_unbiased`. With `train=False` it is normalized
    with `stats`, which come back unchanged. Then `y = gamma x_hat + beta`. The gradient flows
    through the batch statistics too (and differentiates again).

    Args:
        x: `(N, C)` or `(N, C, H, W)`.
        gamma, beta: `(C,)`.
        stats: the running statistics (`BatchNormStats.init(C, dtype)` to start).

    Returns:
        `(y, new_stats)`, the statistics read-only arrays in the dtype of `x`.

    Raises:
        ValueError: `x` is not 2-D or 4-D, a parameter or statistic is not `(C,)`, or
            training with a single value per channel (no variance).

    >>> import puregrad as pg
    >>> x = pg.variable(np.array([[1.0], [3.0]]))
    >>> y, stats = batch_norm(x, np.ones(1), np.zeros(1), BatchNormStats.init(1), train=True)
    >>> np.round(y.value[:, 0], 3), stats.mean, stats.var
    (array([-1.,  1.]), array([0.2]), array([1.1]))
    """
    shape = np.shape(x)
    if len(shape) not in (2, 4):
        raise ValueError(f"batch_norm: x must be (N, C) or (N, C, H, W), got shape {shape}")
    C = shape[1]
    for name, a in (("gamma", gamma), ("beta", beta), ("stats.mean", stats.mean), ("stats.var", stats.var)):
        if np.shape(a) != (C,):
            raise ValueError(
                f"batch_norm: {name} must have shape ({C},) for x of shape {shape}, got {np.shape(a)}"
            )
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    kept = (1, C) if len(shape) == 2 else (1, C, 1, 1)
    dtype = _value(x).dtype
    scale = Reshape(kept)
    if not train:
        inv = _frozen((1.0 / np.sqrt(stats.var + eps)).astype(dtype).reshape(kept))
        mean = _frozen(stats.mean.astype(dtype).reshape(kept))
        xhat = apply(MUL, (apply(SUB, (x, mean), config), inv), config)
        y = apply(ADD, (apply(MUL, (xhat, apply(scale, (gamma,), config)), config), apply(scale, (beta,), config)), config)
        return y, stats
    count = shape[0] * (1 if len(shape) == 2 else shape[2] * shape[3])
    if count < 2:
        raise ValueError(
            f"batch_norm: training needs more than one value per channel, got x of shape {shape}"
        )
    average = Mean(axes, True)
    mu = apply(average, (x,), config)
    xc = apply(SUB, (x, mu), config)
    var = apply(average, (apply(MUL, (xc, xc), config),), config)
    std = apply(SQRT, (apply(ADD, (var, eps), config),), config)
    xhat = xc / std
    y = apply(ADD, (apply(MUL, (xhat, apply(scale, (gamma,), config)), config), apply(scale, (beta,), config)), config)
    batch_mean = mu.value.reshape(C)
    batch_var = var.value.reshape(C) * (count / (count - 1))
    new = BatchNormStats(
        _frozen((decay * stats.mean + (1.0 - decay) * batch_mean).astype(dtype)),
        _frozen((decay * stats.var + (1.0 - decay) * batch_var).astype(dtype)),
    )
    return y, new
