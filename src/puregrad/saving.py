"""Checkpoints: a tree of arrays to one safetensors file and back, crash-safe and validated.

Format. A safetensors file (what PyTorch, JAX, Hugging Face and `safetensors.numpy.load_file`
read): 8 bytes giving the header's length, a JSON header naming each tensor's dtype, shape
and byte range, then the raw little-endian bytes. Nothing in it is executed when it is read
(unlike pickle). Each leaf is one tensor, keyed by its path in the tree (`"1.W"`,
`"params.layers.0.b"`: dict keys, sequence indexes and attrs field names joined by dots; a
bare array's key is `""`). The header's `__metadata__` holds `"format": "puregrad"`, a
`"version"` and the tree's `"structure"` as JSON (containers, dict keys, attrs field names;
class names for the reader's information only: they are never imported).

A numpy `Generator` may sit anywhere in the tree (say, the one that orders the data): it is
saved as its bit generator's name and state in the structure (no tensor), and loaded as a new
Generator in that state, so a resumed run draws exactly the numbers the first run would have.

Writing goes to a temporary file beside the target, is flushed and fsynced, then renamed over
the target (`os.replace`, atomic on POSIX and Windows) and the directory is fsynced: a process
killed at any moment leaves either the previous file or the new one, whole. A temporary file
of a killed save may remain (`.NAME.*.tmp` beside the target); it is never read.

`load` validates the whole header (every offset, shape and dtype; the data must fill the file
exactly), so an empty, truncated or foreign file is a `ValueError`. The format carries no
checksum: a flipped bit inside the data itself changes a value unnoticed.

The file is written directly (header, then each array's own buffer, with no copy of a
contiguous array) rather than through `safetensors.numpy.save_file`: one pass over our own
file descriptor, which is then fsynced before the rename (the library writes to a path).
Reading goes straight into one new array per leaf (raw reads, no intermediate buffer). On a 200 MB tree
(`benchmarks/saving.py`) saving ties with `save_file` followed by an fsync (both bound by the
disk) and loading is 2-4x faster than `safetensors.numpy.load_file`.
"""

from __future__ import annotations

import io
import json
import math
import os
import secrets
import struct
import sys
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeAlias, TypeVar, cast

import attrs
import numpy as np
from numpy.typing import NDArray

from puregrad.node import Node, constant, variable
from puregrad.tree import (
    _AttrsDef,
    _build,
    _Def,
    _DictDef,
    _flatten,
    _LeafDef,
    _NoneDef,
    _Path,
    _SequenceDef,
    _Walk,
)

__all__ = ["load", "save"]

T = TypeVar("T")

PathLike = str | os.PathLike[str]

_FORMAT: Final = "puregrad"
_VERSION: Final = "1"
_MAX_HEADER: Final = 100_000_000  # the safetensors library's own bound
_ALIGN: Final = 8
_CHUNK: Final = 1 << 23  # bytes per write

# numpy dtype -> safetensors code: exactly those `safetensors.numpy.load_file` reads back.
_CODES: Final[dict[np.dtype[Any], str]] = {
    np.dtype(np.float64): "F64",
    np.dtype(np.float32): "F32",
    np.dtype(np.float16): "F16",
    np.dtype(np.int64): "I64",
    np.dtype(np.int32): "I32",
    np.dtype(np.int16): "I16",
    np.dtype(np.int8): "I8",
    np.dtype(np.uint64): "U64",
    np.dtype(np.uint32): "U32",
    np.dtype(np.uint16): "U16",
    np.dtype(np.uint8): "U8",
    np.dtype(np.bool_): "BOOL",
    np.dtype(np.complex64): "C64",
}
_DTYPES: Final = {code: dtype.newbyteorder("<") for dtype, code in _CODES.items()}

# Bit generators a file may name; looked up in this table, never by attribute name.
_BIT_GENERATORS: Final[dict[str, Callable[[], np.random.BitGenerator]]] = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}


# A tree's leaves with their keys, and its structure as JSON -------------------------------
#
# The tree is walked by tree.py's `_flatten` (the rules every tree function follows), with a
# hook that turns each array or Node into an `_Array` keyed by its path and each Generator
# into a `_Generator`; the structure it returns is then written out as JSON.


def _key(path: _Path) -> str:
    """A leaf's tensor name: the steps of its path joined by dots (`"params.0.W"`)."""
    return ".".join(
        step if isinstance(step, str) else str(step) if isinstance(step, int) else step.name
        for step in path
    )


def _where(path: _Path) -> str:
    return repr(_key(path)) if path else "the root"


def _class_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _encode_state(value: object) -> object:
    """A bit generator's state (ints, strs, dicts and small uint arrays) as JSON values."""
    if isinstance(value, dict):
        return {str(k): _encode_state(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"dtype": value.dtype.name, "data": value.tolist()}
    if isinstance(value, np.integer):
        return int(value)
    return value


def _decode_state(value: object) -> object:
    if isinstance(value, dict):
        if set(value) == {"dtype", "data"} and value["dtype"] in ("uint32", "uint64"):
            return np.array(value["data"], dtype=value["dtype"])
        return {k: _decode_state(v) for k, v in value.items()}
    return value


@attrs.frozen
class _Array:
    """An array leaf (an ndarray or a Node) of the tree saved, or of `like`."""

    key: str  # its tensor's name: its path
    found: NDArray[Any] | Node[Any]  # the leaf as the tree holds it
    value: NDArray[Any] | None  # saving: the bytes to write; None when walking `like`
    shape: tuple[int, ...]
    dtype: np.dtype[Any]


@attrs.frozen
class _Generator:
    """A numpy Generator in the tree: saved as its bit generator's name and state."""

    path: _Path
    bit_generator: str
    state: object  # saving: the state as JSON values; None when walking `like`


_Found: TypeAlias = _Array | _Generator


def _walk(saving: bool) -> _Walk:
    """How `save` (or `load`, for `like`) walks a tree. With `saving`, each leaf's array is
    kept (made C-contiguous and little-endian) and its dtype must be one safetensors holds;
    else only shapes and dtypes are noted."""
    who = "save" if saving else "load"

    def keep(leaf: object, path: _Path) -> _Found:
        if isinstance(leaf, np.random.Generator):
            bit_generator = leaf.bit_generator
            name = type(bit_generator).__name__
            if name not in _BIT_GENERATORS:
                raise TypeError(
                    f"{who}: the Generator at {_where(path)} runs on {name}; a checkpoint "
                    f"holds one of {', '.join(_BIT_GENERATORS)}"
                )
            return _Generator(path, name, _encode_state(bit_generator.state) if saving else None)
        assert type(leaf) is Node or isinstance(leaf, np.ndarray)
        array = leaf.value if type(leaf) is Node else leaf
        assert isinstance(array, np.ndarray)
        if not saving:
            return _Array(_key(path), leaf, None, array.shape, array.dtype)
        code = _CODES.get(array.dtype.newbyteorder("="))
        if code is None:
            raise TypeError(
                f"save: the leaf at {_where(path)} has dtype {array.dtype}, which a "
                f"safetensors file cannot hold (it holds {', '.join(d.name for d in _CODES)})"
            )
        array = array.astype(_DTYPES[code], order="C", copy=False)  # 0-d stays 0-d
        return _Array(_key(path), leaf, array, array.shape, array.dtype)

    return _Walk(
        who,
        where=_where,
        keep=keep,
        more_leaves=(np.random.Generator,),
        holds="ndarrays, Nodes and numpy Generators in dicts, tuples, lists and attrs "
        "instances (and None)",
        rebuilt="from a checkpoint",
    )


_SAVING: Final = _walk(saving=True)
_LOADING: Final = _walk(saving=False)


def _as_json(definition: _Def, leaves: Iterator[_Found]) -> object:
    """The structure `definition` (whose leaves are `leaves`, in order) as JSON values:
    "array", a Generator's description, null, or a container's kind, children, dict keys
    and attrs field names (and classes, for the reader's information)."""
    if type(definition) is _LeafDef:
        leaf = next(leaves)
        if isinstance(leaf, _Array):
            return "array"
        described: dict[str, object] = {"kind": "generator", "bit_generator": leaf.bit_generator}
        if leaf.state is not None:
            described["state"] = leaf.state
        return described
    if type(definition) is _NoneDef:
        return None
    if type(definition) is _DictDef:
        return {
            "kind": "dict",
            "keys": list(definition.keys),
            "children": [_as_json(c, leaves) for c in definition.children],
        }
    if type(definition) is _SequenceDef:
        container = definition.kind
        described = {
            "kind": "list" if issubclass(container, list) else "tuple",
            "children": [_as_json(c, leaves) for c in definition.children],
        }
        if container is not list and container is not tuple:
            described["class"] = _class_name(container)
        return described
    assert type(definition) is _AttrsDef
    return {
        "kind": "attrs",
        "class": _class_name(definition.kind),
        "fields": [field.name for field in attrs.fields(definition.kind)],
        "children": [_as_json(c, leaves) for c in definition.children],
    }


def _flatten_checkpoint(tree: object, walk: _Walk) -> tuple[list[_Found], _Def, object]:
    """The leaves of `tree` in its order, its structure, and that structure as JSON."""
    found: list[_Found] = []
    definition = _flatten(tree, found, (), walk)
    return found, definition, _as_json(definition, iter(found))


# Writing ---------------------------------------------------------------------------------


def _check_keys(leaves: list[_Array], who: str) -> None:
    """Every leaf's key (its path) is distinct, and not the name safetensors reserves."""
    seen: dict[str, int] = {}
    for i, leaf in enumerate(leaves):
        if leaf.key == "__metadata__" or leaf.key in seen:
            other = "a name safetensors reserves" if leaf.key == "__metadata__" else (
                f"leaf {seen[leaf.key]}'s key too"
            )
            raise ValueError(
                f"{who}: leaf {i} has the key {leaf.key!r}, which is {other}; rename the "
                "dict key (keys are paths joined by '.')"
            )
        seen[leaf.key] = i


def _header(leaves: list[_Array], structure: object) -> tuple[bytes, list[_Array]]:
    """The header (length prefix included, padded so the data starts 8-byte aligned) and
    the leaves in file order: larger items first, so every tensor stays aligned (the format
    allows no gaps between tensors)."""
    _check_keys(leaves, "save")
    ordered = sorted(leaves, key=lambda leaf: -leaf.dtype.itemsize)
    metadata = {
        "format": _FORMAT,
        "version": _VERSION,
        "structure": json.dumps(structure, separators=(",", ":")),
    }
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for leaf in ordered:
        assert leaf.value is not None
        end = offset + leaf.value.nbytes
        header[leaf.key] = {
            "dtype": _CODES[leaf.dtype.newbyteorder("=")],
            "shape": list(leaf.shape),
            "data_offsets": [offset, end],
        }
        offset = end
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % _ALIGN)
    return struct.pack("<Q", len(text)) + text, ordered


def _write_all(fd: int, data: memoryview) -> None:
    # In pieces of 8 MiB: one write() of a whole large array measured 2x slower and far more
    # variable (on Linux, into a new file), and the pieces cost no copy.
    for start in range(0, len(data), _CHUNK):
        piece = data[start : start + _CHUNK]
        while piece:
            piece = piece[os.write(fd, piece) :]


def _fsync_directory(directory: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows: a directory cannot be opened to sync
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(path: PathLike, tree: object) -> None:
    """Write every leaf of `tree` to the safetensors file `path`, atomically.

    `tree` is anything the tree functions take (parameters, optimizer state, statistics:
    ndarrays and Nodes, the latter saved as their values, in dicts, tuples, named tuples,
    lists and attrs instances), and may also hold numpy `Generator`s (saved as their state).
    The file replaces `path` only once it is complete and on disk: a crash or kill at any
    moment leaves the previous file whole.

    Raises:
        TypeError: the tree holds something else (a float, a string, an object array, a
            dtype safetensors has no code for such as complex128), naming its path.
        ValueError: two leaves get the same key (a dict key holding a '.').
        OSError: the file cannot be written (the previous one is then left as it was).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.safetensors")
    ...     save(path, {"W": np.ones((2, 3)), "b": np.zeros(3)})
    ...     loaded = load(path, {"W": np.empty((2, 3)), "b": np.empty(3)})
    >>> loaded["W"]
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """
    target = os.path.abspath(os.fspath(path))
    found, _, structure = _flatten_checkpoint(tree, _SAVING)
    header, ordered = _header([leaf for leaf in found if isinstance(leaf, _Array)], structure)
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
    try:
        try:
            _write_all(fd, memoryview(header))
            for leaf in ordered:
                assert leaf.value is not None
                if leaf.value.size:
                    _write_all(fd, leaf.value.reshape(-1).view(np.uint8).data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


# Reading ---------------------------------------------------------------------------------


class _Invalid(Exception):
    """The file is not a valid safetensors file (the reason)."""


@attrs.frozen
class _Tensor:
    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    begin: int
    end: int


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _Invalid(f"its header names {key!r} twice")
        result[key] = value
    return result


def _read_exactly(file: io.FileIO, buffer: memoryview, offset: int) -> None:
    """Fill `buffer` from `file` at `offset` (raw reads: no copy through a buffer)."""
    file.seek(offset)
    while buffer:
        done = file.readinto(buffer)
        if not done:
            raise _Invalid("it ended before the bytes its header describes (was it changed meanwhile?)")
        buffer = buffer[done:]


def _read_header(file: io.FileIO) -> tuple[dict[str, _Tensor], dict[str, str], int]:
    """The tensors and metadata of `file`, and where its data starts.

    Raises `_Invalid` for anything that is not a complete, consistent safetensors file.
    """
    size = os.fstat(file.fileno()).st_size
    if size < 8:
        raise _Invalid(f"it holds {size} bytes, fewer than a safetensors header's 8")
    prefix = bytearray(8)
    _read_exactly(file, memoryview(prefix), 0)
    (length,) = struct.unpack("<Q", prefix)
    if length > _MAX_HEADER or 8 + length > size:
        raise _Invalid(
            f"its first 8 bytes give a header of {length} bytes, and the file holds {size}"
        )
    raw = bytearray(length)
    _read_exactly(file, memoryview(raw), 8)
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise _Invalid(f"its header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise _Invalid("its header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(v, str) for v in metadata.values()
    ):
        raise _Invalid("its __metadata__ is not an object of strings")
    tensors: dict[str, _Tensor] = {}
    for key, entry in header.items():
        if not isinstance(entry, dict):
            raise _Invalid(f"tensor {key!r} is not described by an object")
        code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if not isinstance(code, str) or code not in _DTYPES:
            raise _Invalid(f"tensor {key!r} has the dtype {code!r}, which numpy cannot read")
        if not isinstance(shape, list) or not all(
            type(n) is int and n >= 0 for n in shape
        ):
            raise _Invalid(f"tensor {key!r} has the shape {shape!r}")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(type(n) is int for n in offsets)
            and 0 <= offsets[0] <= offsets[1]
        ):
            raise _Invalid(f"tensor {key!r} has the data offsets {offsets!r}")
        dtype = _DTYPES[code]
        if offsets[1] - offsets[0] != math.prod(shape) * dtype.itemsize:
            raise _Invalid(
                f"tensor {key!r} of shape {tuple(shape)} and dtype {code} spans "
                f"{offsets[1] - offsets[0]} bytes"
            )
        tensors[key] = _Tensor(dtype, tuple(shape), offsets[0], offsets[1])
    start = 8 + length
    position = 0
    for key, tensor in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if tensor.begin != position:
            raise _Invalid(f"tensor {key!r} starts at byte {tensor.begin}, not {position}")
        position = tensor.end
    if start + position != size:
        missing = start + position - size
        raise _Invalid(
            f"it is truncated: its header describes {position} bytes of data, "
            f"{missing} more than it holds"
            if missing > 0
            else f"it holds {-missing} bytes past the data its header describes"
        )
    return tensors, metadata, start


class _Mismatch(Exception):
    """`like` and the file differ (the first difference)."""


def _show(value: object) -> str:
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind == "attrs":
            return f"an attrs {str(value.get('class', '?')).rsplit('.', 1)[-1]}"
        if kind == "generator":
            return f"a {value.get('bit_generator')} Generator"
        if kind == "tuple" and "class" in value:
            return f"a named tuple {str(value['class']).rsplit('.', 1)[-1]}"
        return f"a {kind}"
    if value == "array":
        return "an array"
    return "None" if value is None else repr(value)


def _compare(mine: object, theirs: object, path: tuple[str, ...], generators: list[object]) -> None:
    """Raise `_Mismatch` at the first place where the structure of `like` (mine) and the
    file's (theirs, any JSON) differ. Classes are matched by their fields, not their names,
    so a class that moved module still loads. Appends the file's description of each
    Generator to `generators`, in the order of `like`'s leaves."""

    def differ(what: str) -> _Mismatch:
        return _Mismatch(f"at {_where(path)}: {what}")

    if not isinstance(mine, dict):
        if mine != theirs:
            raise differ(f"`like` has {_show(mine)}, the file {_show(theirs)}")
        return
    if not isinstance(theirs, dict) or theirs.get("kind") != mine["kind"]:
        raise differ(f"`like` has {_show(mine)}, the file {_show(theirs)}")
    kind = mine["kind"]
    if kind == "generator":
        if theirs.get("bit_generator") != mine["bit_generator"]:
            raise differ(f"`like` has {_show(mine)}, the file {_show(theirs)}")
        generators.append(theirs)
        return
    children = theirs.get("children")
    if not isinstance(children, list):
        raise differ("the file's structure is malformed")
    names: list[str]
    if kind == "dict":
        keys = theirs.get("keys")
        if not isinstance(keys, list) or len(keys) != len(children):
            raise differ("the file's structure is malformed")
        if set(map(str, keys)) != set(mine["keys"]) or len(keys) != len(mine["keys"]):
            raise differ(f"`like` has the keys {sorted(mine['keys'])}, the file {keys}")
        by_key = dict(zip(map(str, keys), children))
        for key, child in zip(mine["keys"], mine["children"]):
            _compare(child, by_key[key], (*path, key), generators)
        return
    if kind == "attrs":
        fields = theirs.get("fields")
        if fields != mine["fields"] or not isinstance(fields, list):
            raise differ(
                f"`like` has {_show(mine)} with the fields {mine['fields']}, the file "
                f"{_show(theirs)} with {fields}"
            )
        names = fields
    else:
        if len(children) != len(mine["children"]):
            raise differ(
                f"`like` has a {kind} of length {len(mine['children'])}, the file one of "
                f"length {len(children)}"
            )
        names = [str(i) for i in range(len(children))]
    for name, child, other in zip(names, mine["children"], children):
        _compare(child, other, (*path, str(name)), generators)


def _generator(stored: object, path: _Path) -> np.random.Generator:
    """A new Generator in the state the file describes (`stored`, any JSON)."""
    if not isinstance(stored, dict):
        raise _Invalid(f"the Generator at {_where(path)} has no state")
    name = stored.get("bit_generator")
    make = _BIT_GENERATORS.get(name) if isinstance(name, str) else None
    if make is None:
        raise _Invalid(f"the Generator at {_where(path)} names the bit generator {name!r}")
    bit_generator = make()
    try:
        bit_generator.state = cast("dict[str, Any]", _decode_state(stored.get("state")))
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as error:
        raise _Invalid(f"the state of the Generator at {_where(path)} is invalid ({error})") from None
    return np.random.Generator(bit_generator)


def load(path: PathLike, like: T) -> T:
    """Read the file `path` written by `save` into a tree of the structure of `like`.

    `like` gives the structure and each leaf's shape and dtype (its values are not used):
    the initial parameters and optimizer state, say. The result has `like`'s type, with
    new read-only arrays at its leaves (Nodes where `like` has Nodes: variables where
    `like`'s require grad), and new Generators in the saved state where `like` has
    Generators. A safetensors file from another tool loads too if its keys are the paths
    of `like`'s leaves.

    Raises:
        ValueError: the file is not a complete safetensors file (empty, truncated, corrupt,
            or another kind of file), naming it; or it differs from `like` in structure,
            keys, shapes or dtypes, naming the first difference.
        TypeError: `like` is not a tree.
        OSError: the file cannot be opened (FileNotFoundError when it does not exist).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "state.safetensors")
    ...     save(path, (np.arange(3), np.random.default_rng(0)))
    ...     numbers, rng = load(path, (np.zeros(3, np.int64), np.random.default_rng(1)))
    >>> numbers, rng.random() == np.random.default_rng(0).random()
    (array([0, 1, 2]), True)
    """
    name = os.fspath(path)
    found, definition, described = _flatten_checkpoint(like, _LOADING)
    leaves = [leaf for leaf in found if isinstance(leaf, _Array)]
    _check_keys(leaves, "load")
    with open(name, "rb", buffering=0) as file:
        try:
            tensors, metadata, start = _read_header(file)
        except _Invalid as error:
            raise ValueError(f"load: {name} is not a valid safetensors file: {error}") from None
        generators: list[object] = []  # the file's description of each, in `like`'s order
        if metadata.get("format") == _FORMAT:
            if metadata.get("version") != _VERSION:
                raise ValueError(
                    f"load: {name} is a puregrad checkpoint of version "
                    f"{metadata.get('version')!r}; this puregrad reads version {_VERSION}"
                )
            try:
                stored = json.loads(metadata.get("structure", ""))
            except (json.JSONDecodeError, RecursionError):
                raise ValueError(
                    f"load: {name}: its puregrad structure metadata is not JSON"
                ) from None
            try:
                _compare(described, stored, (), generators)
            except _Mismatch as error:
                raise ValueError(f"load: {name} differs from `like` {error}") from None
        elif len(leaves) < len(found):  # `like` holds Generators
            raise ValueError(
                f"load: {name} was not written by puregrad's save, so it holds no Generator "
                "state for `like`'s Generators"
            )
        wanted = {leaf.key for leaf in leaves}
        for leaf in leaves:
            tensor = tensors.get(leaf.key)
            where = repr(leaf.key)
            if tensor is None:
                raise ValueError(f"load: {name} holds no tensor {where}, which `like` has")
            if tensor.shape != leaf.shape or tensor.dtype.newbyteorder("=") != leaf.dtype.newbyteorder("="):
                raise ValueError(
                    f"load: {name} differs from `like` at {where}: the file holds shape "
                    f"{tensor.shape} {tensor.dtype.newbyteorder('=').name}, `like` has "
                    f"{leaf.shape} {leaf.dtype.newbyteorder('=').name}"
                )
        extra = [key for key in tensors if key not in wanted]
        if extra:
            raise ValueError(
                f"load: {name} holds tensors that `like` does not: {sorted(extra)[:5]}"
            )
        arrays: list[NDArray[Any]] = []
        try:
            for leaf in leaves:
                tensor = tensors[leaf.key]
                array = np.empty(tensor.shape, tensor.dtype)
                if array.size:
                    _read_exactly(file, array.reshape(-1).view(np.uint8).data, start + tensor.begin)
                if sys.byteorder != "little":
                    array = array.astype(array.dtype.newbyteorder("="))
                array.flags.writeable = False
                arrays.append(array)
            result = _build(definition, iter(_loaded(found, arrays, generators)))
        except _Invalid as error:
            raise ValueError(f"load: {name}: {error}") from None
    return result  # type: ignore[return-value]  # rebuilt in the structure (and classes) of `like`


def _loaded(
    found: list[_Found], arrays: list[NDArray[Any]], generators: list[object]
) -> list[object]:
    """The leaves of the loaded tree, in the order of `like`'s (`found`): the arrays read
    (as Nodes of their kind where `like` has Nodes) and the Generators the file describes."""
    next_array, next_generator = iter(arrays), iter(generators)
    leaves: list[object] = []
    for leaf in found:
        if isinstance(leaf, _Generator):
            leaves.append(_generator(next(next_generator, None), leaf.path))
            continue
        array = next(next_array)
        like = leaf.found
        if type(like) is not Node:
            leaves.append(array)
        elif like.requires_grad:
            leaves.append(variable(array, like.name))
        else:
            leaves.append(constant(array, like.name))
    return leaves
