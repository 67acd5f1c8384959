"""The benchmark suite still runs: a quick workload in-process, and the driver end to end."""

from __future__ import annotations

import json
import math
from typing import Any
import statistics
from pathlib import Path

import attrs
import pytest

from benchmarks import measure, run, worker

TINY = attrs.evolve(worker.QUICK, chain_triples=30, repeat=1, fan_in=(50, 100), deep_triples=300, traced_triples=30)


@pytest.mark.parametrize("framework", ["numpy", "puregrad"])
def test_scalar_chain_and_fan_in_run_and_agree(framework: str) -> None:
    impl = __import__(worker.FRAMEWORKS[framework], fromlist=["NAME"])
    chain = worker.scalar_chain(impl, TINY)
    assert chain["forward_us_per_op"] > 0 and chain["backward_us_per_op"] > 0
    fan = worker.fan_in(impl, TINY)
    assert fan["check_100"] == sum(range(1, 101))
    assert math.isfinite(fan["growth_exponent"])
    reference = worker.scalar_chain(__import__(worker.FRAMEWORKS["numpy"], fromlist=["NAME"]), TINY)
    assert chain["check"] == pytest.approx(reference["check"], rel=1e-12)


def test_a_framework_that_is_not_installed_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(worker.FRAMEWORKS, "absent", "benchmarks.no_such_module")
    record = worker.run("fan_in", "absent", quick=True, repeat=1)
    assert record["status"] == "skipped"
    assert "not importable" in record["message"]


def test_the_driver_runs_workers_and_writes_the_table(tmp_path: Path) -> None:
    lines: list[str] = []
    markdown = run.main(
        ["--quick", "--only", "fan_in", "--frameworks", "numpy,puregrad", "--repeat", "1", "--out", str(tmp_path)],
        progress=lines.append,
    )
    assert "| wide fan-in backward, N = 2k, s |" in markdown
    assert "agree with numpy by hand" in markdown
    assert (tmp_path / "quick.json").exists() and (tmp_path / "quick.md").read_text().startswith("| workload")
    assert all(" ok " in line for line in lines[:-1])


def test_a_step_workload_interleaves_the_frameworks_and_pairs_their_steps(tmp_path: Path) -> None:
    """Two rounds of the quick cnn: each a process running both frameworks' steps in turn;
    the figures are medians of all steps, the ratio the median of the ratios at the same
    step, and the notes give each process's own."""
    lines: list[str] = []
    markdown = run.main(
        ["--quick", "--only", "cnn", "--frameworks", "numpy,puregrad", "--repeat", "1", "--rounds", "2", "--out", str(tmp_path)],
        progress=lines.append,
    )
    assert sum("(round 2 of 2)" in line for line in lines) == 2
    results = json.loads((tmp_path / "quick.json").read_text())["results"]["cnn"]
    mine, numpy = results["puregrad"], results["numpy"]
    assert [len(r) for r in mine["rounds"]] == [3, 3] and mine["paired"] == [t for r in mine["rounds"] for t in r]
    assert mine["metrics"]["step_s"] == statistics.median(mine["paired"])
    ratios = [a / b for a, b in zip(mine["paired"], numpy["paired"])]
    assert f"| {statistics.median(ratios):.2f} |" in markdown
    per_round = [statistics.median(ratios[:3]), statistics.median(ratios[3:])]
    assert f"puregrad ÷ numpy by hand {per_round[0]:.2f}, {per_round[1]:.2f}" in markdown


def test_the_interleaved_worker_steps_every_framework_each_repeat_and_skips_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real = measure.timed

    def timed(step: Any) -> Any:
        order.append(step.__module__.rsplit("_", 1)[1])
        return real(step)

    monkeypatch.setattr(measure, "timed", timed)
    monkeypatch.setitem(worker.FRAMEWORKS, "absent", "benchmarks.no_such_module")
    records = worker.interleaved("lstm", ["numpy", "puregrad", "absent"], quick=True, repeat=1)
    assert records["absent"]["status"] == "skipped"
    # Every repeat steps each framework once, in an order drawn anew (seeded).
    assert all(sorted(order[k : k + 2]) == ["numpy", "puregrad"] for k in (0, 2, 4))
    assert len(records["numpy"]["paired"]) == len(records["puregrad"]["paired"]) == 3
    assert records["numpy"]["metrics"]["check_0"] == pytest.approx(records["puregrad"]["metrics"]["check_0"])
