"""Photos for the inspection tests: a real (tiny) JPEG a browser draws, the same with the
EXIF location and time a phone's camera writes, a PNG, and files that only pretend to be images."""

import base64
import struct
from datetime import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from dealerops.synthetic.images import png_image

# 24 x 16 pixels, drawn by Chromium (canvas.toDataURL("image/jpeg")).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABhY3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAABUAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAAAAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9YWVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAMZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAAoHBwgHBgoICAgLCgoLDhgQDg0NDh0VFhEYIx8lJCIfIiEmKzcvJik0KSEiMEExNDk7Pj4+JS5ESUM8SDc9Pjv/2wBDAQoLCw4NDhwQEBw7KCIoOzs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozs7Ozv/wAARCAAQABgDASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAABgACBP/EABwQAAIBBQEAAAAAAAAAAAAAAAABAgQFB0SS0v/EABcBAAMBAAAAAAAAAAAAAAAAAAIEBQb/xAAbEQACAgMBAAAAAAAAAAAAAAAAAgMhAQQSE//aAAwDAQACEQMRAD8A5pMTvHd4ezRdz8hWTFDyPeFrUXE/Qykb1yZ3WWK/QJSZGJMi0kVBYU//2Q=="
)


def exif_block(latitude: float, longitude: float, taken_at: datetime | None = None) -> bytes:
    """A big-endian TIFF block with a GPS directory (and DateTimeOriginal), as cameras write it."""

    def entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
        return struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\x00")

    def rationals(degrees: float) -> bytes:
        whole = abs(degrees)
        d = int(whole)
        m = int((whole - d) * 60)
        s = round(((whole - d) * 60 - m) * 60 * 1000)
        return struct.pack(">6I", d, 1, m, 1, s, 1000)

    gps_at, exif_at = 38, 140
    ifd0 = struct.pack(">H", 2) + entry(0x8825, 4, 1, struct.pack(">I", gps_at))
    ifd0 += entry(0x8769, 4, 1, struct.pack(">I", exif_at)) + struct.pack(">I", 0)
    gps = struct.pack(">H", 4)
    gps += entry(1, 2, 2, b"N" if latitude >= 0 else b"S")
    gps += entry(2, 5, 3, struct.pack(">I", 92))
    gps += entry(3, 2, 2, b"E" if longitude >= 0 else b"W")
    gps += entry(4, 5, 3, struct.pack(">I", 116)) + struct.pack(">I", 0)
    stamp = (taken_at or datetime(2026, 11, 12, 10, 30)).strftime("%Y:%m:%d %H:%M:%S").encode() + b"\x00"
    exif = struct.pack(">H", 1) + entry(0x9003, 2, 20, struct.pack(">I", 158)) + struct.pack(">I", 0)
    block = (
        b"MM\x00\x2a" + struct.pack(">I", 8) + ifd0 + gps + rationals(latitude) + rationals(longitude) + exif + stamp
    )
    assert len(block) == 178
    return block


def jpeg_with_location(latitude: float, longitude: float, taken_at: datetime | None = None) -> bytes:
    app1 = b"Exif\x00\x00" + exif_block(latitude, longitude, taken_at)
    return JPEG[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + JPEG[2:]


def png(width: int = 4, height: int = 3) -> bytes:
    return png_image(width, height, lambda x, y: (0x80, 0x40, 0x20))


def upload(content: bytes = JPEG, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# A document and a script named as photos, and a JPEG cut short after its header.
NOT_IMAGES = {
    "pdf": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
    "html": b"<html><script>alert(1)</script></html>",
    "truncated jpeg": JPEG[:40],
}
