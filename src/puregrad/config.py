"""The flags that steer graph building and differentiation, and their one scoped default."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Final

import attrs

__all__ = ["Config", "get_config", "no_grad", "resolve_config", "using_config"]


@attrs.frozen(kw_only=True)
class Config:
    """The flags of graph building and of `backward`, passed explicitly.

    Attributes:
        enable_backprop: ops record their inputs, building the graph. With False every
            result is a constant leaf that keeps nothing alive (inference mode).
        retain_grad: `backward` returns the gradients of intermediate nodes too. With
            False each intermediate gradient is released once its consumers have run.
        create_graph: `backward` records the backward pass, so the gradients it returns
            can be differentiated again.

    >>> Config(retain_grad=True)
    Config(enable_backprop=True, retain_grad=True, create_graph=False)
    """

    enable_backprop: bool = True
    retain_grad: bool = False
    create_graph: bool = False


# The only module-level state: a context variable, so a scope set in one thread or task
# never leaks into another.
_ACTIVE: Final[ContextVar[Config]] = ContextVar("puregrad_config", default=Config())


def get_config() -> Config:
    """The config in force here: `Config()`, or the one set by the innermost `using_config`."""
    return _ACTIVE.get()


def resolve_config(config: Config | None) -> Config:
    """`config` itself, or the active default when it is None."""
    if config is None:
        return _ACTIVE.get()
    if type(config) is not Config:
        raise TypeError(f"config must be a puregrad Config or None, got {type(config).__name__}")
    return config


def using_config(config: Config) -> AbstractContextManager[Config]:
    """Make `config` the default for calls given `config=None` inside the block.

    The previous default is restored when the block ends, even when it raises.

    >>> import puregrad as pg
    >>> with pg.using_config(pg.Config(enable_backprop=False)):
    ...     pg.get_config().enable_backprop
    False
    """
    if type(config) is not Config:
        raise TypeError(f"using_config expects a puregrad Config, got {type(config).__name__}")
    return _scope(config)


@contextmanager
def _scope(config: Config) -> Iterator[Config]:
    token = _ACTIVE.set(config)
    try:
        yield config
    finally:
        _ACTIVE.reset(token)


def no_grad() -> AbstractContextManager[Config]:
    """Shorthand for `using_config` with the current config and `enable_backprop=False`.

    >>> import puregrad as pg
    >>> with pg.no_grad():
    ...     y = pg.square(pg.variable(3.0))
    >>> y.requires_grad
    False
    """
    return using_config(attrs.evolve(_ACTIVE.get(), enable_backprop=False))

