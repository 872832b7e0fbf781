"""Where the page tests keep their pictures."""

from __future__ import annotations

import os
from pathlib import Path

SHOTS = os.environ.get("NUANXIN_SCREENSHOTS")


def shot_path(tmp_path: Path, repo_root: Path, name: str) -> Path:
    return (repo_root / SHOTS / name) if SHOTS else tmp_path / name
