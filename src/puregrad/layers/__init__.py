"""Layers as frozen descriptions: `init(rng)` makes parameters, `apply(params, x)` uses them.

One module per kind of layer; this package only re-exports them.
"""

from puregrad.layers.dense import Activation, Initializer, Linear, LinearParams, MLP, MLPParams
from puregrad.layers.conv import AvgPool2d, Conv2d, Conv2dParams, MaxPool2d
from puregrad.layers.norm import BatchNorm, BatchNormParams, Dropout
from puregrad.layers.model import (
    Flatten,
    LayerParams,
    ModelLayer,
    ModelParams,
    ModelStats,
    Relu,
    Sequential,
)
from puregrad.layers.embedding import Embedding, EmbeddingParams
from puregrad.layers.recurrent import GRU, GRUParams, LSTM, LSTMParams, LSTMState, RNN, RNNParams

__all__ = [
    "Activation",
    "AvgPool2d",
    "BatchNorm",
    "BatchNormParams",
    "Conv2d",
    "Conv2dParams",
    "Dropout",
    "Embedding",
    "EmbeddingParams",
    "Flatten",
    "GRU",
    "GRUParams",
    "Initializer",
    "LayerParams",
    "Linear",
    "LinearParams",
    "LSTM",
    "LSTMParams",
    "LSTMState",
    "MaxPool2d",
    "MLP",
    "MLPParams",
    "ModelLayer",
    "ModelParams",
    "ModelStats",
    "Relu",
    "RNN",
    "RNNParams",
    "Sequential",
]
