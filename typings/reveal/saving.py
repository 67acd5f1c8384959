"""assert_type for pg.save and pg.load: load gives back the type of `like`."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, assert_type

import numpy as np
from numpy.typing import NDArray

import puregrad as pg

rng = np.random.default_rng(0)
params = pg.MLP((2, 3)).init(rng)
params32 = pg.Linear(2, 3).init(rng, np.float32)
optimizer = pg.chain(pg.ClipByGlobalNorm(1.0), pg.Adam())
a: NDArray[np.float64] = np.ones(3)


class Checkpoint(NamedTuple):
    params: pg.MLPParams[np.float64]
    opt: pg.AdamState
    rng: np.random.Generator


assert_type(pg.save("model.safetensors", params), None)
assert_type(pg.save(Path("model.safetensors"), (params, rng)), None)
assert_type(pg.load("model.safetensors", params), tuple[pg.LinearParams[np.float64], ...])
assert_type(pg.load("model.safetensors", params32), pg.LinearParams[np.float32])
assert_type(pg.load(Path("m"), pg.Adam().init(params)), pg.AdamState)
assert_type(pg.load("m", optimizer.init(params)), tuple[object, ...])
assert_type(pg.load("m", {"w": a}), dict[str, NDArray[np.float64]])
assert_type(pg.load("m", [a, a]), list[NDArray[np.float64]])
assert_type(pg.load("m", a), NDArray[np.float64])
assert_type(pg.load("m", pg.variable(a)), pg.Node[np.float64])
assert_type(pg.load("m", rng), np.random.Generator)
assert_type(pg.load("m", Checkpoint(params, pg.Adam().init(params), rng)), Checkpoint)
assert_type(pg.load("m", Checkpoint(params, pg.Adam().init(params), rng)).opt.count, NDArray[np.int64])
