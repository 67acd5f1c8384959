"""puregrad: statically typed, functional reverse-mode automatic differentiation on numpy.

This module only re-exports: the core from its modules, and every public name of the op table
(`puregrad.ops`), the layers (`puregrad.layers`) and the data sets (`puregrad.data`).
"""

from puregrad.node import constant, Node, variable
from puregrad.config import Config, get_config, no_grad, using_config
from puregrad.backward import backward, Gradients
from puregrad.check import check_grad
from puregrad.op import MultiOp, Op
from puregrad.transforms import (
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    Transformed,
    Transformed01,
    Transformed1,
    value_and_grad,
    vjp,
)
from puregrad.remat import checkpoint
from puregrad.tree import (
    gradients_of,
    Leaf,
    Param,
    to_arrays,
    to_variables,
    tree_leaves,
    tree_map,
    tree_stop_gradient,
    tree_structure,
    tree_unflatten,
    tree_value_and_grad,
    TreeDef,
)
from puregrad.optim import (
    AdaGrad,
    AdaGradState,
    Adam,
    AdamState,
    apply_updates,
    Chain,
    chain,
    ClipByGlobalNorm,
    EmptyState,
    GradientTransformation,
    MomentumSGD,
    MomentumState,
    SGD,
    step,
    WeightDecay,
)
from puregrad.saving import load, save
from puregrad.graph import render, to_dot

from puregrad import data, layers, ops, parallel  # parallel imports dask only when used
from puregrad.data import *  # noqa: F403  # listed in puregrad.data.__all__
from puregrad.layers import *  # noqa: F403  # listed in puregrad.layers.__all__
from puregrad.ops import *  # noqa: F403  # listed in puregrad.ops.__all__

__all__ = [
    "AdaGrad",
    "AdaGradState",
    "Adam",
    "AdamState",
    "apply_updates",
    "backward",
    "Chain",
    "chain",
    "check_grad",
    "checkpoint",
    "ClipByGlobalNorm",
    "Config",
    "constant",
    "EmptyState",
    "get_config",
    "grad",
    "Gradients",
    "gradients_of",
    "GradientTransformation",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "Leaf",
    "load",
    "MomentumSGD",
    "MomentumState",
    "MultiOp",
    "no_grad",
    "Node",
    "Op",
    "parallel",
    "Param",
    "render",
    "save",
    "SGD",
    "step",
    "to_arrays",
    "to_dot",
    "to_variables",
    "Transformed",
    "Transformed01",
    "Transformed1",
    "tree_leaves",
    "tree_map",
    "tree_stop_gradient",
    "tree_structure",
    "tree_unflatten",
    "tree_value_and_grad",
    "TreeDef",
    "using_config",
    "value_and_grad",
    "variable",
    "vjp",
    "WeightDecay",
]
__all__ += ops.__all__
__all__ += layers.__all__
__all__ += data.__all__
