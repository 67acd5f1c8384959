"""numpy's linear algebra on nodes: dot, inner, outer, tensordot and numpy.linalg's inv,
solve, det, slogdet, cholesky, eigh, svd and norm, called from numpy and as `pg.<name>`.

Values against numpy's own; gradients against central finite differences (to third order
where the function is smooth, on stacks of matrices and broadcast batch axes), in float64 and
at float32 tolerance; exact values where the math gives them; conditioning cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, check_orders, rand

Fn = Callable[..., Any]
xp: Any = np
"""numpy as called on nodes (its stubs would type each result as an array, not a Node)."""


def mt(x: Any) -> Any:
    """Swap the last two axes, on a node or an array."""
    axes = list(range(x.ndim))
    axes[-2:] = axes[-1], axes[-2]
    return pg.transpose(x, tuple(axes)) if type(x) is pg.Node else np.transpose(x, axes)


def well_conditioned(*shape: int, seed: int = 0) -> NDArray[np.float64]:
    """Random square matrices, safely invertible: the identity plus a small perturbation."""
    n = shape[-1]
    x: NDArray[np.float64] = np.eye(n) * 2 + rand(*shape, seed=seed)
    return x


def spd(*shape: int, seed: int = 0) -> NDArray[np.float64]:
    """Random symmetric positive-definite matrices."""
    x: NDArray[np.float64] = rand(*shape, seed=seed)
    y: NDArray[np.float64] = x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1])
    return y


def symmetric(*shape: int, seed: int = 0) -> NDArray[np.float64]:
    """Random symmetric matrices (distinct eigenvalues, almost surely)."""
    x: NDArray[np.float64] = rand(*shape, seed=seed)
    y: NDArray[np.float64] = x + np.swapaxes(x, -1, -2)
    return y


# Each case: a function of nodes written with numpy, its inputs, the highest order checked.
SMOOTH: dict[str, tuple[Fn, list[NDArray[Any]], int]] = {
    "dot 2-D": (xp.dot, [rand(2, 3, seed=1), rand(3, 2, seed=2)], 3),
    "dot N-D": (xp.dot, [rand(2, 2, 3, seed=1), rand(2, 3, 2, seed=2)], 2),
    "dot vector": (xp.dot, [rand(2, 2, 3, seed=1), rand(3, seed=2)], 2),
    "inner": (xp.inner, [rand(2, 3, seed=1), rand(2, 2, 3, seed=2)], 2),
    "outer": (xp.outer, [rand(2, 2, seed=1), rand(3, seed=2)], 2),
    "tensordot int": (lambda a, b: xp.tensordot(a, b, 2), [rand(2, 3, 2, seed=1), rand(3, 2, 2, seed=2)], 2),
    "tensordot pairs": (
        lambda a, b: xp.tensordot(a, b, axes=([0, 2], [1, 0])),
        [rand(2, 3, 2, seed=1), rand(2, 2, 3, seed=2)],
        2,
    ),
    "inv stack": (xp.linalg.inv, [well_conditioned(2, 3, 3)], 3),
    "solve vector": (xp.linalg.solve, [well_conditioned(2, 3, 3), rand(3, seed=2)], 3),
    "solve matrices, broadcast": (xp.linalg.solve, [well_conditioned(3, 3), rand(2, 3, 2, seed=2)], 3),
    "det stack": (xp.linalg.det, [well_conditioned(2, 3, 3)], 3),
    "det negative": (xp.linalg.det, [well_conditioned(3, 3)[::-1].copy()], 3),
    "slogdet": (lambda a: xp.linalg.slogdet(a)[1], [well_conditioned(2, 3, 3)], 3),
    "cholesky stack": (xp.linalg.cholesky, [spd(2, 3, 3)], 3),
    "cholesky upper": (lambda a: xp.linalg.cholesky(a, upper=True), [spd(3, 3)], 2),
    "norm vector": (xp.linalg.norm, [rand(4, seed=1)], 3),
    "norm axis keepdims": (lambda x: xp.linalg.norm(x, axis=1, keepdims=True), [rand(2, 3, 2, seed=1)], 3),
    "norm fro": (lambda x: xp.linalg.norm(x, "fro", axis=(2, 0)), [rand(2, 3, 4, seed=1)], 3),
    "norm p=3": (lambda x: xp.linalg.norm(x, 3, axis=-1), [rand(2, 4, seed=1, low=0.2)], 3),
    "norm 1 vector": (lambda x: xp.linalg.norm(x, 1), [rand(5, seed=1)], 2),
    "norm inf vector": (lambda x: xp.linalg.norm(x, np.inf, axis=0), [rand(5, 2, seed=1)], 2),
    "norm -inf vector": (lambda x: xp.linalg.norm(x, -np.inf), [rand(5, seed=1)], 2),
    "norm 1 matrix": (lambda x: xp.linalg.norm(x, 1, axis=(1, 2)), [rand(2, 3, 3, seed=1)], 2),
    "norm inf matrix": (lambda x: xp.linalg.norm(x, np.inf), [rand(3, 4, seed=1)], 2),
    "norm -1 matrix": (lambda x: xp.linalg.norm(x, -1), [rand(3, 4, seed=1)], 2),
    "norm 2 matrix": (lambda x: xp.linalg.norm(x, 2), [rand(3, 4, seed=1)], 2),
    "norm -2 matrix": (lambda x: xp.linalg.norm(x, -2, axis=(0, 1), keepdims=True), [rand(3, 4, seed=1)], 2),
    "norm nuc stack": (lambda x: xp.linalg.norm(x, "nuc", axis=(-2, -1)), [rand(2, 4, 3, seed=1)], 2),
    "vector_norm over every axis": (lambda x: xp.linalg.vector_norm(x, keepdims=True), [rand(2, 3, 2, seed=1)], 3),
    "vector_norm axes, ord 3": (lambda x: xp.linalg.vector_norm(x, axis=(0, 2), ord=3), [rand(2, 3, 2, seed=1, low=0.2)], 2),
    "matrix_norm stack": (lambda x: xp.linalg.matrix_norm(x, ord="nuc"), [rand(2, 3, 2, seed=1)], 2),
    "svdvals stack": (xp.linalg.svdvals, [rand(2, 2, 3, seed=1)], 2),
    "linalg.outer, linalg.tensordot": (
        lambda a, b: xp.linalg.tensordot(xp.linalg.outer(a, b), b, axes=([1], [0])),
        [rand(3, seed=1), rand(2, seed=2)],
        3,
    ),
    "eigh values": (lambda a: xp.linalg.eigh(a)[0], [symmetric(2, 3, 3)], 3),
    "eigh upper values": (lambda a: xp.linalg.eigh(a, UPLO="U").eigenvalues, [symmetric(3, 3)], 2),
    "eigh matrix function": (  # V diag(exp w) V^T does not depend on the eigenvectors' signs
        lambda a: (lambda w, v: (v * xp.exp(w)[..., None, :]) @ mt(v))(*xp.linalg.eigh(a)),
        [symmetric(2, 3, 3)],
        2,
    ),
    "eigh projector": (  # the eigenvector of the largest eigenvalue, as v v^T
        lambda a: (lambda v: v[..., :, None] * v[..., None, :])(xp.linalg.eigh(a)[1][..., -1]),
        [rand(3, 3, seed=4)],
        2,
    ),
    "svd values": (lambda a: xp.linalg.svd(a, compute_uv=False), [rand(2, 4, 3, seed=1)], 3),
    "svd square": (
        lambda a: (lambda u, s, vh: (u * s[..., None, :] ** 3) @ vh)(*xp.linalg.svd(a)),
        [rand(2, 3, 3, seed=2)],
        2,
    ),
    "svd tall": (  # U S^2 U^T and V S V^T: invariant under the signs of the singular pairs
        lambda a: (lambda u, s, vh: pg.concat([
            pg.reshape((u * s[None, :] ** 2) @ u.T, (-1,)), pg.reshape(vh.T @ (s[:, None] * vh), (-1,))
        ]))(*xp.linalg.svd(a, full_matrices=False)),
        [rand(4, 3, seed=3)],
        2,
    ),
    "svd wide, one vector pair": (
        lambda a: (lambda u, s, vh: u[:, :1] @ vh[:1, :])(*xp.linalg.svd(a, full_matrices=False)),
        [rand(3, 5, seed=4)],
        2,
    ),
}


@pytest.mark.parametrize("name", list(SMOOTH))
def test_values_match_numpy_and_gradients_match_finite_differences(name: str) -> None:
    f, inputs, order = SMOOTH[name]
    y = f(*(pg.variable(x) for x in inputs))
    assert type(y) is pg.Node
    expected = f(*inputs) if "svd" not in name and "eigh" not in name else None
    if expected is not None:
        np.testing.assert_allclose(y.value, expected, rtol=1e-12, atol=1e-12)
    check_orders(f, *inputs, order=order)


@pytest.mark.parametrize("name", list(SMOOTH))
def test_float32_keeps_its_dtype_and_gradients_hold_at_float32_tolerance(name: str) -> None:
    f, inputs, _ = SMOOTH[name]
    inputs32 = [x.astype(np.float32) for x in inputs]
    xs = [pg.variable(x) for x in inputs32]
    y = f(*xs)
    assert y.dtype == np.float32
    grads = pg.backward(pg.sum(y))
    assert all(grads[x].dtype == np.float32 for x in xs)
    pg.check_grad(f, *inputs32)


def test_top_level_functions_equal_numpy_on_nodes() -> None:
    a, b = well_conditioned(2, 3, 3, seed=1), rand(2, 3, 2, seed=2)
    s = spd(3, 3, seed=3)
    x = pg.variable(a)
    pairs: list[tuple[pg.Node[Any], Any]] = [
        (pg.inv(x), xp.linalg.inv(a)),
        (pg.solve(x, b), xp.linalg.solve(a, b)),
        (pg.det(x), xp.linalg.det(a)),
        (pg.slogdet(x).logabsdet, xp.linalg.slogdet(a).logabsdet),
        (pg.cholesky(s), xp.linalg.cholesky(s)),
        (pg.cholesky(s, upper=True), xp.linalg.cholesky(s, upper=True)),
        (pg.eigh(s).eigenvalues, xp.linalg.eigh(s).eigenvalues),
        (pg.svd(x, compute_uv=False), xp.linalg.svd(a, compute_uv=False)),
        (pg.norm(x, "nuc", (1, 2)), xp.linalg.norm(a, "nuc", (1, 2))),
        (pg.dot(x, b), xp.dot(a, b)),
        (pg.inner(x, a), xp.inner(a, a)),
        (pg.outer(x, b), xp.outer(a, b)),
        (pg.tensordot(x, b, ([1], [1])), xp.tensordot(a, b, ([1], [1]))),
    ]
    for node, expected in pairs:
        assert type(node) is pg.Node
        np.testing.assert_allclose(node.value, expected, rtol=1e-12, atol=1e-12)


def test_named_tuples_like_numpys() -> None:
    s = spd(2, 3, 3, seed=1)
    x = pg.variable(s)
    result = xp.linalg.slogdet(-x)
    assert isinstance(result, pg.SlogdetResult)
    sign, logabsdet = result
    assert type(sign) is np.ndarray and type(logabsdet) is pg.Node
    np.testing.assert_array_equal(sign, xp.linalg.slogdet(-s).sign)
    w, v = pg.eigh(x)
    assert pg.eigh(x)._fields == ("eigenvalues", "eigenvectors")
    np.testing.assert_allclose((v.value * w.value[..., None, :]) @ np.swapaxes(v.value, -1, -2), s)
    u, sv, vh = xp.linalg.svd(x)
    assert isinstance(xp.linalg.svd(x), pg.SVDResult)
    np.testing.assert_allclose(u.value @ (sv.value[..., None] * vh.value), s)
    np.testing.assert_allclose(np.abs(u.value), np.abs(xp.linalg.svd(s).U))


def test_every_norm_equals_numpys() -> None:
    x = rand(3, 4, seed=1)
    v = rand(5, seed=2)
    node, vector = pg.variable(x), pg.variable(v)
    for ord in [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]:
        np.testing.assert_allclose(xp.linalg.norm(node, ord).value, xp.linalg.norm(x, ord), rtol=1e-12)
        kept = xp.linalg.norm(node, ord, keepdims=True)
        assert kept.shape == xp.linalg.norm(x, ord, keepdims=True).shape
    for ord in [None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf]:
        np.testing.assert_allclose(xp.linalg.norm(vector, ord).value, xp.linalg.norm(v, ord), rtol=1e-12)
    stack = rand(2, 3, 4, seed=3)
    for axis in [None, 0, 2, -1, (0,), (0, 2), (2, 1)]:
        got = xp.linalg.norm(pg.variable(stack), axis=axis, keepdims=True)
        np.testing.assert_allclose(got.value, xp.linalg.norm(stack, axis=axis, keepdims=True), rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    ord=st.sampled_from([None, 1, 2, 3, np.inf]),
    data=st.data(),
)
def test_vector_norms_along_random_axes(shape: list[int], ord: float | None, data: st.DataObject) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    x = rand(*shape, seed=len(shape), low=0.3, high=1.0) * np.where(rand(*shape, seed=9) > 0, 1, -1)

    def f(y: Any) -> Any:
        return xp.linalg.norm(y, ord, axis, keepdims)

    np.testing.assert_allclose(f(pg.variable(x)).value, f(x), rtol=1e-12)
    pg.check_grad(f, x)


# Exact values and conditioning ------------------------------------------------------------


def test_det_gradient_is_det_times_inverse_transpose() -> None:
    a = well_conditioned(2, 4, 4, seed=3)
    x = pg.variable(a)
    grads = pg.backward(pg.sum(pg.det(x)))
    expected = xp.linalg.det(a)[:, None, None] * np.swapaxes(xp.linalg.inv(a), -1, -2)
    np.testing.assert_allclose(grads[x].value, expected, rtol=1e-12)
    # d log|det A| / dA = A^-T, and d inv(A) against the identity -Y^T G Y^T.
    grads = pg.backward(pg.sum(pg.slogdet(x).logabsdet))
    np.testing.assert_allclose(grads[x].value, np.swapaxes(xp.linalg.inv(a), -1, -2), rtol=1e-12)
    g = rand(2, 4, 4, seed=4)
    inverse = xp.linalg.inv(a)
    gx = pg.backward(pg.inv(x), seed=g)[x].value
    np.testing.assert_allclose(gx, -np.swapaxes(inverse, -1, -2) @ g @ np.swapaxes(inverse, -1, -2), rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_det_of_a_well_conditioned_matrix_with_a_tiny_or_huge_determinant(scale: float) -> None:
    # det(c I) = c^60 (1e-180 or 1e180), its gradient c^59 I; the same for c times a
    # rotation. The gradient matches det(A) A^-T, and the second derivative is finite.
    n = 60
    rotation = xp.linalg.qr(rand(n, n, seed=5))[0]
    for a in [scale * np.eye(n), scale * rotation]:
        x = pg.variable(a)
        y = pg.det(x)
        expected_det = xp.linalg.det(a)
        assert np.isfinite(expected_det) and expected_det != 0
        grads = pg.backward(y, HIGHER)
        gx = grads[x]
        expected = expected_det * xp.linalg.inv(a).T
        np.testing.assert_allclose(gx.value, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())
        second = pg.backward(pg.sum(gx * np.eye(n)))[x].value
        assert np.all(np.isfinite(second)) and np.abs(second).max() > 0
    # At c I the derivative of trace(d det / dA) is (n - 1) c^(n - 2) I, exactly.
    x = pg.variable(scale * np.eye(n))
    gx = pg.backward(pg.det(x), HIGHER)[x]
    second = pg.backward(pg.sum(gx * np.eye(n)))[x].value
    np.testing.assert_allclose(second, (n - 1) * scale ** (n - 2) * np.eye(n), rtol=1e-9)


def test_slogdet_is_finite_where_det_overflows() -> None:
    a = 1e-3 * np.eye(200)
    x = pg.variable(a)
    sign, logabsdet = pg.slogdet(x)
    assert float(sign) == 1.0
    np.testing.assert_allclose(logabsdet.value, 200 * xp.log(1e-3))
    np.testing.assert_allclose(pg.backward(logabsdet)[x].value, 1e3 * np.eye(200), rtol=1e-12)


def test_cholesky_gradient_reads_the_lower_triangle_and_is_symmetric_for_a_kernel() -> None:
    # numpy reads one triangle, so the gradient goes there; through a symmetric
    # construction it is the usual symmetric gradient.
    a = spd(3, 3, seed=6)
    x = pg.variable(a)
    gx = pg.backward(pg.sum(pg.cholesky(x)))[x].value
    assert np.all(np.triu(gx, 1) == 0)
    b = rand(3, 3, seed=7)
    w = pg.variable(b)
    gw = pg.backward(pg.sum(pg.cholesky(w @ w.T + 3 * np.eye(3))))[w].value
    check_orders(lambda w: pg.cholesky(w @ pg.transpose(w) + 3 * np.eye(3)), b, order=3)
    assert np.all(np.isfinite(gw))


def test_eigenvalue_gradients_at_repeated_eigenvalues_stay_finite() -> None:
    # sum(w) is the trace: its gradient is the identity even where every eigenvalue ties.
    x = pg.variable(np.eye(3))
    grads = pg.backward(pg.sum(pg.eigh(x).eigenvalues), HIGHER)
    np.testing.assert_allclose(grads[x].value, np.eye(3), atol=1e-12)
    second = pg.backward(pg.sum(grads[x] * rand(3, 3, seed=1)))[x].value
    assert np.all(np.isfinite(second))
    # The nuclear norm of a matrix with equal singular values.
    y = pg.variable(2 * np.eye(3))
    np.testing.assert_allclose(pg.backward(pg.norm(y, "nuc"))[y].value, np.eye(3), atol=1e-12)


def test_gradients_flow_through_a_gauge_invariant_use_of_eigenvectors() -> None:
    # log det of an SPD matrix three ways: eigenvalues, cholesky, slogdet.
    a = spd(2, 4, 4, seed=8)
    x = pg.variable(a)
    via_eigh = pg.sum(xp.log(pg.eigh(x).eigenvalues), axis=-1)
    via_cholesky = 2 * pg.sum(xp.log(xp.einsum("...ii->...i", pg.cholesky(x))), axis=-1)
    via_slogdet = pg.slogdet(x).logabsdet
    for y in [via_eigh, via_cholesky]:
        np.testing.assert_allclose(y.value, via_slogdet.value, rtol=1e-12)
    inverse_t = np.swapaxes(xp.linalg.inv(a), -1, -2)
    g_slogdet = pg.backward(pg.sum(via_slogdet))[x].value
    np.testing.assert_allclose(g_slogdet, inverse_t, rtol=1e-10)
    # eigh and cholesky read the lower triangle: their gradient is A^-T's, folded onto it.
    folded = (inverse_t + np.swapaxes(inverse_t, -1, -2)) * (np.tril(np.ones((4, 4))) - 0.5 * np.eye(4))
    for y in [via_eigh, via_cholesky]:
        np.testing.assert_allclose(pg.backward(pg.sum(y))[x].value, folded, rtol=1e-10, atol=1e-12)


def test_solve_with_a_constant_matrix_and_broadcast_batches() -> None:
    a = well_conditioned(3, 3, seed=2)
    b = rand(4, 3, 2, seed=3)
    y = pg.variable(b)
    grads = pg.backward(pg.sum(pg.solve(a, y)))
    np.testing.assert_allclose(grads[y].value, xp.linalg.solve(a.T, np.ones((4, 3, 2))), rtol=1e-12)
    check_orders(lambda a, b: pg.solve(a, b), well_conditioned(2, 1, 3, 3), rand(4, 3, 1, seed=1), order=2)


# Errors -----------------------------------------------------------------------------------


def test_errors_name_the_function_and_the_shapes() -> None:
    x = pg.variable(np.ones((2, 3)))
    for f in (pg.inv, pg.det, pg.cholesky, lambda a: pg.slogdet(a), lambda a: pg.eigh(a)):
        with pytest.raises(ValueError, match=r"\(2, 3\)"):
            f(x)
    with pytest.raises(ValueError, match="solve: b of shape"):
        pg.solve(pg.variable(np.eye(3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="full_matrices=False"):
        xp.linalg.svd(x)
    with pytest.raises(ValueError, match="tensordot: shapes"):
        pg.tensordot(x, np.ones((2, 3)), 1)
    with pytest.raises(ValueError, match="dot: shapes"):
        xp.dot(x, np.ones(2))
    with pytest.raises(ValueError, match="norm: invalid ord"):
        xp.linalg.norm(x, "bad")
    with pytest.raises(ValueError, match="needs axis"):
        xp.linalg.norm(pg.variable(np.ones((2, 2, 2))), 1)
    with pytest.raises(xp.linalg.LinAlgError):
        pg.inv(pg.variable(np.zeros((2, 2))))
    with pytest.raises(TypeError, match="numpy.dot on puregrad nodes"):
        xp.dot(x, np.ones(3), out=np.zeros(2))
    with pytest.raises(TypeError, match="numpy.linalg.eig is not supported"):
        xp.linalg.eig(pg.variable(np.eye(2)))


def test_svd_full_matrices_of_a_square_stack_is_the_reduced_one() -> None:
    a = rand(2, 3, 3, seed=1)
    u, s, vh = pg.svd(pg.variable(a))
    np.testing.assert_allclose(u.value @ (s.value[..., None] * vh.value), a, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    data=st.data(),
)
def test_tensordot_over_random_axes(shape: list[int], data: st.DataObject) -> None:
    count = data.draw(st.integers(0, len(shape)))
    axes0 = data.draw(st.permutations(range(len(shape))))[:count]
    extra = data.draw(st.lists(st.integers(1, 3), max_size=2))
    other_shape = [shape[k] for k in axes0] + extra
    order = data.draw(st.permutations(range(len(other_shape))))
    axes1 = [order.index(k) for k in range(count)]  # where each paired axis went
    b_shape = [other_shape[k] for k in order]
    a, b = rand(*shape, seed=1), rand(*b_shape, seed=2)
    axes = (list(axes0), axes1)
    np.testing.assert_allclose(pg.tensordot(pg.variable(a), b, axes).value, np.tensordot(a, b, axes), rtol=1e-12)
    pg.check_grad(lambda x, y: pg.tensordot(x, y, axes), a, b)


def test_no_grad_and_constant_inputs_give_constant_leaves() -> None:
    a = well_conditioned(3, 3)
    with pg.no_grad():
        for y in [pg.det(pg.variable(a)), pg.eigh(pg.variable(a + a.T)).eigenvectors, pg.svd(pg.variable(a)).S]:
            assert y.origin is None and not y.requires_grad
    off = pg.Config(enable_backprop=False)
    assert pg.inv(pg.variable(a), config=off).origin is None
    assert pg.einsum("ij->", pg.variable(a), config=off).origin is None
    assert not pg.cholesky(spd(3, 3)).requires_grad  # an array in, a constant out
