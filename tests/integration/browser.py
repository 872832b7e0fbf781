"""Headless Chromium (Debian's, driven by Playwright) for the page tests, and what the
tests feed it: a camera that films a QR code, and a decoder for what it shows."""

from __future__ import annotations

import io
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import zxingcpp
from PIL import Image
from playwright.async_api import Browser, async_playwright

from engine.api.qr import QUIET_ZONE, qr_of

# Without the background-networking flags Chromium keeps calling out to the internet,
# which this machine refuses, many connections at a time.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    path = shutil.which("chromium")
    assert path, "headless Chromium is needed: apt-get install chromium (./dev test installs it)"
    return path


@asynccontextmanager
async def browser(camera: Path | None = None) -> AsyncIterator[Browser]:
    """`camera`: a Y4M video Chromium shows as the device camera, allowed without asking."""
    flags = list(FLAGS)
    if camera is not None:
        flags += [
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={camera}",
        ]
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium(), args=flags)
        try:
            yield b
        finally:
            await b.close()


def qr_video(code: str, path: Path, width: int = 640, height: int = 480, scale: int = 6) -> Path:
    """A few frames of a camera pointed at the code's QR code (YUV 4:2:0, grey)."""
    matrix = qr_of(code).matrix
    n = len(matrix) + 2 * QUIET_ZONE
    assert n * scale <= min(width, height), "the QR code does not fit the frame"
    luma = bytearray(b"\xff" * (width * height))
    left, top = (width - n * scale) // 2, (height - n * scale) // 2
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x0 = left + (c + QUIET_ZONE) * scale
                for y in range(top + (r + QUIET_ZONE) * scale, top + (r + QUIET_ZONE + 1) * scale):
                    luma[y * width + x0 : y * width + x0 + scale] = b"\x00" * scale
    chroma = b"\x80" * ((width // 2) * (height // 2))
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            f.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


def decoded_qr_codes(png: bytes) -> list[str]:
    """Every QR code zxing-cpp reads in a screenshot."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
