"""QR codes of the lead pages (segno: pure Python, no image library): an SVG drawn inline on
the pages and a PNG to print."""

import io

import segno


def qr_svg(url: str, *, scale: int = 4) -> str:
    """The QR code of ``url`` as an inline ``<svg>`` element (medium error correction: a
    poster may be creased or partly covered)."""
    return segno.make(url, error="m").svg_inline(scale=scale, dark="#111827", light="#ffffff")


def qr_png(url: str, *, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
