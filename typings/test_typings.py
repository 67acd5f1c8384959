"""The type-level tests: mypy --strict must accept typings/pass and typings/reveal, and must
report exactly the errors marked in typings/fail (each misuse carries a
`# type: ignore[code]`; with warn_unused_ignores a check that stops firing is an error)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

HERE = Path(__file__).parent
CONFIG = HERE.parent / "mypy.ini"


@pytest.mark.parametrize("folder", ["pass", "reveal", "fail"])
def test_mypy_on_folder(folder: str) -> None:
    files = sorted(str(p) for p in (HERE / folder).glob("*.py"))
    assert files, f"typings/{folder} holds no cases"
    stdout, stderr, status = api.run(["--config-file", str(CONFIG), *files])
    problems = [line for line in stdout.splitlines() if ": error:" in line or ": note:" in line]
    assert status == 0 and not problems, f"mypy on typings/{folder}:\n{stdout}{stderr}"
