"""Misuses of pg.save and pg.load that mypy --strict must reject."""

from __future__ import annotations

import numpy as np

import puregrad as pg

params = pg.MLP((2, 3)).init(np.random.default_rng(0))
state = pg.Adam().init(params)

pg.save(3, params)  # type: ignore[arg-type]
pg.save(b"model.safetensors", params)  # type: ignore[arg-type]
pg.save(params, "model.safetensors")  # type: ignore[arg-type]
pg.save("model.safetensors")  # type: ignore[call-arg]
pg.load("model.safetensors")  # type: ignore[call-arg]
pg.load(None, params)  # type: ignore[arg-type]
result = pg.save("model.safetensors", params)  # type: ignore[func-returns-value]
wrong: pg.AdamState = pg.load("model.safetensors", params)  # type: ignore[assignment]
pg.load("model.safetensors", params).W  # type: ignore[attr-defined]
pg.load("model.safetensors", state).velocity  # type: ignore[attr-defined]
pg.load("model.safetensors", {"w": np.ones(2)})["w"].value  # type: ignore[attr-defined]
pg.load("model.safetensors", like=params, strict=True)  # type: ignore[call-arg]
