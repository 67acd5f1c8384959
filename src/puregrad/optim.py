"""Optimizers as pure transformations of gradients, composable as in optax.

Design. A `GradientTransformation` is a frozen object with two pure functions:

- `init(params) -> state`: the optimizer's state for a tree of parameters (moments, a step
  count), a frozen attrs instance;
- `update(grads, state, params) -> (updates, new_state)`: from a tree of gradients to a tree
  of *updates* of the same structure, and the next state.

`apply_updates(params, updates)` adds the updates to the parameters, giving new parameters;
`step(transform, grads, state, params)` does both and returns `(new_params, new_state)`.
Nothing is changed in place: every array a transformation returns is new and read-only
(DeZero's optimizers overwrite `param.data`).

Because every transformation maps a tree to a tree, they compose: `chain(t1, t2, ...)` feeds
the output of each into the next. Transformations that edit the gradients
(`ClipByGlobalNorm`, `WeightDecay`) come first; an optimizer (`SGD`, `MomentumSGD`,
`AdaGrad`, `Adam`) turns gradients into updates (a step *down* the gradient) and comes last:

    optimizer = chain(ClipByGlobalNorm(1.0), WeightDecay(1e-4), Adam(1e-3))
    state = optimizer.init(params)
    params, state = step(optimizer, grads, state, params)

Trees hold ndarrays here (parameters at rest and their gradients, as `value_and_grad`
returns them); floating dtypes are kept (float32 parameters get float32 updates).
"""

from __future__ import annotations

import math
from typing import Any, Protocol, TypeVar, cast, final

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.tree import tree_leaves, tree_map

__all__ = [
    "AdaGrad",
    "AdaGradState",
    "Adam",
    "AdamState",
    "Chain",
    "ClipByGlobalNorm",
    "EmptyState",
    "GradientTransformation",
    "MomentumSGD",
    "MomentumState",
    "SGD",
    "WeightDecay",
    "apply_updates",
    "chain",
    "step",
]

T = TypeVar("T")
S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class GradientTransformation(Protocol[S]):
    """A pure optimizer step: `init` makes the state, `update` maps gradients to updates.

    `S` is the type of the state. Both methods are pure: they return new trees and state and
    change nothing they are given.
    """

    def init(self, params: T, /) -> S:
        """The initial state for the tree `params`."""
        ...

    def update(self, grads: T, state: S, params: T, /) -> tuple[T, S]:
        """The updates (a tree like `grads`) and the next state."""
        ...


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


def _array(x: object, who: str) -> NDArray[Any]:
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(
        f"{who}: the trees must hold ndarrays, got a {type(x).__name__} (pass gradients and "
        "parameters as arrays, as value_and_grad returns them)"
    )


def _zeros_like(tree: T, who: str) -> T:
    return tree_map(lambda p: _frozen(np.zeros_like(_array(p, who))), tree)


@final
@attrs.frozen
class EmptyState:
    """The state of a transformation that keeps none."""


@final
@attrs.frozen
class SGD:
    """Stochastic gradient descent: `update = -learning_rate * g`.

    >>> opt = SGD(0.1)
    >>> step(opt, {"w": np.ones(2)}, opt.init({"w": np.ones(2)}), {"w": np.ones(2)})[0]
    {'w': array([0.9, 0.9])}
    """

    learning_rate: float = 0.01

    def init(self, params: T, /) -> EmptyState:
        return EmptyState()

    def update(self, grads: T, state: EmptyState, params: T, /) -> tuple[T, EmptyState]:
        lr = self.learning_rate
        return tree_map(lambda g: _frozen(-lr * _array(g, "SGD")), grads), state


@final
@attrs.frozen
class MomentumState:
    """`MomentumSGD`'s velocity, a tree like the parameters."""

    velocity: object


@final
@attrs.frozen
class MomentumSGD:
    """Gradient descent with momentum (DeZero's rule):
    `v = momentum * v - learning_rate * g`, `update = v` (v starts at zero)."""

    learning_rate: float = 0.01
    momentum: float = 0.9

    def init(self, params: T, /) -> MomentumState:
        return MomentumState(_zeros_like(params, "MomentumSGD"))

    def update(self, grads: T, state: MomentumState, params: T, /) -> tuple[T, MomentumState]:
        lr, momentum = self.learning_rate, self.momentum
        velocity = tree_map(
            lambda g, v: _frozen(momentum * v - lr * _array(g, "MomentumSGD")),
            grads,
            cast(T, state.velocity),  # init made it from a tree like grads
        )
        return velocity, MomentumState(velocity)


@final
@attrs.frozen
class AdaGradState:
    """`AdaGrad`'s running sum of squared gradients, a tree like the parameters."""

    sum_of_squares: object


@final
@attrs.frozen
class AdaGrad:
    """AdaGrad (Duchi et al. 2011, DeZero's form): `h = h + g * g`,
    `update = -learning_rate * g / (sqrt(h) + eps)` (h starts at zero)."""

    learning_rate: float = 0.001
    eps: float = 1e-8

    def init(self, params: T, /) -> AdaGradState:
        return AdaGradState(_zeros_like(params, "AdaGrad"))

    def update(self, grads: T, state: AdaGradState, params: T, /) -> tuple[T, AdaGradState]:
        lr, eps = self.learning_rate, self.eps
        h = tree_map(
            lambda g, h: _frozen(h + _array(g, "AdaGrad") ** 2),
            grads,
            cast(T, state.sum_of_squares),  # init made it from a tree like grads
        )
        updates = tree_map(lambda g, h: _frozen(-lr * g / (np.sqrt(h) + eps)), grads, h)
        return updates, AdaGradState(h)


@final
@attrs.frozen
class AdamState:
    """`Adam`'s step count (a 0-d int64 array, so the whole state is a tree) and first and
    second moment estimates (trees like the params)."""

    count: NDArray[np.int64]
    mu: object
    nu: object


@final
@attrs.frozen
class Adam:
    """Adam (Kingma and Ba 2015, Algorithm 1), with bias correction. At step t = 1, 2, ...:
    `m = beta1 * m + (1 - beta1) * g`, `v = beta2 * v + (1 - beta2) * g ** 2`,
    `update = -learning_rate * m_hat / (sqrt(v_hat) + eps)` with
    `m_hat = m / (1 - beta1 ** t)`, `v_hat = v / (1 - beta2 ** t)` (m and v start at zero)."""

    learning_rate: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def init(self, params: T, /) -> AdamState:
        count = _frozen(np.zeros((), np.int64))
        return AdamState(count, _zeros_like(params, "Adam"), _zeros_like(params, "Adam"))

    def update(self, grads: T, state: AdamState, params: T, /) -> tuple[T, AdamState]:
        lr, b1, b2, eps = self.learning_rate, self.beta1, self.beta2, self.eps
        t = int(state.count) + 1
        mu = tree_map(
            lambda g, m: _frozen(b1 * m + (1 - b1) * _array(g, "Adam")),
            grads,
            cast(T, state.mu),  # init made it from a tree like grads
        )
        nu = tree_map(
            lambda g, v: _frozen(b2 * v + (1 - b2) * g**2), grads, cast(T, state.nu)
        )
        correction1 = 1 - b1**t
        correction2 = 1 - b2**t
        updates = tree_map(
            lambda m, v: _frozen(-lr * (m / correction1) / (np.sqrt(v / correction2) + eps)),
            mu,
            nu,
        )
        return updates, AdamState(_frozen(np.asarray(t, np.int64)), mu, nu)


@final
@attrs.frozen
class WeightDecay:
    """L2 weight decay on the gradients: `g + rate * param` (DeZero's `WeightDecay` hook).

    Put it before the optimizer in a `chain`.
    """

    rate: float

    def init(self, params: T, /) -> EmptyState:
        return EmptyState()

    def update(self, grads: T, state: EmptyState, params: T, /) -> tuple[T, EmptyState]:
        rate = self.rate
        decayed = tree_map(
            lambda g, p: _frozen(_array(g, "WeightDecay") + rate * _array(p, "WeightDecay")),
            grads,
            params,
        )
        return decayed, state


@final
@attrs.frozen
class ClipByGlobalNorm:
    """Scale all gradients by `max_norm / norm` when their global norm
    `sqrt(sum of every g ** 2)` exceeds `max_norm` (else leave them as they are).

    Put it before the optimizer in a `chain`.
    """

    max_norm: float

    def init(self, params: T, /) -> EmptyState:
        return EmptyState()

    def update(self, grads: T, state: EmptyState, params: T, /) -> tuple[T, EmptyState]:
        leaves = [_array(g, "ClipByGlobalNorm") for g in tree_leaves(grads)]
        norm = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in leaves))
        if norm <= self.max_norm:
            return grads, state
        scale = self.max_norm / norm
        return tree_map(lambda g: _frozen(g * np.asarray(scale, g.dtype)), grads), state


@final
@attrs.frozen
class Chain:
    """Transformations applied one after the other (see `chain`); its state is theirs."""

    transforms: tuple[GradientTransformation[Any], ...]

    def init(self, params: T, /) -> tuple[object, ...]:
        return tuple(t.init(params) for t in self.transforms)

    def update(
        self, grads: T, state: tuple[object, ...], params: T, /
    ) -> tuple[T, tuple[object, ...]]:
        if len(state) != len(self.transforms):
            raise ValueError(
                f"chain: the state holds {len(state)} entries for {len(self.transforms)} "
                "transformations (was it made by this chain's init?)"
            )
        states = []
        for transform, s in zip(self.transforms, state):
            grads, s = transform.update(grads, s, params)
            states.append(s)
        return grads, tuple(states)


def chain(*transforms: GradientTransformation[Any]) -> Chain:
    """One transformation applying `transforms` in order (gradient editors first).

    >>> opt = chain(ClipByGlobalNorm(1.0), SGD(0.5))
    >>> params = {"w": np.zeros(2)}
    >>> step(opt, {"w": np.array([3.0, 4.0])}, opt.init(params), params)[0]
    {'w': array([-0.3, -0.4])}
    """
    return Chain(transforms)


def apply_updates(params: T, updates: T) -> T:
    """`params + updates`, leaf by leaf, as new read-only arrays (each keeps its param's dtype).

    Raises:
        ValueError: the trees differ in structure.
    """
    return tree_map(
        lambda p, u: _frozen((_array(p, "apply_updates") + u).astype(p.dtype, copy=False)),
        params,
        updates,
    )


def step(
    transform: GradientTransformation[S], grads: T, state: S, params: T
) -> tuple[T, S]:
    """One optimizer step: the new parameters and the new state.

    >>> opt = SGD(0.1)
    >>> params = np.ones(2)
    >>> params, state = step(opt, np.ones(2), opt.init(params), params)
    >>> params
    array([0.9, 0.9])
    """
    updates, state = transform.update(grads, state, params)
    return apply_updates(params, updates), state
