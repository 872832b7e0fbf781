"""The HTTP servers an ASGI app of the engine can run on, as one command line each.

The API and the benchmarks' baselines start through the same function, so a same-run
comparison always puts both on the same server and event loop (uvloop).
"""

from __future__ import annotations

import sys

SERVERS = ("uvicorn", "granian")


def server_command(server: str, target: str, host: str, port: int, processes: int) -> list[str]:
    """argv serving `target` (a `module:factory` of an ASGI app) on host:port."""
    if server not in SERVERS:
        raise ValueError(f"server must be one of {', '.join(SERVERS)}")
    common = [sys.executable, "-m", server, target, "--factory", "--host", host]
    common += ["--port", str(port), "--workers", str(processes), "--loop", "uvloop"]
    common += ["--log-level", "warning"]
    if server == "uvicorn":
        return [
            *common,
            *("--http", "httptools", "--no-access-log"),
            # Phones and tills reuse connections between taps: longer than the default 5 s.
            *("--timeout-keep-alive", "30", "--timeout-graceful-shutdown", "10"),
            # X-Forwarded-For is the app's to trust or not (NUANXIN_FORWARDED_ALLOW_IPS),
            # the same under either server: uvicorn's own default trusts 127.0.0.1.
            "--no-proxy-headers",
        ]
    return [*common, "--interface", "asgi", "--no-ws", "--workers-kill-timeout", "10"]
