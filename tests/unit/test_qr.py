"""A voucher code's QR code: the version and level docs/CODES.md states, and a simulated
print-and-scan at the size it recommends (a real print cannot be made here)."""

from __future__ import annotations

import json
import random

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from engine.api.qr import QUIET_ZONE, qr_of, svg_of

PRINTER_DPI = 600


def codes(repo_root) -> list[str]:
    vectors = json.loads((repo_root / "schemas" / "code-vectors.json").read_text())["vectors"]
    found = [v["code"] for v in vectors if v.get("code") and len(v["code"]) == 127]
    assert len(found) >= 2
    return found


def test_every_code_is_a_version_6_m_alphanumeric_qr_code(repo_root):
    for code in codes(repo_root):
        qr = qr_of(code)
        assert (qr.designator, qr.mode, qr.symbol_size(border=0)) == (
            "6-M",
            "alphanumeric",
            (41, 41),
        )
        assert svg_of(code).startswith("<svg") and 'viewBox="0 0 49 49"' in svg_of(code)


def printed_then_photographed(code: str, module_mm: float, camera_px_per_mm: float) -> Image.Image:
    """Printed at 600 dpi with grey ink on off-white paper, then photographed: resampled
    to the camera's resolution, tilted 4 degrees, blurred and grainy."""
    qr = qr_of(code)
    px = max(1, round(module_mm / 25.4 * PRINTER_DPI))
    side = (len(qr.matrix) + 2 * QUIET_ZONE) * px
    paper = Image.new("L", (side, side), 235)
    ink = paper.load()
    for r, row in enumerate(qr.matrix):
        for c, dark in enumerate(row):
            if dark:
                for y in range((r + QUIET_ZONE) * px, (r + QUIET_ZONE + 1) * px):
                    for x in range((c + QUIET_ZONE) * px, (c + QUIET_ZONE + 1) * px):
                        ink[x, y] = 40
    mm = side / PRINTER_DPI * 25.4
    photo_side = max(8, round(mm * camera_px_per_mm))
    photo = paper.resize((photo_side, photo_side), Image.BILINEAR)
    photo = photo.rotate(4, resample=Image.BILINEAR, expand=True, fillcolor=235)
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))
    grain = random.Random(code)
    pixels = photo.load()
    for y in range(photo.height):
        for x in range(photo.width):
            pixels[x, y] = max(0, min(255, pixels[x, y] + grain.randint(-25, 25)))
    return photo


def scanned(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("module_mm", [0.4, 0.5])
def test_a_code_printed_at_the_recommended_size_scans(repo_root, module_mm):
    # A phone camera 15-20 cm from a till's counter sees about 8 pixels per millimetre.
    for code in codes(repo_root):
        assert scanned(printed_then_photographed(code, module_mm, 8)) == [code]


def test_a_code_printed_far_too_small_does_not(repo_root):
    # The check can fail: at 0.15 mm a module is 1.2 camera pixels, below what a reader needs.
    code = codes(repo_root)[0]
    assert scanned(printed_then_photographed(code, 0.15, 8)) == []
