"""What every command shares: the console, the state folder option and the settings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from engine.settings import Settings

console = Console(stderr=True)

StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="NUANXIN_STATE_DIR", help="Local stack folder.")
]
DEFAULT_STATE = Path(".nuanxin")
RedisCluster = Annotated[
    int, typer.Option(help="a local Redis Cluster of this many masters (0: one Redis)")
]
RedisReplicas = Annotated[int, typer.Option(help="replicas of each cluster master")]


def load_env_file(state_dir: Path) -> None:
    """Export stack.env into this process; variables already set win."""
    env_file = state_dir / "stack.env"
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            name, sep, value = line.partition("=")
            if sep and name.startswith("NUANXIN_"):
                os.environ.setdefault(name, value)


def settings_for(state_dir: Path) -> Settings:
    load_env_file(state_dir)
    return Settings()


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
