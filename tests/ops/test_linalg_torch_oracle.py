"""An oracle: PyTorch's linear algebra gives the same values, gradients and second
derivatives as puregrad's (skipped when torch is not installed).

Each case is one function written twice, with numpy on puregrad nodes and with torch. Inputs
that numpy reads by one triangle (cholesky, eigh) go through a symmetric construction, since
torch's convention for the gradient of a symmetric input differs (it symmetrizes); functions
of eigen- and singular vectors are gauge invariant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import puregrad as pg
from tests.helpers import HIGHER, rand

torch: Any = pytest.importorskip("torch")
xp: Any = np

Case = tuple[Callable[[Any], Any], Callable[[Any], Any], tuple[int, ...]]


def _mt(x: Any) -> Any:
    return x.mT if isinstance(x, torch.Tensor) else xp.einsum("...ij->...ji", x)


def _sym(x: Any) -> Any:
    return x + _mt(x)


def _spd(x: Any) -> Any:
    n = x.shape[-1]
    eye = torch.eye(n, dtype=torch.float64) if isinstance(x, torch.Tensor) else np.eye(n)
    return x @ _mt(x) + n * eye


CASES: dict[str, Case] = {
    "inv": (lambda a: xp.linalg.inv(a + 3 * np.eye(3)), lambda a: torch.linalg.inv(a + 3 * torch.eye(3, dtype=a.dtype)), (2, 3, 3)),
    "det": (lambda a: xp.linalg.det(a), lambda a: torch.linalg.det(a), (2, 3, 3)),
    "slogdet": (lambda a: xp.linalg.slogdet(a)[1], lambda a: torch.linalg.slogdet(a)[1], (2, 3, 3)),
    "solve": (
        lambda a: xp.linalg.solve(a + 3 * np.eye(3), a[..., :2]),
        lambda a: torch.linalg.solve(a + 3 * torch.eye(3, dtype=a.dtype), a[..., :2]),
        (2, 3, 3),
    ),
    "cholesky": (lambda w: xp.linalg.cholesky(_spd(w)), lambda w: torch.linalg.cholesky(_spd(w)), (2, 3, 3)),
    "eigh": (
        lambda w: (lambda e: (e[1] * e[0][..., None, :] ** 3) @ _mt(e[1]))(xp.linalg.eigh(_sym(w))),
        lambda w: (lambda e: (e[1] * e[0][..., None, :] ** 3) @ e[1].mT)(torch.linalg.eigh(_sym(w))),
        (2, 3, 3),
    ),
    "svd": (
        lambda a: (lambda u, s, vh: (u * s[..., None, :] ** 2) @ _mt(u))(*xp.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: (u * s[..., None, :] ** 2) @ u.mT)(*torch.linalg.svd(a, full_matrices=False)),
        (2, 4, 3),
    ),
    "svd wide": (
        lambda a: (lambda u, s, vh: xp.einsum("...ji,...j,...jk->...ik", vh, s, vh))(*xp.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: vh.mT @ (s[..., :, None] * vh))(*torch.linalg.svd(a, full_matrices=False)),
        (2, 2, 4),
    ),
    "norm 2": (lambda a: xp.linalg.norm(a, 2, axis=(1, 2)), lambda a: torch.linalg.matrix_norm(a, 2), (2, 3, 4)),
    "norm nuc": (lambda a: xp.linalg.norm(a, "nuc", axis=(1, 2)), lambda a: torch.linalg.matrix_norm(a, "nuc"), (2, 3, 4)),
    "einsum": (
        lambda a: xp.einsum("bij,bjk,bkk->bi", a, a, a),
        lambda a: torch.einsum("bij,bjk,bkk->bi", a, a, a),
        (2, 3, 3),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_gradients_and_second_derivatives_match_torch(name: str) -> None:
    ours, theirs, shape = CASES[name]
    a: NDArray[np.float64] = rand(*shape, seed=7)
    cotangent = rand(*np.shape(ours(a)), seed=8)  # the same code on arrays is plain numpy
    direction = rand(*shape, seed=9)

    x = pg.variable(a)
    y = ours(x)
    gx = pg.backward(y, HIGHER, seed=cotangent)[x]
    hvp = pg.backward(pg.sum(gx * direction))[x].value

    t = torch.tensor(a, requires_grad=True)
    ty = theirs(t)
    (tg,) = torch.autograd.grad(ty, t, torch.tensor(cotangent), create_graph=True)
    (thvp,) = torch.autograd.grad((tg * torch.tensor(direction)).sum(), t)

    np.testing.assert_allclose(y.value, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx.value, tg.detach().numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(hvp, thvp.numpy(), rtol=1e-8, atol=1e-10)
