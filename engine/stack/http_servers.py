"""The HTTP servers an ASGI app of the engine can run on, as one command line each.

The API and the benchmarks' baselines start through the same function, so a same-run
comparison always puts both on the same server and event loop (uvloop).
"""

from __future__ import annotations

import sys

SERVERS = ("uvicorn", "granian")


def server_command(server: str, target: str, host: str, port: int, processes: int) -> list[str]:
    """argv serving `target` (a `module:factory` of an ASGI app) on host:port."""
    if server == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--factory",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
            # Phones and tills reuse connections between taps: longer than the default 5 s.
            "--timeout-keep-alive",
            "30",
            "--timeout-graceful-shutdown",
            "10",
            # X-Forwarded-For is the app's to trust or not (NUANXIN_FORWARDED_ALLOW_IPS),
            # the same under either server: uvicorn's own default trusts 127.0.0.1.
            "--no-proxy-headers",
        ]
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            target,
            "--factory",
            "--interface",
            "asgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            str(processes),
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--no-ws",
            "--workers-kill-timeout",
            "10",
        ]
    raise ValueError(f"server must be one of {', '.join(SERVERS)}")
