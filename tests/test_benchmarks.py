"""The benchmark suite still runs: a quick workload in-process, and the driver end to end."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import attrs
import pytest

from benchmarks import run, worker

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


def test_a_workload_in_rounds_reports_medians_and_each_rounds_ratio(tmp_path: Path) -> None:
    """Two rounds of the quick cnn: the figures are medians of the rounds, the ratio the
    median of each round's own, and the notes list them."""
    lines: list[str] = []
    markdown = run.main(
        ["--quick", "--only", "cnn", "--frameworks", "numpy,puregrad", "--repeat", "1", "--rounds", "2", "--out", str(tmp_path)],
        progress=lines.append,
    )
    assert sum("round 2 of 2" in line for line in lines) == 2
    record = json.loads((tmp_path / "quick.json").read_text())["results"]["cnn"]["puregrad"]
    per_round = [r["step_s"] for r in record["rounds"]]
    assert len(per_round) == 2 and record["metrics"]["step_s"] == statistics.median(per_round)
    numpy_rounds = [r["step_s"] for r in json.loads((tmp_path / "quick.json").read_text())["results"]["cnn"]["numpy"]["rounds"]]
    ratios = [a / b for a, b in zip(per_round, numpy_rounds)]
    assert f"puregrad ÷ numpy by hand {ratios[0]:.2f}, {ratios[1]:.2f}" in markdown
    assert f"| {statistics.median(ratios):.2f} |" in markdown
