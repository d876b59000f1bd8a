"""The benchmark code runs (on a tiny dataset): `make bench` measures at national scale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import PROJECT


def test_benchmarks_run_on_a_tiny_dataset(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--tiny", "--out", str(out)],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    text = out.read_text()
    for measure in (
        "faster than a per-answer Python loop",
        "against read + numpy bincount",
        "Page rerun, warm: compare",
        "Concurrent submissions lost",
    ):
        assert measure in text
    assert "| Concurrent submissions lost | 0 |" in text
    # Every panel event's members got through: a change to sign-in once broke the benchmark's
    # members (no browser cookie) and only the figures showed it.
    events = [line for line in text.splitlines() if "p95 per interaction (slowest) |" in line]
    assert events and all(", 0 errors, 0 lost |" in line for line in events), events
