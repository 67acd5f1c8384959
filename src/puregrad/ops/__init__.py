"""The op table, grouped by kind; every op is re-exported from `puregrad`."""

from puregrad.ops.arithmetic import add, div, mul, neg, pow, power, sub
from puregrad.ops.elementwise import cos, exp, log, relu, sigmoid, sin, sqrt, square, tanh
from puregrad.ops.linalg import linear, matmul
from puregrad.ops.conv import (
    avg_pool2d,
    col2im,
    conv2d,
    conv_transpose2d,
    im2col,
    max_pool2d,
)
from puregrad.ops.norm import BatchNormStats, batch_norm, dropout
from puregrad.ops.nn import (
    clip,
    log_softmax,
    mean_squared_error,
    softmax,
    softmax_cross_entropy,
    stop_gradient,
)
from puregrad.ops.reduce import max, mean, min, sum
from puregrad.ops.shape import (
    broadcast_to,
    concat,
    get_item,
    reshape,
    split,
    sum_to,
    transpose,
)

__all__ = [
    "add",
    "broadcast_to",
    "clip",
    "concat",
    "cos",
    "div",
    "exp",
    "get_item",
    "linear",
    "log",
    "log_softmax",
    "matmul",
    "max",
    "mean",
    "mean_squared_error",
    "min",
    "mul",
    "neg",
    "pow",
    "power",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "softmax",
    "softmax_cross_entropy",
    "split",
    "sqrt",
    "square",
    "stop_gradient",
    "sub",
    "sum",
    "sum_to",
    "tanh",
    "transpose",
]
__all__ += [
    "BatchNormStats",
    "avg_pool2d",
    "batch_norm",
    "col2im",
    "conv2d",
    "conv_transpose2d",
    "dropout",
    "im2col",
    "max_pool2d",
]
