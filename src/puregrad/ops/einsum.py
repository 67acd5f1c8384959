"""einsum: every subscript form numpy accepts (explicit and implicit output, repeated
indices, sums over an index of one operand, `...`, and the interleaved sublist form).

The subscripts are first made explicit (each `...` becomes letters of its own), and the op
is one `numpy.einsum`. The gradient for an operand is another einsum: of the output's
gradient with every other operand, written to that operand's indices. Two cases need more
than that: an index repeated in the operand (a diagonal, `ii`) is written to a fresh letter
and tied to the first by an identity matrix, and an index that only that operand has (summed
away) is carried by a vector of ones, so the gradient broadcasts along it.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from types import EllipsisType
from typing import Any, Final, Literal, TypeAlias, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.config import Config
from puregrad.node import D, Node, shape_of
from puregrad.op import Array, Op, apply

__all__ = ["Einsum", "einsum", "parse_subscripts"]

LETTERS: Final = string.ascii_letters
"""The index letters numpy takes (`a-z`, then `A-Z` for the sublist form's 26..51)."""

Optimize: TypeAlias = bool | Literal["greedy", "optimal"]
Sublist: TypeAlias = Sequence[int | EllipsisType]


def parse_subscripts(
    subscripts: str, shapes: Sequence[tuple[int, ...]]
) -> tuple[tuple[str, ...], str]:
    """The subscripts made explicit: one string of letters per operand and one for the
    output, with every `...` replaced by letters no other index uses (right-aligned, so
    they broadcast as numpy broadcasts the ellipsis dimensions).

    Raises:
        ValueError: a malformed subscript, a count of operands or dimensions that does not
            match, or an output index that no operand has.

    >>> parse_subscripts("ij,jk", [(2, 3), (3, 4)])
    (('ij', 'jk'), 'ik')
    >>> parse_subscripts("...i,i->...", [(5, 2, 3), (3,)])
    (('abi', 'i'), 'ab')
    """
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"einsum: more than one '->' in {subscripts!r}")
    lhs, arrow, out = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: {subscripts!r} names {len(terms)} operands, but {len(shapes)} were given"
        )
    for term in terms + ([out] if arrow else []):
        rest = term.replace("...", "", 1)
        if "." in rest or any(c not in LETTERS for c in rest):
            raise ValueError(f"einsum: invalid subscript {term!r} in {subscripts!r}")
    used = set(text) & set(LETTERS)
    free = [c for c in LETTERS if c not in used]
    ellipsis_ndim = 0
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            if named > len(shape):
                raise ValueError(f"einsum: {term!r} names more axes than shape {shape} has")
            ellipsis_ndim = max(ellipsis_ndim, len(shape) - named)
        elif named != len(shape):
            raise ValueError(
                f"einsum: {term!r} names {named} axes, but its operand has shape {shape}"
            )
    if ellipsis_ndim > len(free):
        raise ValueError("einsum: too many dimensions for the letters left to name them")
    ellipsis = "".join(free[:ellipsis_ndim])
    # An operand's `...` covers its own trailing share of the ellipsis dimensions.
    inputs = tuple(
        term.replace("...", ellipsis[ellipsis_ndim - (len(shape) - len(term) + 3):])
        if "..." in term
        else term
        for term, shape in zip(terms, shapes)
    )
    if arrow:
        if "..." not in out and ellipsis_ndim and any("..." in t for t in terms):
            raise ValueError(
                f"einsum: {subscripts!r} has '...' in its operands but not in its output"
            )
        output = out.replace("...", ellipsis)
        if len(set(output)) != len(output):
            raise ValueError(f"einsum: output subscript {out!r} repeats an index")
        missing = set(output) - set("".join(inputs))
        if missing:
            raise ValueError(
                f"einsum: output index {sorted(missing)[0]!r} of {subscripts!r} is in no operand"
            )
    else:
        labels = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(labels) if labels.count(c) == 1))
    return inputs, output


def _from_sublists(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """The interleaved form `(op0, sublist0, op1, sublist1, ..., [output])` as subscripts."""

    def letters(sublist: object) -> str:
        if not isinstance(sublist, (list, tuple)):
            raise TypeError(f"einsum: a sublist must be a list of ints, got {type(sublist).__name__}")
        parts: list[str] = []
        for item in sublist:
            if item is Ellipsis:
                parts.append("...")
            elif isinstance(item, (int, np.integer)) and not isinstance(item, bool) and 0 <= item < len(LETTERS):
                parts.append(LETTERS[int(item)])
            else:
                raise ValueError(f"einsum: a sublist takes ints in [0, 52) and ..., got {item!r}")
        return "".join(parts)

    operands = list(args[0::2][: len(args) // 2])
    terms = [letters(s) for s in args[1::2][: len(args) // 2]]
    text = ",".join(terms)
    if len(args) % 2:
        text += "->" + letters(args[-1])
    return text, operands


def _size(letter: str, inputs: Sequence[str], xs: Sequence[Any]) -> int:
    """The size of an index: the largest among the operands that have it (size 1 broadcasts)."""
    return max(
        shape_of(x)[k] for term, x in zip(inputs, xs) for k, c in enumerate(term) if c == letter
    )


@attrs.frozen
class Einsum(Op):
    """`numpy.einsum` with explicit subscripts (see `parse_subscripts`)."""

    name = "einsum"
    inputs: tuple[str, ...]
    output: str
    optimize: Optimize = False

    def forward(self, *xs: Any) -> Any:
        return np.einsum(f"{','.join(self.inputs)}->{self.output}", *xs, optimize=self.optimize)

    def failure(self, values: list[Any]) -> str | None:
        shapes = ", ".join(str(np.shape(v)) for v in values)
        return f"einsum: the sizes of {','.join(self.inputs)}->{self.output} do not match shapes {shapes}"

    def vjp(self, i: int, gy: Array, xs: tuple[Array, ...], y: Array) -> Array:
        target = self.inputs[i]
        dtype = np.result_type(gy.dtype if hasattr(gy, "dtype") else gy)
        used = set("".join(self.inputs) + self.output)
        fresh = (c for c in LETTERS if c not in used)
        letters: list[str] = []
        extra_terms: list[str] = []
        extra: list[NDArray[Any]] = []
        for c in target:
            if c in letters:  # a diagonal: a fresh index tied to the first by the identity
                d = next(fresh, None)
                if d is None:
                    raise ValueError("einsum: no letters left for the gradient of a diagonal")
                eye = np.eye(_size(c, self.inputs, xs), dtype=dtype)
                eye.setflags(write=False)
                letters.append(d)
                extra_terms.append(c + d)
                extra.append(eye)
            else:
                letters.append(c)
        terms = [self.output] + [t for k, t in enumerate(self.inputs) if k != i]
        operands = [gy] + [x for k, x in enumerate(xs) if k != i]
        seen = set("".join(terms + extra_terms))
        for c in dict.fromkeys(letters):
            if c not in seen:  # summed over in this operand alone: the gradient broadcasts
                ones = np.ones(_size(c, self.inputs, xs), dtype=dtype)
                ones.setflags(write=False)
                extra_terms.append(c)
                extra.append(ones)
        return Einsum(tuple(terms + extra_terms), "".join(letters), self.optimize)(*operands, *extra)


@overload
def einsum(
    subscripts: str, /, *operands: Node[D] | NDArray[D], optimize: Optimize = False, config: Config | None = None
) -> Node[D]: ...
@overload
def einsum(
    operand: Node[D] | NDArray[D],
    sublist: Sublist,
    /,
    *rest: Node[D] | NDArray[D] | Sublist,
    optimize: Optimize = False,
    config: Config | None = None,
) -> Node[D]: ...
def einsum(*args: Any, optimize: Optimize = False, config: Config | None = None) -> Node[Any]:
    """The Einstein summation of the operands, as `numpy.einsum`.

    `einsum("ij,jk->ik", a, b)` is the matrix product; without `->` the output has the
    indices that occur once, in alphabetical order; a repeated index in one operand takes a
    diagonal (`"ii"` is the trace); `...` stands for broadcast dimensions. numpy's
    interleaved form `einsum(a, [0, 1], b, [1, 2], [0, 2])` works too. `optimize` is passed
    to numpy (for the forward and for each gradient).

    Raises:
        ValueError: malformed subscripts, or sizes that do not match, naming the shapes.
        TypeError: an operand that is not a node, an array or a scalar.

    >>> import puregrad as pg
    >>> A = pg.variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> einsum("ii", A).value
    array(5.)
    >>> pg.backward(einsum("ii", A))[A].value
    array([[1., 0.],
           [0., 1.]])
    """
    if not args:
        raise TypeError("einsum: needs subscripts and operands")
    if isinstance(args[0], str):
        subscripts, operands = args[0], list(args[1:])
    else:
        subscripts, operands = _from_sublists(args)
    for x in operands:
        if not (type(x) is Node or isinstance(x, (np.ndarray, int, float, np.generic))) or isinstance(x, bool):
            raise TypeError(f"einsum: expected nodes, numpy.ndarrays or scalars, got {type(x).__name__}")
    operands = [np.asarray(x) if not (type(x) is Node or isinstance(x, np.ndarray)) else x for x in operands]
    inputs, output = parse_subscripts(subscripts, [shape_of(x) for x in operands])
    return apply(Einsum(inputs, output, optimize), tuple(operands), config)
