"""numpy applied to nodes: ufuncs and array functions become the puregrad op of the same
meaning, or a `TypeError`; never an object array, never a dropped graph.

This is also what lets one VJP rule serve both sweeps: `np.cos(x)` in a rule computes on
arrays in a plain backward and records the `cos` op under `create_graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np

from puregrad import ops

__all__ = ["FUNCTIONS", "UFUNCS", "array_function", "array_ufunc"]

UFUNCS: Final[Mapping[np.ufunc, Callable[..., Any]]] = {
    np.add: ops.add,
    np.subtract: ops.sub,
    np.multiply: ops.mul,
    np.divide: ops.div,
    np.power: ops.power,
    np.negative: ops.neg,
    np.positive: lambda x: x,
    np.square: ops.square,
    np.exp: ops.exp,
    np.log: ops.log,
    np.matmul: ops.matmul,
}

FUNCTIONS: Final[Mapping[Callable[..., Any], Callable[..., Any]]] = {
    # Metadata: reading it drops nothing.
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a, axis=None: a.size if axis is None else a.shape[axis],
    np.sum: lambda a, axis=None, keepdims=False: ops.sum(a, axis, keepdims),
    np.reshape: lambda a, shape: ops.reshape(a, shape),
    np.broadcast_to: lambda array, shape: ops.broadcast_to(array, shape),
    np.clip: lambda a, a_min=None, a_max=None: ops.clip(a, a_min, a_max),
}


def array_ufunc(
    ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    op = UFUNCS.get(ufunc)
    if op is None or method != "__call__":
        what = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        raise TypeError(
            f"{what} is not supported on puregrad nodes; use a puregrad op, or node.value "
            "to compute without gradients"
        )
    if kwargs:
        raise TypeError(
            f"numpy.{ufunc.__name__} on puregrad nodes takes no keyword arguments "
            f"(got {', '.join(sorted(kwargs))})"
        )
    return op(*inputs)


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    op = FUNCTIONS.get(func)
    name = getattr(func, "__name__", repr(func))
    if op is None:
        raise TypeError(
            f"numpy.{name} is not supported on puregrad nodes; use a puregrad op, or "
            "node.value to compute without gradients"
        )
    try:
        return op(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"numpy.{name} on puregrad nodes: {error}") from None
