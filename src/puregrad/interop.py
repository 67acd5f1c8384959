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
    np.cos: ops.cos,
    np.sin: ops.sin,
    np.sqrt: ops.sqrt,
    np.tanh: ops.tanh,
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
    np.amax: lambda a, axis=None, keepdims=False: ops.max(a, axis, keepdims),
    np.amin: lambda a, axis=None, keepdims=False: ops.min(a, axis, keepdims),
    np.concatenate: lambda arrays, axis=0: ops.concat(arrays, axis),
    np.max: lambda a, axis=None, keepdims=False: ops.max(a, axis, keepdims),
    np.mean: lambda a, axis=None, keepdims=False: ops.mean(a, axis, keepdims),
    np.min: lambda a, axis=None, keepdims=False: ops.min(a, axis, keepdims),
    np.split: lambda ary, indices_or_sections, axis=0: ops.split(ary, indices_or_sections, axis),
    np.transpose: lambda a, axes=None: ops.transpose(a, axes),
    np.clip: lambda a, a_min=None, a_max=None: ops.clip(a, a_min, a_max),
    # Linear algebra (ops/linalg.py, ops/einsum.py), with numpy's own argument names.
    np.dot: lambda a, b: ops.dot(a, b),
    np.inner: lambda a, b: ops.inner(a, b),
    np.outer: lambda a, b: ops.outer(a, b),
    np.tensordot: lambda a, b, axes=2: ops.tensordot(a, b, axes),
    np.einsum: lambda *operands, optimize=False: ops.einsum(*operands, optimize=optimize),
    np.linalg.matmul: lambda x1, x2: ops.matmul(x1, x2),
    np.linalg.inv: lambda a: ops.inv(a),
    np.linalg.solve: lambda a, b: ops.solve(a, b),
    np.linalg.det: lambda a: ops.det(a),
    np.linalg.slogdet: lambda a: ops.slogdet(a),
    np.linalg.cholesky: lambda a, upper=False: ops.cholesky(a, upper=upper),
    np.linalg.eigh: lambda a, UPLO="L": ops.eigh(a, UPLO),
    np.linalg.svd: lambda a, full_matrices=True, compute_uv=True, hermitian=False: ops.svd(
        a, full_matrices, compute_uv, hermitian
    ),
    np.linalg.norm: lambda x, ord=None, axis=None, keepdims=False: ops.norm(x, ord, axis, keepdims),
    np.linalg.vector_norm: lambda x, axis=None, keepdims=False, ord=2: ops.vector_norm(
        x, axis=axis, keepdims=keepdims, ord=ord
    ),
    np.linalg.matrix_norm: lambda x, keepdims=False, ord="fro": ops.matrix_norm(
        x, keepdims=keepdims, ord=ord
    ),
    np.linalg.svdvals: lambda x: ops.svdvals(x),
    np.linalg.outer: lambda x1, x2: ops.outer(x1, x2),
    np.linalg.tensordot: lambda x1, x2, axes=2: ops.tensordot(x1, x2, axes),
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
    if op is None:
        raise TypeError(
            f"{_qualified_name(func)} is not supported on puregrad nodes; use a puregrad op, or "
            "node.value to compute without gradients"
        )
    try:
        return op(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{_qualified_name(func)} on puregrad nodes: {error}") from None


def _qualified_name(func: Any) -> str:
    """`numpy.sum`, `numpy.linalg.eig`: the name a user called."""
    name = getattr(func, "__name__", repr(func))
    if getattr(func, "__module__", None) == "numpy.linalg":
        return f"numpy.linalg.{name}"
    return f"numpy.{name}"
