"""Runs the atheris fuzzer of the code verifier for a fixed number of inputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNS = 300_000


def test_coverage_guided_fuzzing_finds_no_crash_and_no_forgery(tmp_path):
    script = Path(__file__).with_name("fuzz_codes.py")
    done = subprocess.run(
        [sys.executable, str(script), f"-runs={RUNS}", "-seed=1", f"-artifact_prefix={tmp_path}/"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {RUNS} runs" in done.stderr
    assert not list(tmp_path.iterdir()), "the fuzzer saved a crashing input"
