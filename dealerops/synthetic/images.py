"""Small PNG images for the demo network's photos and scans: a few lines of zlib, so the
generator needs no imaging library."""

import struct
import zlib
from collections.abc import Callable

from dealerops.uploads import PNG

Colour = tuple[int, int, int]


def png_image(width: int, height: int, colour: Callable[[int, int], Colour]) -> bytes:
    """An RGB PNG whose pixel (x, y) has ``colour(x, y)``."""
    rows = b"".join(b"\x00" + bytes(channel for x in range(width) for channel in colour(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG.magic + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
