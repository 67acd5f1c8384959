"""The checkpoint benchmark still runs (at a tiny size) and checks what it loaded."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import saving


def test_the_saving_benchmark_runs_and_writes_its_table(tmp_path: Path) -> None:
    markdown = saving.main(["--size-mb", "1", "--repeat", "1", "--dir", str(tmp_path), "--out", str(tmp_path / "out")])
    assert "| pg.save |" in markdown and "| pg.load |" in markdown and "| np.load |" in markdown
    assert "every load gave back the saved arrays" in markdown
    result = json.loads((tmp_path / "out" / "saving.json").read_text())
    assert result["correct"] == {"pg.load": True, "np.load": True, "safetensors load_file": True}
    assert all(rate > 0 for rate in result["mb_per_s"].values())
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # its files are removed
