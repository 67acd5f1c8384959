"""Graph pictures: DOT text for a graph, and rendering through Graphviz's `dot`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import puregrad as pg
from puregrad.op import Array, MultiOp, apply_multi


def statements(dot: str, kind: str) -> list[str]:
    """The statements declaring values (kind 'v'), ops ('op') or constant operands ('c')."""
    return [line for line in dot.splitlines() if re.match(rf"\s+{kind}\d+ \[", line)]


def test_values_are_labelled_with_name_shape_and_dtype_ops_by_name() -> None:
    x = pg.variable(np.ones((2, 3), np.float32), name="x")
    w = pg.constant(np.ones(3, np.float32), name="w")
    y = pg.sum(pg.exp(x) * w)
    dot = pg.to_dot(y)
    assert dot.startswith("digraph puregrad {") and dot.endswith("}\n")
    values = statements(dot, "v")
    assert len(values) == 5  # x, w, exp(x), the product, the sum
    assert any('label="x\\n(2, 3) float32"' in v and "#ffb84d" in v for v in values)
    assert any('label="w\\n(3,) float32"' in v and "#e8e8e8" in v for v in values)
    assert any('label="() float32"' in v and "#ffffff" in v for v in values)  # a result
    assert sorted(re.search(r'label="(\w+)"', op).group(1) for op in statements(dot, "op")) == [  # type: ignore[union-attr]  # every op line has a label
        "exp", "mul", "sum"
    ]
    assert dot.count("->") == 3 + 4  # each op -> its output; exp 1 input, mul 2, sum 1


def test_a_node_used_twice_is_drawn_once_with_two_edges() -> None:
    x = pg.variable(3.0, name="x")
    dot = pg.to_dot(x * x)
    assert len(statements(dot, "v")) == 2
    x_id = re.search(r"(v\d+) \[label=\"x", dot).group(1)  # type: ignore[union-attr]  # x is drawn
    assert dot.count(f"{x_id} -> op0;") == 2


def test_constant_operands_and_several_outputs() -> None:
    x = pg.variable(np.ones(2), name="x")
    y = pg.mul(x, 2.5) + np.zeros(2)
    dot = pg.to_dot([y, x])
    constants = statements(dot, "c")
    assert any('label="2.5"' in c for c in constants)
    assert any('label="(2,) float64"' in c for c in constants)
    assert len(statements(dot, "v")) == 3


class _Spread(MultiOp):
    """Two outputs, (2x, 3x)."""

    name = "spread"

    def forward(self, *xs: Any) -> tuple[Any, ...]:
        return xs[0] * 2.0, xs[0] * 3.0

    def vjp(self, i: int, gys: tuple[Array, ...], xs: tuple[Array, ...]) -> Array:
        return gys[0] * 2.0 + gys[1] * 3.0


def test_a_multi_output_op_is_drawn_once() -> None:
    x = pg.variable(np.ones(2), name="x")
    a, b = apply_multi(_Spread(), (x,), None)
    dot = pg.to_dot(a * b)
    spreads = [op for op in statements(dot, "op") if 'label="spread"' in op]
    assert len(spreads) == 1
    spread_id = spreads[0].split()[0]
    assert dot.count(f"{spread_id} -> ") == 2  # to each output
    x_id = re.search(r"(v\d+) \[label=\"x", dot).group(1)  # type: ignore[union-attr]  # x is drawn
    assert dot.count(f"{x_id} -> {spread_id};") == 1


def test_deterministic_and_deep_graphs_need_no_recursion() -> None:
    x = pg.variable(1.0)
    y = x
    for _ in range(20_000):
        y = y + 1.0
    dot = pg.to_dot(y)
    assert len(statements(dot, "op")) == 20_000
    assert pg.to_dot(y) == dot


def test_second_derivative_graph() -> None:
    x = pg.variable(2.0, name="x")
    y = x**3
    dy = pg.backward(y, pg.Config(create_graph=True))[x]
    assert float(dy.value) == 12.0
    first = pg.to_dot(y)
    second = pg.to_dot(dy)
    assert len(statements(second, "op")) > len(statements(first, "op"))
    assert 'label="x\\n() float64"' in second


def test_names_are_escaped_and_verbose_shows_small_values() -> None:
    x = pg.variable(np.array([1.0, 2.0]), name='say "hi"\\')
    dot = pg.to_dot(pg.exp(x), verbose=True)
    assert 'label="say \\"hi\\"\\\\\\n(2,) float64\\n[1., 2.]"' in dot


def test_bad_graphs() -> None:
    with pytest.raises(TypeError, match="to_dot: graph must be a Node or a non-empty sequence of Nodes, got list"):
        pg.to_dot([])
    with pytest.raises(TypeError, match="got ndarray"):
        pg.to_dot(np.ones(2))  # type: ignore[arg-type]  # the misuse under test


def test_render_names_the_missing_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH holding no `dot`
    x = pg.variable(1.0)
    with pytest.raises(FileNotFoundError, match="Graphviz program 'dot' was not found on PATH"):
        pg.render(pg.exp(x), tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


def test_render_needs_a_known_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot tell the image format of .*graph.gif"):
        pg.render("digraph {}", tmp_path / "graph.gif")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_writes_svg_and_png(tmp_path: Path) -> None:
    x = pg.variable(1.0, name="x")
    svg = pg.render(pg.exp(x) * x, tmp_path / "graph.svg")
    assert "<svg" in svg.read_text()
    png = pg.render(pg.to_dot(x * x), tmp_path / "out.img", format="png")
    assert png.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(RuntimeError, match="render: dot exited with status"):
        pg.render("digraph { this is not dot", tmp_path / "bad.svg")
