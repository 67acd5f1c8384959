"""The op table, grouped by kind; every op is re-exported from `puregrad`."""

from puregrad.ops.arithmetic import add, div, mul, neg, pow, power, sub
from puregrad.ops.elementwise import exp, log, square
from puregrad.ops.linalg import linear, matmul
from puregrad.ops.nn import (
    clip,
    log_softmax,
    mean_squared_error,
    softmax,
    softmax_cross_entropy,
    stop_gradient,
)
from puregrad.ops.reduce import sum
from puregrad.ops.shape import broadcast_to, reshape, sum_to

__all__ = [
    "add",
    "broadcast_to",
    "clip",
    "div",
    "exp",
    "linear",
    "log",
    "log_softmax",
    "matmul",
    "mean_squared_error",
    "mul",
    "neg",
    "pow",
    "power",
    "reshape",
    "softmax",
    "softmax_cross_entropy",
    "square",
    "stop_gradient",
    "sub",
    "sum",
    "sum_to",
]
