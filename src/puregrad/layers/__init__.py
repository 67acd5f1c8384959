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
from puregrad.layers.conv import AvgPool2d, Conv2d, Conv2dParams, MaxPool2d
from puregrad.layers.model import (
    Flatten,
    LayerParams,
    ModelLayer,
    ModelParams,
    ModelStats,
    Relu,
    Sequential,
)
from puregrad.layers.norm import BatchNorm, BatchNormParams, Dropout

from puregrad.layers.embedding import Embedding, EmbeddingParams
from puregrad.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    GRUParams,
    LSTMParams,
    LSTMState,
    RNNParams,
)

__all__ = ["Activation", "Initializer", "Linear", "LinearParams", "MLP", "MLPParams"]
__all__ += [
    "Embedding",
    "EmbeddingParams",
    "GRU",
    "GRUParams",
    "LSTM",
    "LSTMParams",
    "LSTMState",
    "RNN",
    "RNNParams",
    "AvgPool2d",
    "BatchNorm",
    "BatchNormParams",
    "Conv2d",
    "Conv2dParams",
    "Dropout",
    "Flatten",
    "LayerParams",
    "MaxPool2d",
    "ModelLayer",
    "ModelParams",
    "ModelStats",
    "Relu",
    "Sequential",
]
