"""The op table, grouped by kind; every op is re-exported from `puregrad`."""

from puregrad.ops.arithmetic import add, div, mul, neg, pow, power, sub
from puregrad.ops.elementwise import cos, exp, log, relu, sigmoid, sin, sqrt, square, tanh
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
    "concat",
    "cos",
    "div",
    "exp",
    "get_item",
    "log",
    "max",
    "mean",
    "min",
    "mul",
    "neg",
    "pow",
    "power",
    "relu",
    "reshape",
    "sigmoid",
    "sin",
    "split",
    "sqrt",
    "square",
    "sub",
    "sum",
    "sum_to",
    "tanh",
    "transpose",
]
