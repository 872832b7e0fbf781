"""A short seeded chaos run in this shape (`nuanxin chaos`): faults under load, then every
answer checked against the books. The seeds are picked so each shape meets the broker's
loss, PostgreSQL, the API, a stream worker and Redis (a master, on a cluster)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

SEEDS = {"single": 2, "cluster": 10}


async def test_a_seeded_chaos_run_keeps_every_promise(tmp_path, shape):
    cluster = shape.redis_cluster
    argv = [sys.executable, "-m", "engine.cli.main", "chaos", "--seconds", "60"]
    argv += ["--seed", str(SEEDS["cluster" if cluster else "single"])]
    argv += ["--state-dir", str(tmp_path / "chaos"), "--workers", "300"]
    argv += ["--redis-cluster", str(cluster)] if cluster else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUANXIN_")}
    done = await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: subprocess.run(
            argv, capture_output=True, text=True, timeout=900, env=env, check=False
        ),
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    assert "verdict: every promise held" in report
    assert "faults survived: 0" not in report
