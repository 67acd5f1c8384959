"""The op table, grouped by kind; every op is re-exported from `puregrad`."""

from puregrad.ops.arithmetic import add, div, mul, neg, pow, power, sub
from puregrad.ops.elementwise import exp, log, square
from puregrad.ops.reduce import sum
from puregrad.ops.shape import broadcast_to, reshape, sum_to

__all__ = [
    "add",
    "broadcast_to",
    "div",
    "exp",
    "log",
    "mul",
    "neg",
    "pow",
    "power",
    "reshape",
    "square",
    "sub",
    "sum",
    "sum_to",
]
