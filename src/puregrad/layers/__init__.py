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
]
