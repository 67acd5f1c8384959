"""Config, using_config and no_grad: explicit, scoped, thread-safe, restored on errors."""

from __future__ import annotations

import asyncio
import threading

import attrs
import numpy as np
import pytest

import puregrad as pg


def test_defaults_and_frozen() -> None:
    cfg = pg.Config()
    assert (cfg.enable_backprop, cfg.retain_grad, cfg.create_graph) == (True, False, False)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        cfg.retain_grad = True  # type: ignore[misc]  # the misuse under test
    with pytest.raises(TypeError):
        pg.Config(True)  # type: ignore[call-arg]  # keyword-only
    assert pg.get_config() == pg.Config()


def test_explicit_config_and_no_grad_record_nothing() -> None:
    x = pg.variable(np.ones(3))
    off = pg.Config(enable_backprop=False)
    for y in (pg.square(x, config=off), pg.add(x, x, config=off)):
        assert not y.requires_grad and y.inputs == () and y.origin is None
    with pg.no_grad():
        y = pg.exp(x) * 2
    assert not y.requires_grad and y.inputs == ()
    with pytest.raises(ValueError, match="no output requires grad"):
        pg.backward(y)
    # An explicit config wins over the scope.
    with pg.no_grad():
        assert pg.exp(x, config=pg.Config()).requires_grad


def test_using_config_is_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError):
        with pg.using_config(pg.Config(enable_backprop=False)):
            assert not pg.get_config().enable_backprop
            raise RuntimeError("boom")
    assert pg.get_config().enable_backprop
    with pg.using_config(pg.Config(retain_grad=True)):
        with pg.no_grad():
            assert pg.get_config() == pg.Config(enable_backprop=False, retain_grad=True)
        assert pg.get_config() == pg.Config(retain_grad=True)


def test_using_config_refuses_non_configs() -> None:
    with pytest.raises(TypeError, match="Config"):
        pg.using_config({"enable_backprop": False})  # type: ignore[arg-type]  # the misuse under test
    with pytest.raises(TypeError, match="config must be a puregrad Config"):
        pg.exp(pg.variable(1.0), config="off")  # type: ignore[call-overload]  # the misuse under test


def test_no_grad_in_one_thread_does_not_leak_into_another() -> None:
    inside = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def worker() -> None:
        with pg.no_grad():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    seen.append(pg.exp(pg.variable(1.0)).requires_grad)  # main thread, while the other is inside
    release.set()
    thread.join()
    assert seen == [True]


def test_no_grad_is_task_local_under_asyncio() -> None:
    async def scoped(flag: bool, started: asyncio.Event, go: asyncio.Event) -> bool:
        cfg = pg.Config(enable_backprop=flag)
        with pg.using_config(cfg):
            started.set()
            await go.wait()
            return pg.get_config().enable_backprop

    async def main() -> tuple[bool, bool]:
        s1, s2, go = asyncio.Event(), asyncio.Event(), asyncio.Event()
        t1 = asyncio.create_task(scoped(False, s1, go))
        t2 = asyncio.create_task(scoped(True, s2, go))
        await s1.wait()
        await s2.wait()
        go.set()
        return await t1, await t2

    assert asyncio.run(main()) == (False, True)
