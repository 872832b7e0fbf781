"""Generate the clients an app developer would: Python with openapi-python-client, and
TypeScript types with openapi-typescript (from the pinned npm packages beside this)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
OPENAPI = ROOT / "schemas" / "openapi.json"


def run(*argv: str | Path, cwd: Path = HERE) -> subprocess.CompletedProcess[str]:
    # The caller asserts on the exit status and shows the output.
    argv_text = [str(a) for a in argv]
    return subprocess.run(
        argv_text, check=False, cwd=cwd, capture_output=True, text=True, timeout=300
    )


def python_client(out: Path) -> Path:
    """The package `nuanxin_client` in `out`, with flow.py beside it."""
    generator = Path(sys.executable).parent / "openapi-python-client"
    made = run(
        generator, "generate", "--path", OPENAPI, "--output-path", out / "nuanxin_client",
        "--meta", "none", "--config", HERE / "openapi-python-client.yaml", "--overwrite",
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Warning" not in made.stdout, made.stdout  # nothing of the contract left out
    shutil.copy(HERE / "flow.py", out / "flow.py")
    return out


_installed: list[Path] = []


def node_tool(name: str) -> Path:
    """A command of the pinned npm packages (package-lock.json): `./dev test` installs
    them beforehand; run without it, they are installed here once."""
    if not _installed and (HERE / "node_modules" / ".nuanxin-installed").exists():
        _installed.append(HERE / "node_modules" / ".bin")
    if not _installed:
        npm = shutil.which("npm")
        assert npm, "Node.js and npm are needed: apt-get install nodejs npm (./dev test does)"
        installed = run(npm, "ci", "--no-audit", "--no-fund")
        assert installed.returncode == 0, installed.stdout + installed.stderr
        _installed.append(HERE / "node_modules" / ".bin")
    return _installed[0] / name


def typescript_types() -> Path:
    (HERE / "generated").mkdir(exist_ok=True)
    out = HERE / "generated" / "schema.d.ts"
    made = run(node_tool("openapi-typescript"), OPENAPI, "-o", out)
    assert made.returncode == 0, made.stdout + made.stderr
    return out
