"""numpy on nodes (issue 8) against PyTorch as an oracle: values, gradients and Hessian-vector
products (double backward) of every function of the unary, binary, reduction and shape groups
that PyTorch has, including the cases where conventions matter (ties of maximum, zeros in prod
and cumprod, zero gradients of sign and floor). Skipped when torch is not installed (it is
never a dependency: `.venv/bin/pip install torch==2.13.0`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import puregrad as pg
from tests.helpers import HIGHER, rand

torch: Any = pytest.importorskip("torch")
F: Any = pytest.importorskip("torch.nn.functional")


def u(shape: tuple[int, ...], seed: int) -> Any:
    return np.random.default_rng(seed).standard_normal(shape)


def compare(f: Callable[..., Any], t: Callable[..., Any], *arrays: Any) -> None:
    """f (puregrad) and t (torch) agree in value, gradient of `sum(u * y)`, and the
    derivative of `sum(v * gradient)` (a Hessian-vector product, through double backward)."""
    xs = [pg.variable(a) for a in arrays]
    y = f(*xs)
    cotangent = u(y.shape, 1)
    directions = [u(a.shape, 2 + i) for i, a in enumerate(arrays)]
    grads = pg.backward(pg.sum(y * cotangent), HIGHER)
    gs = [grads.get(x) for x in xs]
    total = sum((pg.sum(g * v) for g, v in zip(gs, directions) if g is not None and g.requires_grad), pg.constant(0.0))
    hvp = pg.backward(total).get if total.requires_grad else (lambda x: None)

    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ty = t(*ts)
    np.testing.assert_allclose(y.value, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    tgs = torch.autograd.grad((ty * torch.tensor(cotangent)).sum(), ts, create_graph=True, allow_unused=True)
    parts = [(tg * torch.tensor(v)).sum() for tg, v in zip(tgs, directions) if tg is not None and tg.requires_grad]
    thvp = torch.autograd.grad(sum(parts), ts, allow_unused=True) if parts else [None] * len(ts)
    for i, (a, g, tg, h, th) in enumerate(zip(arrays, gs, tgs, [hvp(x) for x in xs], thvp)):
        expected = np.zeros(a.shape) if tg is None else tg.detach().numpy(force=True)
        got = np.zeros(a.shape) if g is None else g.value
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=f"gradient of input {i}")
        expected = np.zeros(a.shape) if th is None else th.detach().numpy(force=True)
        got = np.zeros(a.shape) if h is None else h.value
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11, err_msg=f"second order, input {i}")


A = rand(3, 4, seed=10, low=0.3, high=0.9)
B = rand(4, seed=11, low=0.3, high=0.9)
UNARY: list[tuple[str, Any, Any]] = [
    ("abs", lambda x: np.abs(x - 0.6), lambda x: torch.abs(x - 0.6)),
    ("sign", lambda x: np.sign(x - 0.6) * x * x, lambda x: torch.sign(x - 0.6) * x * x),
    ("floor", lambda x: np.floor(x * 3) * x, lambda x: torch.floor(x * 3) * x),
    ("ceil", lambda x: np.ceil(x * 3) * x, lambda x: torch.ceil(x * 3) * x),
    ("round", lambda x: np.round(x * 3) * x, lambda x: torch.round(x * 3) * x),
    ("reciprocal", np.reciprocal, torch.reciprocal),
    ("tan", np.tan, torch.tan),
    ("arcsin", np.arcsin, torch.asin),
    ("arccos", np.arccos, torch.acos),
    ("arctan", np.arctan, torch.atan),
    ("sinh", np.sinh, torch.sinh),
    ("cosh", np.cosh, torch.cosh),
    ("arcsinh", np.arcsinh, torch.asinh),
    ("arccosh", lambda x: np.arccosh(x + 1), lambda x: torch.acosh(x + 1)),
    ("arctanh", np.arctanh, torch.atanh),
    ("log1p", np.log1p, torch.log1p),
    ("expm1", np.expm1, torch.expm1),
    ("log2", np.log2, torch.log2),
    ("log10", np.log10, torch.log10),
    ("exp2", np.exp2, torch.exp2),
    ("cbrt", np.cbrt, lambda x: x ** (1 / 3)),
]


@pytest.mark.parametrize(("label", "f", "t"), UNARY, ids=[c[0] for c in UNARY])
def test_unary(label: str, f: Any, t: Any) -> None:
    compare(f, t, A)


BINARY: list[tuple[str, Any, Any]] = [
    ("maximum", np.maximum, torch.maximum),
    ("minimum", np.minimum, torch.minimum),
    ("arctan2", np.arctan2, torch.atan2),
    ("hypot", np.hypot, torch.hypot),
    ("logaddexp", np.logaddexp, torch.logaddexp),
    ("where", lambda x, y: np.where(A > 0.6, x * x, y), lambda x, y: torch.where(torch.tensor(A > 0.6), x * x, y)),
]


@pytest.mark.parametrize(("label", "f", "t"), BINARY, ids=[c[0] for c in BINARY])
def test_binary_broadcasting(label: str, f: Any, t: Any) -> None:
    compare(lambda x, y: f(x, y) * x, lambda x, y: t(x, y) * x, A, B)


def test_ties_of_maximum_and_minimum() -> None:
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for f, t in [(np.maximum, torch.maximum), (np.minimum, torch.minimum)]:
        compare(lambda x, y: f(x, y) * x, lambda x, y: t(x, y) * x, a, b)


ZEROS = np.array([[0.5, 0.0, 1.5, 2.0], [0.0, 0.7, 0.0, 1.2], [0.0, 0.0, 0.0, 0.9]])
REDUCTIONS: list[tuple[str, Any, Any, Any]] = [
    ("prod", lambda x: np.prod(x, axis=1), lambda x: torch.prod(x, 1), A),
    ("prod_zeros", lambda x: np.prod(x, axis=1), lambda x: torch.prod(x, 1), ZEROS),
    ("prod_all_one_zero", np.prod, torch.prod, ZEROS[:1]),
    ("var", lambda x: np.var(x, axis=0, ddof=1), lambda x: torch.var(x, 0, correction=1), A),
    ("std", lambda x: np.std(x, keepdims=True), lambda x: torch.std(x, correction=0, keepdim=True), A),
    ("cumsum", lambda x: np.sin(np.cumsum(x, axis=1)), lambda x: torch.sin(torch.cumsum(x, 1)), A),
    ("cumprod", lambda x: np.cumprod(x, axis=1), lambda x: torch.cumprod(x, 1), A),
    ("cumprod_zeros", lambda x: np.cumprod(x, axis=1), lambda x: torch.cumprod(x, 1), ZEROS[:2]),
    ("logsumexp", lambda x: pg.logsumexp(x * 300, axis=0), lambda x: torch.logsumexp(x * 300, 0), A),
]


@pytest.mark.parametrize(("label", "f", "t", "a"), REDUCTIONS, ids=[c[0] for c in REDUCTIONS])
def test_reductions(label: str, f: Any, t: Any, a: Any) -> None:
    compare(lambda x: f(x) * f(x), lambda x: t(x) * t(x), a)


IDX = np.array([[2, 0, 1, 1], [3, 3, 0, 1], [0, 1, 2, 3]])
SHAPE: list[tuple[str, Any, Any]] = [
    ("stack", lambda x: np.stack([x, x * x], 1), lambda x: torch.stack([x, x * x], 1)),
    ("vstack", lambda x: np.vstack([x, x[0]]), lambda x: torch.vstack([x, x[0]])),
    ("hstack", lambda x: np.hstack([x, x[:, :1]]), lambda x: torch.hstack([x, x[:, :1]])),
    ("squeeze", lambda x: np.squeeze(x[:, None]), lambda x: torch.squeeze(x[:, None])),
    ("expand_dims", lambda x: np.expand_dims(x, 1), lambda x: torch.unsqueeze(x, 1)),
    ("flip", lambda x: np.flip(x, 1), lambda x: torch.flip(x, (1,))),
    ("roll", lambda x: np.roll(x, (1, -2), (0, 1)), lambda x: torch.roll(x, (1, -2), (0, 1))),
    ("moveaxis", lambda x: np.moveaxis(x[None], 0, 2), lambda x: torch.movedim(x[None], 0, 2)),
    ("swapaxes", lambda x: np.swapaxes(x, 0, 1), lambda x: torch.swapaxes(x, 0, 1)),
    ("tile", lambda x: np.tile(x, (2, 1, 3)), lambda x: torch.tile(x, (2, 1, 3))),
    ("repeat", lambda x: np.repeat(x, [1, 0, 3], 0), lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 3]), 0)),
    ("ravel", np.ravel, torch.ravel),
    ("diagonal", lambda x: np.diagonal(x, 1), lambda x: torch.diagonal(x, 1)),
    ("trace", lambda x: np.trace(x[:, :3]), lambda x: torch.trace(x[:, :3])),
    ("triu", lambda x: np.triu(x, -1), lambda x: torch.triu(x, -1)),
    ("tril", lambda x: np.tril(x, 1), lambda x: torch.tril(x, 1)),
    ("take", lambda x: np.take(x, [5, 0, 5]), lambda x: torch.take(x, torch.tensor([5, 0, 5]))),
    ("take_along_axis", lambda x: np.take_along_axis(x, IDX, 1), lambda x: torch.take_along_dim(x, torch.tensor(IDX), 1)),
    ("pad", lambda x: np.pad(x, ((1, 0), (0, 2)), constant_values=0.5), lambda x: F.pad(x, (0, 2, 1, 0), value=0.5)),
]


@pytest.mark.parametrize(("label", "f", "t"), SHAPE, ids=[c[0] for c in SHAPE])
def test_shape(label: str, f: Any, t: Any) -> None:
    compare(lambda x: np.sin(f(x)), lambda x: torch.sin(t(x)), A)


def test_prod_and_cumprod_with_several_zeros_without_squaring() -> None:
    # f * f above hides the derivatives between two zeros (f is 0 there); plain f shows them.
    compare(lambda x: np.prod(x, axis=1), lambda x: torch.prod(x, 1), ZEROS)
    compare(lambda x: np.cumprod(x, axis=1), lambda x: torch.cumprod(x, 1), ZEROS)
    compare(lambda x: np.cumprod(x, axis=0), lambda x: torch.cumprod(x, 0), ZEROS)
