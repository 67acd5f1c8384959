"""Convolution and pooling layers: `Conv2d` (with parameters), `MaxPool2d` and `AvgPool2d`.

As every layer, a frozen description of sizes: `init(rng)` makes the parameters, a plain
tree (`Conv2dParams`), and `apply(params, x)` uses them. Pooling has no parameters.

    conv = Conv2d(1, 8, 3, pad=1)
    params = conv.init(np.random.default_rng(0))
    y = conv.apply(params, x)  # x (N, 1, H, W) -> y (N, 8, H, W)
"""

from __future__ import annotations

from typing import Any, Generic, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import F, Node
from puregrad.ops.conv import Pair, _pair, avg_pool2d, conv2d, max_pool2d
from puregrad.tree import Param

__all__ = ["AvgPool2d", "Conv2d", "Conv2dParams", "MaxPool2d"]


def _positive(who: str) -> Any:
    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or value < 1:
            raise ValueError(f"{who}: {attribute.name} must be a positive int, got {value!r}")

    return check


def _pair_field(who: str, what: str, minimum: int) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Pair], value: Pair) -> None:
        try:
            _pair(value, what, who, minimum)
        except TypeError as error:
            raise ValueError(str(error)) from None

    return check


@attrs.frozen
class Conv2dParams(Generic[F]):
    """The parameters of a `Conv2d`: filters `W` `(OC, C, KH, KW)` and bias `b` `(OC,)`
    (None without bias)."""

    W: Param[F]
    b: Param[F] | None


@attrs.frozen
class Conv2d:
    """A 2-D convolution layer, `conv2d(x, W, b, stride=stride, pad=pad)`.

    Attributes:
        in_channels, out_channels: C and OC.
        kernel: `(KH, KW)`, or one int for both.
        stride, pad: as `conv2d`.
        bias: whether to add a bias (initialised to zeros).

    The filters are drawn He-normal (variance `2 / (C KH KW)`, for relu).

    >>> conv = Conv2d(1, 4, 3, pad=1)
    >>> params = conv.init(np.random.default_rng(0))
    >>> params.W.shape, conv.apply(params, np.ones((2, 1, 5, 5))).shape
    ((4, 1, 3, 3), (2, 4, 5, 5))
    """

    in_channels: int = attrs.field(validator=_positive("Conv2d"))
    out_channels: int = attrs.field(validator=_positive("Conv2d"))
    kernel: Pair = attrs.field(validator=_pair_field("Conv2d", "kernel", 1))
    stride: Pair = attrs.field(default=1, kw_only=True, validator=_pair_field("Conv2d", "stride", 1))
    pad: Pair = attrs.field(default=0, kw_only=True, validator=_pair_field("Conv2d", "pad", 0))
    bias: bool = attrs.field(default=True, kw_only=True)

    @overload
    def init(self, rng: np.random.Generator) -> Conv2dParams[np.float64]: ...
    @overload
    def init(self, rng: np.random.Generator, dtype: type[F]) -> Conv2dParams[F]: ...
    def init(
        self, rng: np.random.Generator, dtype: type[np.floating[Any]] = np.float64
    ) -> Conv2dParams[Any]:
        """Fresh parameters drawn from `rng`, as read-only arrays of `dtype`."""
        KH, KW = _pair(self.kernel, "kernel", "Conv2d", 1)
        fan_in = self.in_channels * KH * KW
        shape = (self.out_channels, self.in_channels, KH, KW)
        W = (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)
        W.flags.writeable = False
        b = None
        if self.bias:
            b = np.zeros(self.out_channels, dtype)
            b.flags.writeable = False
        return Conv2dParams(W, b)

    def apply(
        self, params: Conv2dParams[F], x: Node[F] | NDArray[F], *, config: Config | None = None
    ) -> Node[F]:
        """The convolution of images `x` `(N, in_channels, H, W)`.

        Raises:
            ValueError: as `conv2d` (a channel mismatch names both shapes).
        """
        return conv2d(x, params.W, params.b, stride=self.stride, pad=self.pad, config=config)


@attrs.frozen
class MaxPool2d:
    """`max_pool2d(x, kernel, stride=stride, pad=pad)` as a layer without parameters."""

    kernel: Pair = attrs.field(validator=_pair_field("MaxPool2d", "kernel", 1))
    stride: Pair | None = attrs.field(default=None, kw_only=True)
    pad: Pair = attrs.field(default=0, kw_only=True, validator=_pair_field("MaxPool2d", "pad", 0))

    def apply(self, x: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
        return max_pool2d(x, self.kernel, stride=self.stride, pad=self.pad, config=config)


@attrs.frozen
class AvgPool2d:
    """`avg_pool2d(x, kernel, stride=stride, pad=pad)` as a layer without parameters."""

    kernel: Pair = attrs.field(validator=_pair_field("AvgPool2d", "kernel", 1))
    stride: Pair | None = attrs.field(default=None, kw_only=True)
    pad: Pair = attrs.field(default=0, kw_only=True, validator=_pair_field("AvgPool2d", "pad", 0))

    def apply(self, x: Node[F] | NDArray[F], *, config: Config | None = None) -> Node[F]:
        return avg_pool2d(x, self.kernel, stride=self.stride, pad=self.pad, config=config)
