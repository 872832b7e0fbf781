"""Flame graphs of the engine's processes while a generator drives them (`--profile`).

py-spy samples each process from outside (no change to the code measured) and writes an
SVG when it is interrupted; uvicorn's and faust's child processes are followed.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

# Samples per second: enough for a 30 s run to show every cost above 1%, little enough to
# leave the profiled process its core.
RATE_HZ = 97


def py_spy() -> str:
    """The py-spy installed beside this interpreter (the dev extra), else on PATH."""
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if on_path is None:
        raise RuntimeError("--profile needs py-spy: install the project's dev extra")
    return on_path


class Profiles:
    """One py-spy per process group's root, from `start()` until `stop()`; the SVGs are
    `flame-<run>-<group>-<n>.svg` in `out`."""

    def __init__(self, run: str, groups: dict[str, list[int]], out: Path) -> None:
        self.run, self.groups, self.out = run, groups, out
        self.recorders: list[tuple[Path, subprocess.Popen[bytes]]] = []

    def start(self) -> Profiles:
        binary, slug = py_spy(), self.run.replace(" ", "-").replace(",", "")
        for group, pids in self.groups.items():
            for n, pid in enumerate(pids):
                svg = self.out / f"flame-{slug}-{group}-{n}.svg"
                argv = [binary, "record", "--pid", str(pid), "--subprocesses", "--nonblocking"]
                argv += ["--rate", str(RATE_HZ), "--format", "flamegraph", "--output", str(svg)]
                log = (self.out / f"{svg.stem}.log").open("wb")
                process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
                self.recorders.append((svg, process))
        return self

    def stop(self) -> list[Path]:
        """Interrupt every recorder (py-spy writes its graph then) and answer the graphs."""
        for _, process in self.recorders:
            process.send_signal(signal.SIGINT)
        written = []
        for svg, process in self.recorders:
            process.wait(60)
            if svg.exists():
                written.append(svg)
        return written
