"""puregrad: statically typed, functional reverse-mode automatic differentiation on numpy."""

from puregrad.backward import Gradients, backward
from puregrad.check import check_grad
from puregrad.config import Config, get_config, no_grad, using_config
from puregrad.node import Node, constant, variable
from puregrad.ops import (
    add,
    broadcast_to,
    div,
    exp,
    log,
    mul,
    neg,
    pow,
    power,
    reshape,
    square,
    sub,
    sum,
    sum_to,
)

__all__ = [
    "Config",
    "Gradients",
    "Node",
    "add",
    "backward",
    "broadcast_to",
    "check_grad",
    "constant",
    "div",
    "exp",
    "get_config",
    "log",
    "mul",
    "neg",
    "no_grad",
    "pow",
    "power",
    "reshape",
    "square",
    "sub",
    "sum",
    "sum_to",
    "using_config",
    "variable",
]
