"""pg.save / pg.load: round trips of every kind of tree, the safetensors format, validation
(mismatches, corrupt files), atomicity under SIGKILL, and exact resumption of training in a
fresh process."""

from __future__ import annotations

import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import numpy as np
import pytest
from numpy.typing import NDArray
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

import puregrad as pg

ROOT = Path(__file__).resolve().parent.parent


class Pair(NamedTuple):
    first: NDArray[np.float64]
    second: NDArray[np.float32]


@attrs.frozen
class Stats:
    """Like batch-norm statistics: an attrs class with a private field (its alias differs)."""

    mean: NDArray[np.float32]
    _var: NDArray[np.float32]
    count: NDArray[np.int64]


def _leaves_equal(a: object, b: object) -> None:
    """Same structure, and bitwise-equal leaves of the same dtype and shape."""
    left, right = pg.tree_leaves(a), pg.tree_leaves(b)
    assert pg.tree_structure(pg.to_arrays(a)) == pg.tree_structure(pg.to_arrays(b))
    for x, y in zip(left, right):
        xv = x.value if isinstance(x, pg.Node) else x
        yv = y.value if isinstance(y, pg.Node) else y
        assert xv.dtype == yv.dtype and xv.shape == yv.shape
        assert xv.tobytes() == yv.tobytes()


def _mlp_adam_tree() -> object:
    params = pg.MLP((3, 4, 2)).init(np.random.default_rng(0))
    optimizer = pg.chain(pg.ClipByGlobalNorm(1.0), pg.Adam())
    return {"params": params, "opt": optimizer.init(params)}


TREES: dict[str, Callable[[], object]] = {
    "mlp and chained adam state": _mlp_adam_tree,
    "bare array": lambda: np.arange(6.0).reshape(2, 3),
    "0-d and empty arrays": lambda: (np.asarray(2.5), np.zeros((0, 3), np.float32)),
    "every dtype": lambda: [
        np.arange(3).astype(d)
        for d in ("f8", "f4", "f2", "i8", "i4", "i2", "i1", "u8", "u4", "u2", "u1", "?", "c8")
    ],
    "named tuple and private attrs field": lambda: {
        "pair": Pair(np.ones(2), np.full(3, 0.5, np.float32)),
        "stats": Stats(np.ones(4, np.float32), np.full(4, 2.0, np.float32), np.asarray(7)),
    },
    "None and empty containers": lambda: {"a": None, "b": [], "c": {}, "d": (), "e": pg.EmptyState()},
    "non-contiguous and big-endian": lambda: {
        "transposed": np.arange(6.0).reshape(2, 3).T,
        "strided": np.arange(10.0)[::3],
        "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(3, 2)),
        "big": np.arange(4.0).astype(">f8"),
    },
    "no leaves": lambda: None,
}


@pytest.mark.parametrize("make", TREES.values(), ids=list(TREES))
def test_round_trip_gives_the_same_tree_with_read_only_leaves(make: Callable[[], object], tmp_path: Path) -> None:
    tree = make()
    path = tmp_path / "tree.safetensors"
    pg.save(path, tree)
    loaded = pg.load(path, tree)
    assert type(loaded) is type(tree)
    expected = pg.tree_map(lambda a: a.astype(a.dtype.newbyteorder("=")), tree)
    _leaves_equal(loaded, expected)
    for leaf in pg.tree_leaves(loaded):
        assert isinstance(leaf, np.ndarray)
        assert not leaf.flags.writeable and leaf.flags.c_contiguous
        assert leaf.base is None  # each leaf owns its memory: dropping one frees it
        with pytest.raises(ValueError, match="read-only"):
            leaf[...] = 0


def test_like_gives_only_the_structure_and_its_values_are_not_used(tmp_path: Path) -> None:
    tree = _mlp_adam_tree()
    pg.save(tmp_path / "a", tree)
    other = pg.tree_map(lambda a: np.full_like(a, 9), tree)
    _leaves_equal(pg.load(tmp_path / "a", other), tree)


def test_dicts_match_by_key_and_come_back_in_the_order_of_like(tmp_path: Path) -> None:
    pg.save(tmp_path / "d", {"a": np.ones(1), "b": np.zeros(2)})
    loaded = pg.load(tmp_path / "d", {"b": np.ones(2), "a": np.ones(1)})
    assert list(loaded) == ["b", "a"] and loaded["b"].tolist() == [0.0, 0.0]


def test_saving_into_a_missing_folder_is_an_os_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        pg.save(tmp_path / "absent" / "ckpt", np.ones(1))
    assert list(tmp_path.iterdir()) == []


def test_nodes_are_saved_as_their_values_and_loaded_as_nodes_of_their_kind(tmp_path: Path) -> None:
    tree: dict[str, pg.Node[Any]] = {"x": pg.variable(np.ones(2), name="x"), "c": pg.constant(np.arange(3))}
    pg.save(tmp_path / "n", tree)
    loaded = pg.load(tmp_path / "n", tree)
    assert loaded["x"].requires_grad and loaded["x"].name == "x"
    assert not loaded["c"].requires_grad
    assert loaded["c"].value.tolist() == [0, 1, 2]


def test_keys_are_paths_and_safetensors_reads_the_file(tmp_path: Path) -> None:
    tree = _mlp_adam_tree()
    path = tmp_path / "model.safetensors"
    pg.save(path, tree)
    tensors = load_file(path)
    assert set(tensors) == {
        "params.0.W", "params.0.b", "params.1.W", "params.1.b", "opt.1.count",
        *(f"opt.1.{m}.{i}.{p}" for m in ("mu", "nu") for i in (0, 1) for p in ("W", "b")),
    }
    assert isinstance(tree, dict)
    assert np.array_equal(tensors["params.1.W"], tree["params"][1].W)
    assert tensors["opt.1.count"].shape == () and tensors["opt.1.count"].dtype == np.int64
    with safe_open(path, framework="np") as f:
        metadata = f.metadata()
    assert metadata["format"] == "puregrad"
    structure = json.loads(metadata["structure"])
    assert structure["keys"] == ["params", "opt"]
    assert structure["children"][1]["children"][1]["fields"] == ["count", "mu", "nu"]


def test_the_data_is_aligned_for_every_tensor(tmp_path: Path) -> None:
    tree = [np.ones(3, np.int8), np.ones(3), np.ones(5, np.float16), np.ones(1, np.float32)]
    pg.save(tmp_path / "a", tree)
    data = (tmp_path / "a").read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert length % 8 == 0
    header = json.loads(data[8 : 8 + length])
    for entry in (v for k, v in header.items() if k != "__metadata__"):
        itemsize = {"F64": 8, "F32": 4, "F16": 2, "I8": 1}[entry["dtype"]]
        assert entry["data_offsets"][0] % itemsize == 0


def test_a_file_from_another_tool_loads_when_its_keys_are_the_paths(tmp_path: Path) -> None:
    like = pg.MLP((2, 3)).init(np.random.default_rng(0))
    save_file({"0.W": np.full((2, 3), 0.5), "0.b": np.ones(3)}, tmp_path / "foreign")
    loaded = pg.load(tmp_path / "foreign", like)
    assert type(loaded[0]) is pg.LinearParams and isinstance(loaded[0].W, np.ndarray)
    assert loaded[0].W.tolist() == [[0.5] * 3] * 2


def test_a_generator_is_saved_as_its_state_and_loaded_as_a_new_one(tmp_path: Path) -> None:
    kinds = [np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64]
    rngs = [np.random.Generator(kind(3)) for kind in kinds]
    for rng in rngs:
        rng.random(5)
        rng.integers(0, 10, 3, dtype=np.uint32)  # leaves a buffered half word in some
    pg.save(tmp_path / "g", rngs)
    like = [np.random.Generator(kind(0)) for kind in kinds]
    loaded = pg.load(tmp_path / "g", like)
    for rng, new, old in zip(rngs, loaded, like):
        assert new is not old
        assert new.integers(0, 2**31, 8, dtype=np.uint32).tolist() == rng.integers(0, 2**31, 8, dtype=np.uint32).tolist()
        assert new.random() == rng.random()


# Save rejects what is not a tree --------------------------------------------------------


@attrs.define
class NoInit:
    a: NDArray[np.float64]
    b: int = attrs.field(init=False, default=0)


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"w": np.array([object(), 1], dtype=object)}, r"'w' has dtype object"),
        ({"w": np.ones(2, np.complex128)}, r"'w' has dtype complex128"),
        ({"w": np.array(["a"])}, r"'w' has dtype <U1"),
        ({"lr": 0.1}, r"got float at 'lr'"),
        ([np.ones(1), "text"], r"got str at '1'"),
        ({"s": {np.ones(1).tobytes()}}, r"got set at 's'"),
        ({"n": np.float64(1.0)}, r"got float64 at 'n'"),
        ({1: np.ones(1)}, r"dict keys in a tree must be str"),
        (NoInit(np.ones(1)), r"init=False"),
    ],
)
def test_save_rejects_non_trees_with_a_type_error_naming_the_place(tree: object, message: str, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=message):
        pg.save(tmp_path / "bad", tree)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left


@pytest.mark.parametrize(
    "tree",
    [{"a.b": np.ones(1), "a": {"b": np.ones(1)}}, {"__metadata__": np.ones(1)}],
)
def test_keys_that_collide_are_a_value_error(tree: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"save: leaf \d has the key"):
        pg.save(tmp_path / "bad", tree)
    save_file({"a.b": np.ones(1)}, tmp_path / "file")
    with pytest.raises(ValueError, match=r"load: leaf \d has the key"):
        pg.load(tmp_path / "file", tree)


# Load validates against like ------------------------------------------------------------


def _saved(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    tree: dict[str, Any] = {
        "layers": [pg.LinearParams(np.ones((2, 3)), np.zeros(3))],
        "count": np.asarray(3),
        "rng": np.random.default_rng(0),
    }
    path = tmp_path / "ckpt.safetensors"
    pg.save(path, tree)
    return path, tree


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t | {"count": np.asarray(3.0)}, r"at 'count': the file holds shape \(\) int64, `like` has \(\) float64"),
        (
            lambda t: t | {"layers": [pg.LinearParams(np.ones((3, 3)), np.zeros(3))]},
            r"at 'layers.0.W': the file holds shape \(2, 3\) float64, `like` has \(3, 3\)",
        ),
        (lambda t: t | {"extra": np.ones(1)}, r"at the root: `like` has the keys \['count', 'extra', 'layers', 'rng'\]"),
        (lambda t: {k: v for k, v in t.items() if k != "count"}, r"at the root: `like` has the keys"),
        (lambda t: t | {"layers": (t["layers"][0],)}, r"at 'layers': `like` has a tuple, the file a list"),
        (lambda t: t | {"layers": t["layers"] * 2}, r"at 'layers': `like` has a list of length 2, the file one of length 1"),
        (lambda t: t | {"layers": [Pair(np.ones(1), np.ones(1, np.float32))]}, r"at 'layers.0': `like` has a named tuple Pair"),
        (lambda t: t | {"layers": [pg.LinearParams(np.ones((2, 3)), None)]}, r"at 'layers.0.b': `like` has None, the file an array"),
        (lambda t: t | {"rng": np.ones(1)}, r"at 'rng': `like` has an array, the file a PCG64 Generator"),
        (lambda t: t | {"rng": np.random.Generator(np.random.MT19937())}, r"at 'rng': `like` has a MT19937 Generator, the file a PCG64"),
        (lambda t: t | {"count": Stats(np.ones(1, np.float32), np.ones(1, np.float32), np.asarray(1))}, r"at 'count': `like` has an attrs Stats, the file an array"),
    ],
)
def test_load_names_the_first_difference_from_like(
    change: Callable[[dict[str, Any]], object], message: str, tmp_path: Path
) -> None:
    path, tree = _saved(tmp_path)
    with pytest.raises(ValueError, match=message) as error:
        pg.load(path, change(tree))
    assert str(path) in str(error.value)


def test_a_foreign_file_with_other_keys_or_shapes_is_named(tmp_path: Path) -> None:
    save_file({"W": np.ones(2), "b": np.ones(2)}, tmp_path / "f")
    with pytest.raises(ValueError, match=r"holds no tensor 'w'"):
        pg.load(tmp_path / "f", {"w": np.ones(2), "b": np.ones(2)})
    with pytest.raises(ValueError, match=r"holds tensors that `like` does not: \['b'\]"):
        pg.load(tmp_path / "f", {"W": np.ones(2)})
    with pytest.raises(ValueError, match=r"holds no Generator state"):
        pg.load(tmp_path / "f", {"W": np.ones(2), "b": np.ones(2), "r": np.random.default_rng()})


def test_load_of_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        pg.load(tmp_path / "absent", np.ones(1))


# Corrupt, truncated, empty and foreign files --------------------------------------------


def _expect_invalid_or_valid(path: Path, like: object) -> bool:
    """Load must either fail with a ValueError naming the file, or give a tree like `like`
    (a change the format cannot notice, such as a changed value). True when it failed."""
    try:
        loaded = pg.load(path, like)
    except ValueError as error:
        assert str(path) in str(error), error
        return True
    assert isinstance(loaded, dict) and isinstance(like, dict)
    assert isinstance(loaded["rng"], np.random.Generator)
    arrays = {k: v for k, v in loaded.items() if k != "rng"}
    expected = {k: v for k, v in like.items() if k != "rng"}
    for a, b in zip(pg.tree_leaves(arrays), pg.tree_leaves(expected)):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
        assert a.shape == b.shape and a.dtype == b.dtype
    return False


def test_truncated_files_are_a_value_error_naming_the_file(tmp_path: Path) -> None:
    path, tree = _saved(tmp_path)
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    cut = tmp_path / "cut.safetensors"
    for size in sorted({0, 1, 7, 8, 9, 8 + length // 2, 8 + length - 1, 8 + length, 8 + length + 1, len(data) - 1}):
        cut.write_bytes(data[:size])
        with pytest.raises(ValueError, match="is not a valid safetensors file") as error:
            pg.load(cut, tree)
        assert str(cut) in str(error.value)
    with pytest.raises(ValueError, match=r"truncated"):
        pg.load(cut, tree)
    with pytest.raises(ValueError, match=r"fewer than a safetensors header's 8"):
        cut.write_bytes(b"")
        pg.load(cut, tree)


def test_foreign_files_are_a_value_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "foreign"
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones((4, 4)))
    contents = [
        npy.read_bytes(),
        pickle.dumps({"w": np.ones(2)}),
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        b"just some text, long enough to have a header length",
        struct.pack("<Q", 2) + b"[]",
        struct.pack("<Q", 4) + b'"x" ',
        struct.pack("<Q", 2**63) + b"{}",
        struct.pack("<Q", 2) + b"{}" + b"trailing",
        struct.pack("<Q", 11) + b'{"w": 3.5 }',
        struct.pack("<Q", 200_000) + b"[" * 200_000,
    ]
    for content in contents:
        path.write_bytes(content)
        with pytest.raises(ValueError, match="is not a valid safetensors file") as error:
            pg.load(path, {"w": np.ones(2)})
        assert str(path) in str(error.value)


def _header_of(entries: dict[str, object]) -> bytes:
    text = json.dumps(entries).encode()
    return struct.pack("<Q", len(text)) + text


@pytest.mark.parametrize(
    ("entries", "data", "message"),
    [
        ({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}, 8, "spans 8 bytes"),
        ({"w": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, 2, "'BF16'"),
        ({"w": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}}, 8, "shape"),
        ({"w": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}, 16, "starts at byte 8"),
        ({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0]}}, 8, "data offsets"),
        ({"w": {"dtype": "F64", "shape": [1]}, "__metadata__": {"a": 1}}, 8, "__metadata__"),
    ],
)
def test_inconsistent_headers_are_named(entries: dict[str, object], data: int, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad"
    path.write_bytes(_header_of(entries) + bytes(data))
    with pytest.raises(ValueError, match=message):
        pg.load(path, {"w": np.ones(1)})


def test_duplicate_header_keys_are_rejected(tmp_path: Path) -> None:
    entry = '{"dtype":"F64","shape":[1],"data_offsets":[0,8]}'
    text = ('{"w":' + entry + ',"w":' + entry + "}").encode()
    path = tmp_path / "dup"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(8))
    with pytest.raises(ValueError, match="names 'w' twice"):
        pg.load(path, {"w": np.ones(1)})


def test_random_corruptions_never_crash(tmp_path: Path) -> None:
    """Fuzz: flipped bytes anywhere in the header or the structure, a tampered Generator
    state: always a ValueError naming the file or a well-formed tree, never anything else."""
    path, tree = _saved(tmp_path)
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    rng = np.random.default_rng(1234)
    bad = tmp_path / "flipped.safetensors"
    failures = 0
    for _ in range(150):
        content = bytearray(data)
        for position in rng.integers(0, 8 + length, size=rng.integers(1, 4)):
            content[position] = int(rng.integers(0, 256))
        bad.write_bytes(bytes(content))
        failures += _expect_invalid_or_valid(bad, tree)
    assert failures > 100  # most flips in a JSON header break it


def test_a_checkpoint_of_another_version_is_named(tmp_path: Path) -> None:
    metadata = {"format": "puregrad", "version": "2", "structure": '"array"'}
    save_file({"": np.ones(1)}, tmp_path / "v2", metadata=metadata)
    with pytest.raises(ValueError, match="version '2'; this puregrad reads version 1"):
        pg.load(tmp_path / "v2", np.ones(1))
    metadata["version"] = "1"
    save_file({"": np.ones(1)}, tmp_path / "v1", metadata=metadata)
    assert pg.load(tmp_path / "v1", np.ones(1)).tolist() == [1.0]


def test_a_tampered_generator_state_is_a_value_error(tmp_path: Path) -> None:
    tree = {"rng": np.random.default_rng(0), "w": np.ones(1)}
    for state in ({"state": -5, "inc": 1}, {"state": 1}, "nonsense", None, [[[1]]], {"dtype": "uint64", "data": "x"}):
        structure = {"kind": "dict", "keys": ["rng", "w"], "children": [
            {"kind": "generator", "bit_generator": "PCG64", "state": {"bit_generator": "PCG64", "state": state, "has_uint32": 0, "uinteger": 0}},
            "array",
        ]}
        metadata = {"format": "puregrad", "version": "1", "structure": json.dumps(structure)}
        save_file({"w": np.ones(1)}, tmp_path / "t", metadata=metadata)
        with pytest.raises(ValueError, match=r"state of the Generator at 'rng'"):
            pg.load(tmp_path / "t", tree)


# Atomic replacement ---------------------------------------------------------------------


def test_a_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt"
    pg.save(path, {"w": np.ones(3)})
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        pg.save(path, {"w": np.zeros(3)})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_save_keeps_the_file_mode_a_new_file_gets(tmp_path: Path) -> None:
    pg.save(tmp_path / "a", np.ones(1))
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o666 & ~umask


SAVERS = r"""
import os, sys
import numpy as np
from puregrad.saving import save

def save_forever(index, path):
    generation = 1
    while True:
        # 8 leaves of 0.5 MB, every value the generation: a torn or mixed file cannot pass
        tree = {"generation": np.asarray(generation), "w": [np.full(1 << 16, float(generation)) for _ in range(8)]}
        save(path, tree)
        os.write(1, f"{index} {generation}\n".encode())  # acknowledged (one write: atomic)
        generation += 1

# Imported once, then forked: one saving process per file, started in a moment.
pids = []
for index, path in enumerate(sys.argv[1:]):
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            save_forever(index, path)
        finally:
            os._exit(1)
    pids.append(pid)
os.write(1, ("pids " + " ".join(map(str, pids)) + "\n").encode())
for index, pid in enumerate(pids):
    _, status = os.waitpid(pid, 0)
    signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1
    os.write(1, f"ended {index} {signal}\n".encode())
"""


def _generation(path: Path) -> int:
    """The generation of a whole checkpoint (every leaf agrees); ValueError otherwise."""
    like: dict[str, Any] = {"generation": np.asarray(0), "w": [np.zeros(1 << 16) for _ in range(8)]}
    loaded = pg.load(path, like)
    generation: int = loaded["generation"].item()
    if not all(np.all(w == generation) for w in loaded["w"]):
        raise ValueError(f"{path}: leaves from different generations")
    return generation


def test_the_checker_sees_a_torn_file(tmp_path: Path) -> None:
    """The SIGKILL test's check fails for what a non-atomic writer leaves behind."""
    path = tmp_path / "ckpt"
    pg.save(path, {"generation": np.asarray(1), "w": [np.full(1 << 16, 1.0) for _ in range(8)]})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError):
        _generation(path)
    path.write_bytes(data[:-8] + np.float64(2.0).tobytes())
    with pytest.raises(ValueError, match="different generations"):
        _generation(path)


def _kill_at_random_moments(parent: subprocess.Popen[str], kills: int) -> str:
    """Kill each saving process at its moment; the whole output of them all."""
    assert parent.stdout is not None
    early = []  # acknowledgements printed before the pids
    while (line := parent.stdout.readline()) and not line.startswith("pids"):
        early.append(line)
    pids = [int(pid) for pid in line.split()[1:]]
    assert len(pids) == kills, line
    delays = np.random.default_rng(20261130).uniform(0.05, 0.3, kills)
    started = time.perf_counter()
    try:
        for i in np.argsort(delays):
            time.sleep(max(0.0, float(delays[i]) - (time.perf_counter() - started)))
            os.kill(pids[i], signal.SIGKILL)
    finally:  # never leave a saving process behind, whatever failed
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    output = parent.stdout.read()  # (communicate would skip what readline buffered)
    assert parent.wait(timeout=60) == 0
    return "".join(early) + output


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the saving processes are forked")
def test_sigkill_at_random_moments_leaves_a_whole_checkpoint(tmp_path: Path) -> None:
    """Processes saving in a loop are killed at random moments (fixed seed): each file is
    then a whole checkpoint, the last one `save` returned from or the one after it."""
    kills = 12
    paths = [tmp_path / f"ckpt{i}.safetensors" for i in range(kills)]
    for path in paths:
        pg.save(path, {"generation": np.asarray(0), "w": [np.zeros(1 << 16) for _ in range(8)]})
    parent = subprocess.Popen(
        [sys.executable, "-c", SAVERS, *map(str, paths)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src"), "OPENBLAS_NUM_THREADS": "1"},
    )
    assert parent.stdout is not None
    with parent:
        output = _kill_at_random_moments(parent, kills)
    lines = [line.split() for line in output.splitlines()]
    assert sorted(line[1:] for line in lines if line[0] == "ended") == [
        [str(i), str(int(signal.SIGKILL))] for i in sorted(range(kills), key=str)
    ]
    interrupted = 0
    for i, path in enumerate(paths):
        acknowledged = [int(g) for first, g in (line for line in lines if line[0] != "ended") if first == str(i)]
        last = max(acknowledged, default=0)
        found = _generation(path)  # a ValueError here is a torn checkpoint
        assert found in (last, last + 1), (i, found, last)
        interrupted += any(p.name.startswith(f".{path.name}.") for p in tmp_path.iterdir())
    assert interrupted >= 3  # kills did land inside saves (their temporary files are left)


# Exact resumption -----------------------------------------------------------------------


@attrs.frozen
class TrainState:
    """Everything a training step needs: what a checkpoint holds."""

    params: pg.MLPParams[np.float64]
    opt: pg.AdamState
    rng: np.random.Generator  # orders the data: saved as its state
    epoch: NDArray[np.int64]


MODEL = pg.MLP((2, 16, 3), activation="tanh")
OPTIMIZER = pg.Adam(0.01)


def _loss(params: pg.MLPParams[np.float64], x: NDArray[np.float64], t: NDArray[np.int64]) -> pg.Node[np.float64]:
    return pg.softmax_cross_entropy(MODEL.apply(params, x), t)


def start(seed: int) -> TrainState:
    params = MODEL.init(np.random.default_rng(seed))
    return TrainState(params, OPTIMIZER.init(params), np.random.default_rng(seed + 1), np.asarray(0))


def train(state: TrainState, epochs: int) -> TrainState:
    x, t = pg.spiral(num_per_class=40)
    params, opt = state.params, state.opt
    for _ in range(epochs):
        for xb, tb in pg.minibatches(x, t, 24, rng=state.rng):
            _, grads = pg.tree_value_and_grad(_loss)(params, xb, tb)
            params, opt = pg.step(OPTIMIZER, grads, opt, params)
    return TrainState(params, opt, state.rng, np.asarray(int(state.epoch) + epochs))


def resume(checkpoint: str, epochs: int, out: str) -> None:
    """What the fresh process runs: load (into a `like` of other values), train on, save."""
    state = pg.load(checkpoint, start(seed=999))
    pg.save(out, train(state, epochs))


def test_resuming_in_a_fresh_process_is_bitwise_identical_to_training_through(tmp_path: Path) -> None:
    straight = train(start(seed=0), 6)

    first = train(start(seed=0), 3)
    pg.save(tmp_path / "epoch3.safetensors", first)
    code = "import sys; from tests.test_saving import resume; resume(sys.argv[1], 3, sys.argv[2])"
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "epoch3.safetensors"), str(tmp_path / "epoch6.safetensors")],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT / "src")},
        check=True,
        timeout=120,
    )
    resumed = pg.load(tmp_path / "epoch6.safetensors", start(seed=5))

    assert int(resumed.epoch) == 6
    _leaves_equal(resumed.params, straight.params)
    _leaves_equal(resumed.opt, straight.opt)
    assert resumed.rng.bit_generator.state == straight.rng.bit_generator.state
    # and the check can fail: one more step anywhere changes the bits
    _, grads = pg.tree_value_and_grad(_loss)(straight.params, *pg.spiral(num_per_class=2))
    moved, _ = pg.step(OPTIMIZER, grads, straight.opt, straight.params)
    with pytest.raises(AssertionError):
        _leaves_equal(resumed.params, moved)
