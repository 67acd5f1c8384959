"""Pictures of computation graphs: Graphviz DOT text, and rendering through `dot`.

`to_dot` walks the graph below some output nodes without recursion (a graph may be millions
of ops deep) and writes one DOT statement per value and per op application: values are
ellipses labelled with name, shape and dtype (variables orange, constants grey, results
white), ops are
boxes labelled with the op's name, and an op with several outputs (`split`) is drawn once.
Identifiers are given in visiting order, so the same graph always gives the same text.

`render` runs the Graphviz program `dot` on that text and, unlike DeZero's `plot_dot_graph`,
says so clearly when the program is missing or fails.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np

from puregrad.node import Node
from puregrad.op import Output

__all__ = ["render", "to_dot"]

Format = Literal["svg", "png", "pdf"]
_FORMATS: Final = ("svg", "png", "pdf")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _value_label(node: Node[Any], verbose: bool) -> str:
    parts = [] if node.name is None else [node.name]
    shape = "()" if node.shape == () else str(node.shape)
    parts.append(f"{shape} {node.dtype}")
    if verbose and node.size <= 4:
        parts.append(np.array2string(node.value, precision=4, separator=", "))
    return "\n".join(parts)


def _nodes_of(graph: object) -> tuple[Node[Any], ...]:
    if type(graph) is Node:
        return (graph,)
    if isinstance(graph, (list, tuple)) and graph and all(type(g) is Node for g in graph):
        return tuple(graph)
    raise TypeError(
        f"to_dot: graph must be a Node or a non-empty sequence of Nodes, got "
        f"{type(graph).__name__}"
    )


def to_dot(graph: Node[Any] | Sequence[Node[Any]], *, verbose: bool = False) -> str:
    """Graphviz DOT text for the graph below `graph` (an output node, or several).

    Args:
        graph: the output node(s); everything they were computed from is drawn.
        verbose: also print the values of small nodes (at most 4 elements).

    Raises:
        TypeError: `graph` is not a node or a non-empty sequence of nodes.

    >>> import puregrad as pg
    >>> x = pg.variable(2.0, name="x")
    >>> print(to_dot(pg.exp(x)), end="")
    digraph puregrad {
      node [fontname="Helvetica"];
      v0 [label="() float64", shape=ellipse, style=filled, fillcolor="#ffffff"];
      op0 [label="exp", shape=box, style=filled, fillcolor="#bfd8ff"];
      op0 -> v0;
      v1 [label="x\\n() float64", shape=ellipse, style=filled, fillcolor="#ffb84d"];
      v1 -> op0;
    }
    """
    outputs = _nodes_of(graph)
    lines = ["digraph puregrad {", '  node [fontname="Helvetica"];']
    values: dict[int, str] = {}  # id(node) -> its identifier (nodes are alive throughout)
    ops: dict[int, str] = {}  # id(the node or Call of an application) -> its identifier
    kept: list[object] = []  # holds what is keyed by id, so no id is reused meanwhile
    constants = 0

    def value_id(node: Node[Any]) -> tuple[str, bool]:
        key = id(node)
        if key in values:
            return values[key], False
        name = values[key] = f"v{len(values)}"
        kept.append(node)
        if node.origin is not None:
            color = "#ffffff"  # an op's result
        elif node.requires_grad:
            color = "#ffb84d"  # a variable
        else:
            color = "#e8e8e8"  # a constant
        lines.append(
            f"  {name} [label={_quote(_value_label(node, verbose))}, shape=ellipse, "
            f'style=filled, fillcolor="{color}"];'
        )
        return name, True

    stack: list[Node[Any]] = []
    for o in outputs:
        _, new = value_id(o)
        if new:
            stack.append(o)
    while stack:
        node = stack.pop()
        origin = node.origin
        if origin is None:
            continue
        application: object = origin.call if type(origin) is Output else node
        key = id(application)
        if key in ops:  # another output of the same multi-output application
            lines.append(f"  {ops[key]} -> {values[id(node)]};")
            continue
        op_name = ops[key] = f"op{len(ops)}"
        kept.append(application)
        label = origin.call.op.name if type(origin) is Output else origin.name
        lines.append(
            f'  {op_name} [label={_quote(label)}, shape=box, style=filled, fillcolor="#bfd8ff"];'
        )
        lines.append(f"  {op_name} -> {values[id(node)]};")
        for x in node.inputs:
            if type(x) is Node:
                name, new = value_id(x)
                if new:
                    stack.append(x)
            else:  # a constant operand kept as given: a scalar or a read-only array
                name = f"c{constants}"
                constants += 1
                if isinstance(x, np.ndarray):
                    label = f"{'()' if x.shape == () else x.shape} {x.dtype}"
                else:
                    label = repr(x)
                lines.append(
                    f"  {name} [label={_quote(label)}, shape=plaintext];"
                )
            lines.append(f"  {name} -> {op_name};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(
    graph: str | Node[Any] | Sequence[Node[Any]],
    path: str | Path,
    format: Format | None = None,
) -> Path:
    """Draw a graph (DOT text, or node(s) given to `to_dot`) into an image file with the
    Graphviz program `dot`.

    Args:
        graph: DOT text, or the output node(s) of a graph.
        path: the file to write.
        format: "svg", "png" or "pdf"; by default taken from the file's suffix.

    Returns:
        The path written.

    Raises:
        FileNotFoundError: the program `dot` is not installed (not on PATH).
        ValueError: the format is not given and the suffix is not one of them.
        RuntimeError: `dot` failed (its error output is included).
    """
    target = Path(path)
    chosen = format if format is not None else target.suffix.lstrip(".").lower()
    if chosen not in _FORMATS:
        raise ValueError(
            f"render: cannot tell the image format of {str(target)!r}; give format= one of "
            f"{', '.join(_FORMATS)}"
        )
    text = graph if isinstance(graph, str) else to_dot(graph)
    program = shutil.which("dot")
    if program is None:
        raise FileNotFoundError(
            "render: the Graphviz program 'dot' was not found on PATH; install Graphviz "
            "(apt-get install graphviz, brew install graphviz) or use the text of to_dot"
        )
    result = subprocess.run(
        [program, f"-T{chosen}", "-o", str(target)],
        input=text.encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"render: dot exited with status {result.returncode}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    return target
