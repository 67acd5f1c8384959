"""Layers as frozen descriptions: `init(rng)` makes parameters, `apply(params, x)` uses them.

One module per kind of layer; this package only re-exports them.
"""

from puregrad.layers.dense import (
    MLP,
    Activation,
    Initializer,
    Linear,
    LinearParams,
    MLPParams,
)

__all__ = ["Activation", "Initializer", "Linear", "LinearParams", "MLP", "MLPParams"]
