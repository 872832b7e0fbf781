"""Starting, probing and stopping the local servers. Knows nothing about the engine."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class StackError(RuntimeError):
    """A local server could not be started; the message says what to do."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); its state in /proc says it is gone.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    return True


def require_binary(name: str, debian_package: str, candidates: tuple[str, ...] = ()) -> str:
    for path in (*candidates, shutil.which(name)):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return str(path)
    raise StackError(f"'{name}' was not found. Install it with: apt-get install {debian_package}")


def spawn(
    argv: list[str], log_path: Path, user: str | None = None, env: dict[str, Any] | None = None
) -> subprocess.Popen[bytes]:
    """Start a server in its own session so it outlives the command that started it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    kwargs: dict[str, Any] = {}
    if user is not None:
        entry = pwd.getpwnam(user)
        kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    try:
        return subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            **kwargs,
        )
    finally:
        log.close()


def run_as(argv: list[str], user: str | None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    extra: dict[str, Any] = {}
    if user is not None:
        entry = pwd.getpwnam(user)
        extra.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    return subprocess.run(argv, check=True, capture_output=True, text=True, **extra, **kwargs)


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
    raise StackError(f"{what} did not answer within {timeout_s:.0f}s. Log {log_path}:\n{tail}")


def stop(pid: int, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> bool:
    """Ask politely, wait, then SIGKILL (the local broker sometimes ignores SIGTERM)."""
    if not alive(pid):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True
