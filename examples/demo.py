"""The worked example `make demo` runs (filled in as the project grows)."""

from __future__ import annotations

import numpy as np

import puregrad as pg


def main() -> None:
    x = pg.variable(np.array([1.0, 2.0]), name="x")
    y = pg.sum(pg.exp(x) * x)
    print("y =", y)
    print("dy/dx =", pg.backward(y)[x])


if __name__ == "__main__":
    main()
