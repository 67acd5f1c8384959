"""numpy applied to nodes: ufuncs, their `reduce`/`accumulate` where these are reductions
(`np.add.reduce` is `sum`), and array functions become the puregrad op of the same meaning,
or a `TypeError`; never an object array, never a dropped graph.

This is also what lets one VJP rule serve both sweeps: `np.cos(x)` in a rule computes on
arrays in a plain backward and records the `cos` op under `create_graph`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import numpy as np

from puregrad import ops

__all__ = ["FUNCTIONS", "UFUNC_METHODS", "UFUNCS", "array_function", "array_ufunc"]

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
    # numpy on nodes: unary (piecewise-constant ones have zero gradients)
    np.absolute: ops.abs,
    np.sign: ops.sign,
    np.floor: ops.floor,
    np.ceil: ops.ceil,
    np.rint: ops.round,
    np.reciprocal: ops.reciprocal,
    np.tan: ops.tan,
    np.arcsin: ops.arcsin,
    np.arccos: ops.arccos,
    np.arctan: ops.arctan,
    np.sinh: ops.sinh,
    np.cosh: ops.cosh,
    np.arcsinh: ops.arcsinh,
    np.arccosh: ops.arccosh,
    np.arctanh: ops.arctanh,
    np.log1p: ops.log1p,
    np.expm1: ops.expm1,
    np.log2: ops.log2,
    np.log10: ops.log10,
    np.exp2: ops.exp2,
    np.cbrt: ops.cbrt,
    # numpy on nodes: binary (ties of maximum and minimum split the gradient)
    np.maximum: ops.maximum,
    np.minimum: ops.minimum,
    np.arctan2: ops.arctan2,
    np.hypot: ops.hypot,
    np.logaddexp: ops.logaddexp,
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
    # numpy on nodes. Keywords after a numpy parameter that is not taken (dtype, out) are
    # keyword-only, so a positional argument can never land on the wrong one.
    np.round: lambda a, decimals=0: ops.round(a, decimals),
    np.around: lambda a, decimals=0: ops.round(a, decimals),
    np.where: lambda condition, x, y: ops.where(condition, x, y),
    # reductions
    np.prod: lambda a, axis=None, *, keepdims=False: ops.prod(a, axis, keepdims),
    np.var: lambda a, axis=None, *, ddof=0, keepdims=False: ops.var(a, axis, ddof=ddof, keepdims=keepdims),
    np.std: lambda a, axis=None, *, ddof=0, keepdims=False: ops.std(a, axis, ddof=ddof, keepdims=keepdims),
    np.cumsum: lambda a, axis=None: ops.cumsum(a, axis),
    np.cumprod: lambda a, axis=None: ops.cumprod(a, axis),
    np.argmax: lambda a, axis=None, *, keepdims=False: ops.argmax(a, axis, keepdims),
    np.argmin: lambda a, axis=None, *, keepdims=False: ops.argmin(a, axis, keepdims),
    # shape
    np.stack: lambda arrays, axis=0: ops.stack(arrays, axis),
    np.vstack: lambda tup: ops.vstack(tup),
    np.hstack: lambda tup: ops.hstack(tup),
    np.squeeze: lambda a, axis=None: ops.squeeze(a, axis),
    np.expand_dims: lambda a, axis: ops.expand_dims(a, axis),
    np.flip: lambda m, axis=None: ops.flip(m, axis),
    np.roll: lambda a, shift, axis=None: ops.roll(a, shift, axis),
    np.moveaxis: lambda a, source, destination: ops.moveaxis(a, source, destination),
    np.swapaxes: lambda a, axis1, axis2: ops.swapaxes(a, axis1, axis2),
    np.tile: lambda A, reps: ops.tile(A, reps),
    np.repeat: lambda a, repeats, axis=None: ops.repeat(a, repeats, axis),
    np.ravel: lambda a: ops.ravel(a),
    np.diagonal: lambda a, offset=0, axis1=0, axis2=1: ops.diagonal(a, offset, axis1, axis2),
    np.trace: lambda a, offset=0, axis1=0, axis2=1: ops.trace(a, offset, axis1, axis2),
    np.triu: lambda m, k=0: ops.triu(m, k),
    np.tril: lambda m, k=0: ops.tril(m, k),
    np.take: lambda a, indices, axis=None, *, mode="raise": ops.take(a, indices, axis, mode),
    np.take_along_axis: lambda arr, indices, axis=-1: ops.take_along_axis(arr, indices, axis),
    np.pad: lambda array, pad_width, mode="constant", *, constant_values=0: ops.pad(
        array, pad_width, mode, constant_values=constant_values
    ),
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

UFUNC_METHODS: Final[Mapping[tuple[np.ufunc, str], Callable[..., Any]]] = {
    # numpy passes every argument after the array as a keyword; the default axis is 0.
    (np.add, "reduce"): lambda a, axis=0, keepdims=False: ops.sum(a, axis, keepdims),
    (np.multiply, "reduce"): lambda a, axis=0, keepdims=False: ops.prod(a, axis, keepdims),
    (np.maximum, "reduce"): lambda a, axis=0, keepdims=False: ops.max(a, axis, keepdims),
    (np.minimum, "reduce"): lambda a, axis=0, keepdims=False: ops.min(a, axis, keepdims),
    (np.add, "accumulate"): lambda a, axis=0: ops.cumsum(a, axis),
    (np.multiply, "accumulate"): lambda a, axis=0: ops.cumprod(a, axis),
}


def array_ufunc(
    ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    op = UFUNCS.get(ufunc) if method == "__call__" else UFUNC_METHODS.get((ufunc, method))
    what = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if op is None:
        raise TypeError(
            f"{what} is not supported on puregrad nodes; use a puregrad op, or node.value "
            "to compute without gradients"
        )
    if method != "__call__":
        try:
            return op(*inputs, **kwargs)
        except TypeError as error:
            raise TypeError(f"{what} on puregrad nodes: {error}") from None
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
