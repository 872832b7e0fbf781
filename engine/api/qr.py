"""A voucher code as a QR code (docs/CODES.md says which version, level and size)."""

from __future__ import annotations

import io

import segno

# Level M (15% of the symbol may be lost) keeps a code at version 6, 41 modules wide: a
# phone screen's glare or a creased print costs less than that.
ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white around the symbol, as the standard asks


def qr_of(code: str) -> segno.QRCode:
    # The 127 symbols are all in QR's alphanumeric set, 5.5 bits each instead of 8.
    return segno.make_qr(code, error=ERROR_LEVEL, mode="alphanumeric", boost_error=False)


def svg_of(code: str) -> str:
    """Without a size of its own, so the page draws it as wide as the screen allows."""
    out = io.BytesIO()
    qr_of(code).save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        xmldecl=False,
        omitsize=True,
        nl=False,
        light="#fff",
        title="voucher code",
    )
    return out.getvalue().decode()
