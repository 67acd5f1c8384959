"""The benchmark suite `make bench` runs (see benchmarks/README.md).

Every workload runs on every framework in a fresh subprocess (`benchmarks/worker.py`), with
one BLAS thread and float64. The results become one table of medians, with puregrad's ratios
to numpy by hand (the limit) and to PyTorch, computed within this run; the table is printed
and written, with the raw figures as JSON, to benchmarks/results/latest.{md,json}
(`--quick`: a small smoke run, written to quick.{md,json}).

    python benchmarks/run.py [--quick] [--only fan_in,mlp] [--frameworks numpy,puregrad]
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (`make bench`): make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402

from benchmarks.worker import FRAMEWORKS, FULL, QUICK, STEPS, WORKLOADS, Sizes  # noqa: E402

COLUMNS: Final = ("numpy", "puregrad", "torch", "autograd", "dezero")
HEADINGS: Final = {
    "numpy": "numpy by hand",
    "puregrad": "puregrad",
    "torch": "PyTorch",
    "autograd": "HIPS autograd",
    "dezero": "DeZero",
}

THREADS: Final = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
# The step workloads (mlp, cnn, lstm), whose ratios are the speed targets, run with every
# framework in one process, their steps interleaved (`worker.interleaved`), in a few such
# processes (rounds). One process's figures move by +-8% on a shared machine, and two
# processes a few seconds apart can read 0.9 and 1.3 for the same ratio; steps taken side by
# side see the same moment, so the ratio is taken step by step: the median over all steps of
# all rounds of puregrad's time over the other's at the same step.
STEP_ROUNDS: Final = 5
ALL: Final = {name: None for name in ("scalar_chain", *STEPS, *WORKLOADS)}
"""Every workload, in the order the suite runs them."""

# Large arrays always mmapped, so a freed array leaves the RSS at once (otherwise glibc keeps
# freed heap memory, and the RSS high-water mark of the memory workload says nothing).
# The training steps: glibc's heap neither trimmed nor bypassed (the largest mmap threshold it
# allows), so every framework steps in the steady state a training loop of its own reaches (no
# page faults); interleaved, the other frameworks' frees otherwise trim the heap under one of
# them, costing it 1,000 and more page faults a step (numpy by hand and puregrad after DeZero
# and PyTorch on the lstm, PyTorch and DeZero on the cnn).
STEADY_HEAP: Final = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(32 << 20)}
MEMORY_ENV: Final = {"sin_memory": {"MALLOC_MMAP_THRESHOLD_": "131072"}} | {w: STEADY_HEAP for w in STEPS}


@attrs.frozen
class Row:
    """One line of the table: a metric of one workload, per framework."""

    label: str
    workload: str
    metric: str
    relative: bool = False  # shown as a multiple of numpy by hand's figure
    ratios: bool = True  # whether puregrad's ratios to the others mean something


def rows(sizes: Sizes) -> list[Row]:
    ops = 3 * sizes.chain_triples
    small, large = sizes.fan_in[0], sizes.fan_in[-1]
    deep = 3 * sizes.deep_triples
    traced = 3 * sizes.traced_triples
    sin = f"{sizes.sin_depth} x sin on {_count(sizes.sin_floats)} floats"
    fan = [
        Row(f"wide fan-in backward, N = {_count(n)}, s", "fan_in", f"backward_s_{n}")
        for n in sizes.fan_in
    ]
    return [
        Row(f"scalar chain ({_count(ops)} ops), forward µs/op", "scalar_chain", "forward_us_per_op"),
        Row("same, backward µs/op", "scalar_chain", "backward_us_per_op"),
        Row("same, backward with create_graph=True, µs/op", "scalar_chain", "backward_create_graph_us_per_op"),
        Row("same, forward under no_grad, µs/op", "scalar_chain", "forward_no_grad_us_per_op"),
        Row(
            f"MLP 784-256-10, batch {sizes.mlp_batch}, fwd+bwd step, × numpy by hand",
            "mlp",
            "step_s",
            relative=True,
        ),
        Row(
            f"CNN conv-relu-pool x2, linear, batch {sizes.cnn_batch} of 1x28x28, fwd+bwd step, × numpy by hand",
            "cnn",
            "step_s",
            relative=True,
        ),
        Row("same, step ms", "cnn", "step_ms"),
        *fan,
        Row(
            f"wide fan-in: growth exponent {_count(small)} → {_count(large)}",
            "fan_in",
            "growth_exponent",
            ratios=False,
        ),
        Row(f"{_count(deep)}-deep chain, bytes per node (RSS growth)", "deep_chain", "bytes_per_node_rss"),
        Row(f"{_count(traced)}-deep chain, bytes per node (tracemalloc)", "deep_chain", "bytes_per_node_traced"),
        Row(f"{_count(deep)}-deep chain, forward µs/op", "deep_chain", "forward_us_per_op"),
        Row(
            f"{_count(deep)}-deep chain under no_grad, bytes per node kept (RSS growth)",
            "deep_chain",
            "no_grad_bytes_per_node_rss",
            ratios=False,
        ),
        Row(f"{sin}: backward peak above forward, arrays (tracemalloc)", "sin_memory", "backward_peak_arrays_traced"),
        Row(f"same, arrays (RSS high-water mark)", "sin_memory", "backward_peak_arrays_rss"),
        Row(f"same, fwd+bwd time, × numpy by hand", "sin_memory", "forward_backward_s", relative=True),
        Row(f"MLP loss in W1 (784×256), batch {sizes.mlp_batch}: vjp, s", "transform_cost", "vjp_s", ratios=False),
        Row("same, jvp ÷ vjp (target ≤ 2)", "transform_cost", "jvp_over_vjp", ratios=False),
        Row("same, hvp ÷ vjp (target ≤ 3)", "transform_cost", "hvp_over_vjp", ratios=False),
        Row("LSTM 1-64, batch 32, 30 steps, linear head, MSE: fwd+bwd, s", "lstm", "step_s"),
    ]


def _count(n: int) -> str:
    """6,000 as '6k', 2,000,000 as '2M', 1,000,002 as '10^6' (sizes in labels)."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000_000 and round(math.log10(n), 3).is_integer():
        return f"10^{round(math.log10(n))}"
    if n >= 1000:
        return f"{n / 1000:g}k" if n % 1000 == 0 else f"{n:,}"
    return str(n)


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ) | THREADS | extra
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_one(
    workload: str, framework: str, quick: bool, repeat: int | None, timeout: float
) -> dict[str, Any]:
    """Start one worker process and read its record (a crash or timeout becomes `failed`)."""
    record: dict[str, Any] = {"workload": workload, "framework": framework}
    result = _worker([workload, framework], workload, quick, repeat, timeout)
    return record | result if "status" in result else result


def run_interleaved(
    workload: str, frameworks: list[str], quick: bool, repeat: int | None, timeout: float
) -> dict[str, dict[str, Any]]:
    """One worker running a step workload on all `frameworks`, interleaved: a record each."""
    result = _worker([workload, ",".join(frameworks), "--interleave"], workload, quick, repeat, timeout)
    if "status" in result:  # the process failed: every framework did
        return {f: {"workload": workload, "framework": f} | result for f in frameworks}
    return result


def _worker(
    arguments: list[str], workload: str, quick: bool, repeat: int | None, timeout: float
) -> dict[str, Any]:
    """What a worker printed (its last line, JSON), or `{"status": "failed", ...}`."""
    command = [sys.executable, "-m", "benchmarks.worker", *arguments]
    command += ["--quick"] if quick else []
    command += ["--repeat", str(repeat)] if repeat is not None else []
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=_environment(MEMORY_ENV.get(workload, {})),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "message": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "failed", "message": f"exit {done.returncode}: {error}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _format(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return f"{value:.2g}"
    return f"{value:.3g}"


def _value(records: dict[str, dict[str, Any]], framework: str, row: Row) -> float | None:
    record = records.get(framework)
    if record is None or record.get("status") != "ok":
        return None
    value: float | None = record["metrics"].get(row.metric)
    if value is None or not row.relative:
        return value
    return ratio(records, row.metric, framework, "numpy")


def _cell(records: dict[str, dict[str, Any]], framework: str, row: Row) -> str:
    record = records.get(framework)
    if record is None:
        return "—"
    if record.get("status") == "skipped":
        return "skipped"
    if record.get("status") == "failed":
        return "failed"
    return _format(_value(records, framework, row))


def _ratio(records: dict[str, dict[str, Any]], row: Row, other: str) -> str:
    value = ratio(records, row.metric, "puregrad", other) if row.ratios else None
    return "—" if value is None else f"{value:.2f}"


def ratio(records: dict[str, dict[str, Any]], metric: str, mine: str, other: str) -> float | None:
    """`mine`'s `metric` over `other`'s: for interleaved steps, the median over the steps of
    the two times at the same step; else the ratio of the two figures (None: one is missing)."""
    a, b = records.get(mine, {}), records.get(other, {})
    if a.get("status") != "ok" or b.get("status") != "ok":
        return None
    if "paired" in a and "paired" in b:
        return statistics.median(step_ratios(a, b))
    x, y = a["metrics"].get(metric), b["metrics"].get(metric)
    return None if x is None or y is None or y == 0 else float(x / y)


def step_ratios(a: dict[str, Any], b: dict[str, Any], round_: int | None = None) -> list[float]:
    """Each step's time in record `a` over the same step's in `b` (of one round, or all)."""
    pairs = zip(a["paired"], b["paired"]) if round_ is None else zip(a["rounds"][round_], b["rounds"][round_])
    return [x / y for x, y in pairs if y > 0]


def merge_rounds(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One framework's records from several interleaved rounds as one: its steps of every
    round pooled ("paired", the step times; "rounds", per round), its metrics the median of
    all steps (a failed or skipped round stands for all)."""
    for record in records:
        if record.get("status") != "ok":
            return record
    merged = dict(records[0])
    merged["rounds"] = [r["paired"] for r in records]
    merged["paired"] = [t for r in records for t in r["paired"]]
    step_s = statistics.median(merged["paired"])
    merged["metrics"] = records[0]["metrics"] | {"step_s": step_s, "step_ms": step_s * 1e3}
    return merged


def table(results: dict[str, dict[str, dict[str, Any]]], sizes: Sizes) -> str:
    """The markdown table: one row per metric, one column per framework, then puregrad's
    ratios to numpy by hand and to PyTorch (from this run's own figures)."""
    head = [*(HEADINGS[f] for f in COLUMNS), "puregrad ÷ numpy", "puregrad ÷ PyTorch"]
    lines = ["| workload | " + " | ".join(head) + " |", "| --- " * (len(head) + 1) + "|"]
    for row in rows(sizes):
        records = results.get(row.workload)
        if records is None:
            continue
        if not any(r.get("status") == "ok" and row.metric in r["metrics"] for r in records.values()):
            continue
        cells = [_cell(records, f, row) for f in COLUMNS]
        cells += [_ratio(records, row, "numpy"), _ratio(records, row, "torch")]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(results: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """What a reader must know besides the figures: skips, failures, notes, and whether
    every framework's results (gradients, losses) agree with numpy by hand's."""
    found: list[str] = []
    seen: set[str] = set()
    mismatches: list[str] = []
    for workload, records in results.items():
        reference = records.get("numpy", {}).get("metrics", {})
        for framework, record in records.items():
            status = record.get("status")
            if status in ("skipped", "failed"):
                found.append(f"{workload} / {HEADINGS[framework]}: {status}: {record.get('message')}")
            for note in record.get("notes", []):
                if note not in seen:
                    seen.add(note)
                    found.append(f"{HEADINGS[framework]}: {note}")
            for key, value in record.get("metrics", {}).items():
                expected = reference.get(key)
                if key.startswith("check") and expected is not None:
                    if not math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-9):
                        mismatches.append(f"{workload} / {HEADINGS[framework]} {key}: {value!r} vs {expected!r}")
    for workload, records in results.items():
        rounds = len(records.get("puregrad", {}).get("rounds", []))
        if not rounds:
            continue
        steps = len(records["puregrad"]["paired"])
        spreads = []
        for other in ("numpy", "torch", "dezero"):
            if records.get(other, {}).get("status") == "ok":
                per_round = [statistics.median(step_ratios(records["puregrad"], records[other], r)) for r in range(rounds)]
                spreads.append(f"÷ {HEADINGS[other]} " + ", ".join(f"{v:.2f}" for v in per_round))
        if spreads:
            found.append(
                f"{workload}: the frameworks' steps interleaved in one process, {rounds} such "
                f"processes, {steps} steps each in all; times are medians of all steps, ratios "
                f"medians of the ratios at the same step; per process, puregrad {'; '.join(spreads)}"
            )
    if mismatches:
        found += [f"RESULTS DIFFER from numpy by hand: {m}" for m in mismatches]
    else:
        found.append("every framework's gradients (and losses) agree with numpy by hand's")
    return found


def _meta(argv: Sequence[str], quick: bool, results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    versions: dict[str, str] = {}
    for records in results.values():
        for framework, record in records.items():
            if "version" in record:
                versions[HEADINGS[framework]] = record["version"]
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "command": " ".join(["python benchmarks/run.py", *argv]),
        "quick": quick,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "threads": THREADS,
        "versions": versions,
    }


def main(argv: Sequence[str] | None = None, progress: Callable[[str], None] | None = None) -> str:
    """Run the suite; print and write the table. Returns the markdown it wrote."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats: a smoke run")
    parser.add_argument("--only", help=f"comma-separated workloads, of {', '.join(ALL)}")
    parser.add_argument("--frameworks", help=f"comma-separated, of {', '.join(FRAMEWORKS)}")
    parser.add_argument("--repeat", type=int, help="repeats per timing (default 7, quick 3)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per worker")
    parser.add_argument(
        "--rounds", type=int, help=f"processes per step workload ({', '.join(STEPS)}; default {STEP_ROUNDS}, quick 1)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(arguments)
    say = progress if progress is not None else lambda line: print(line, file=sys.stderr, flush=True)
    workloads = _choose(args.only, ALL, "workload")
    frameworks = _choose(args.frameworks, FRAMEWORKS, "framework")
    sizes = QUICK if args.quick else FULL

    results: dict[str, dict[str, dict[str, Any]]] = {}
    started = time.perf_counter()
    for workload in workloads:
        if workload in STEPS:
            rounds = args.rounds if args.rounds is not None else 1 if args.quick else STEP_ROUNDS
            runs: dict[str, list[dict[str, Any]]] = {f: [] for f in frameworks}
            for r in range(rounds):
                start = time.perf_counter()
                for framework, record in run_interleaved(workload, frameworks, args.quick, args.repeat, args.timeout).items():
                    runs[framework].append(record)
                    detail = "" if record.get("status") == "ok" else f": {record.get('message')}"
                    say(f"{workload:>12} / {framework:<8} {record.get('status')}{detail} (round {r + 1} of {rounds})")
                say(f"{workload:>12} round {r + 1} of {rounds}: {time.perf_counter() - start:.1f} s")
            results[workload] = {f: merge_rounds(runs[f]) for f in frameworks}
            continue
        for framework in frameworks:
            start = time.perf_counter()
            record = run_one(workload, framework, args.quick, args.repeat, args.timeout)
            results.setdefault(workload, {})[framework] = record
            status = record.get("status")
            detail = "" if status == "ok" else f": {record.get('message')}"
            say(f"{workload:>12} / {framework:<8} {status}{detail} ({time.perf_counter() - start:.1f} s)")
    say(f"done in {time.perf_counter() - started:.0f} s")

    meta = _meta(arguments, args.quick, results)
    markdown = "\n".join(
        [
            table(results, sizes),
            "",
            *(f"- {note}" for note in notes(results)),
            "",
            f"`{meta['command']}` at {meta['commit'] or 'an unknown commit'}, {meta['date']}; "
            f"Python {meta['python']}, {meta['cpu']} ({meta['cores']} cores, one BLAS thread); "
            + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
            + ".",
        ]
    )
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "quick" if args.quick else "latest"
    (args.out / f"{stem}.md").write_text(markdown + "\n")
    (args.out / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    return markdown


def _choose(given: str | None, known: dict[str, Any], what: str) -> list[str]:
    if given is None:
        return list(known)
    chosen = [name.strip() for name in given.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


if __name__ == "__main__":
    main()
