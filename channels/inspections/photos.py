"""Evidence photos: what an uploaded file is, judged by its bytes (never by its name or the
type the browser claims), the location and time the camera wrote into it, and where it is kept.

Images are read by structure, not decoded: a JPEG's segments up to its scan, a PNG's chunks,
a WebP's RIFF chunks, a HEIC's ``ftyp`` box. That is enough to refuse a document or a script
renamed ``.jpg``, and the photo is served back only with the type found here (and
``nosniff``), so a browser never runs it as anything else. The EXIF location of a JPEG, PNG or
WebP is read from its TIFF block; HEIC keeps its EXIF deep in the ISO media boxes and is
accepted without a location."""

import hashlib
import os
import struct
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings

from dealerops.uploads import JPEG, PNG

COORDINATE_PLACES = Decimal("0.000001")
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


class NotAnImage(ValueError):
    """The bytes are not a JPEG, PNG, WebP or HEIC image."""


@dataclass(frozen=True)
class ImageFacts:
    content_type: str
    extension: str
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    taken_at: datetime | None = None  # the camera's clock, as written (no time zone)


def image_facts(content: bytes) -> ImageFacts:
    """The image's type and its EXIF location and time, or NotAnImage."""
    try:
        return _image_facts(content)
    except (struct.error, IndexError) as error:  # a header cut short
        raise NotAnImage("broken image") from error


def _image_facts(content: bytes) -> ImageFacts:
    if content.startswith(JPEG.magic):
        return _with_exif(JPEG.content_type, JPEG.extension, _jpeg_exif(content))
    if content.startswith(PNG.magic):
        return _with_exif(PNG.content_type, PNG.extension, _png_exif(content))
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return _with_exif("image/webp", "webp", _webp_exif(content))
    if content[4:8] == b"ftyp" and _is_heic(content):
        return ImageFacts("image/heic", "heic")
    raise NotAnImage("not an image")


def _with_exif(content_type: str, extension: str, tiff: bytes | None) -> ImageFacts:
    latitude = longitude = taken_at = None
    if tiff:
        # A damaged EXIF block: the photo stands, without a location.
        with suppress(struct.error, IndexError, ValueError, ZeroDivisionError, InvalidOperation):
            latitude, longitude, taken_at = _tiff_facts(tiff)
    return ImageFacts(content_type, extension, latitude, longitude, taken_at)


# -- containers ---------------------------------------------------------------------------------


def _jpeg_exif(content: bytes) -> bytes | None:
    """Walk the segments to the scan: a JPEG has a frame header before its scan and an end
    marker after it (phones may append data past it: a motion photo's video)."""
    position, exif, frame = 2, None, False
    size = len(content)
    while True:
        while position < size and content[position] == 0xFF and position + 1 < size and content[position + 1] == 0xFF:
            position += 1  # fill bytes
        if position + 4 > size or content[position] != 0xFF:
            raise NotAnImage("broken JPEG")
        marker = content[position + 1]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        length = struct.unpack(">H", content[position + 2 : position + 4])[0]
        if length < 2 or position + 2 + length > size:
            raise NotAnImage("broken JPEG")
        body = content[position + 4 : position + 2 + length]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00") and exif is None:
            exif = body[6:]
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            frame = True
        elif marker == 0xDA:
            if not frame or content.find(b"\xff\xd9", position) == -1:
                raise NotAnImage("broken JPEG")
            return exif
        position += 2 + length


def _png_exif(content: bytes) -> bytes | None:
    position, exif, seen = 8, None, []
    while position + 12 <= len(content):
        length, kind = struct.unpack(">I4s", content[position : position + 8])
        if position + 12 + length > len(content):
            raise NotAnImage("broken PNG")
        if not seen and (kind != b"IHDR" or length != 13):
            raise NotAnImage("broken PNG")
        seen.append(kind)
        if kind == b"eXIf":
            exif = content[position + 8 : position + 8 + length]
        if kind == b"IEND":
            if b"IDAT" not in seen:
                raise NotAnImage("broken PNG")
            return exif
        position += 12 + length
    raise NotAnImage("broken PNG")


def _webp_exif(content: bytes) -> bytes | None:
    position, exif, image = 12, None, False
    end = min(len(content), 8 + struct.unpack("<I", content[4:8])[0])
    while position + 8 <= end:
        kind, length = struct.unpack("<4sI", content[position : position + 8])
        if position + 8 + length > end:
            raise NotAnImage("broken WebP")
        if kind in (b"VP8 ", b"VP8L", b"VP8X"):
            image = True
        elif kind == b"EXIF":
            exif = content[position + 8 : position + 8 + length]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        position += 8 + length + (length & 1)
    if not image:
        raise NotAnImage("broken WebP")
    return exif


def _is_heic(content: bytes) -> bool:
    box_size = struct.unpack(">I", content[:4])[0]
    if box_size < 16 or box_size > min(len(content), 4096):
        return False
    brands = [content[8:12]] + [content[i : i + 4] for i in range(16, box_size, 4)]
    return any(brand in HEIC_BRANDS for brand in brands)


# -- EXIF (TIFF) --------------------------------------------------------------------------------

TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
GPS_IFD, EXIF_IFD, DATE_TIME_ORIGINAL = 0x8825, 0x8769, 0x9003


def _tiff_facts(tiff: bytes) -> tuple[Decimal | None, Decimal | None, datetime | None]:
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or struct.unpack(f"{order}H", tiff[2:4])[0] != 42:
        raise ValueError("not a TIFF block")
    reader = _Ifds(tiff, order)
    first = reader.read(struct.unpack(f"{order}I", tiff[4:8])[0])
    latitude = longitude = taken_at = None
    if GPS_IFD in first:
        gps = reader.read(reader.long(first[GPS_IFD]))
        latitude = _degrees(reader, gps, 2, 1, b"S")
        longitude = _degrees(reader, gps, 4, 3, b"W")
        if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
            latitude = longitude = None  # no fix: some cameras write zeros
        elif not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            latitude = longitude = None
    if EXIF_IFD in first:
        exif = reader.read(reader.long(first[EXIF_IFD]))
        if DATE_TIME_ORIGINAL in exif:
            text = reader.value(exif[DATE_TIME_ORIGINAL]).split(b"\x00", 1)[0].decode("ascii", "replace")
            try:
                taken_at = datetime.strptime(text.strip(), "%Y:%m:%d %H:%M:%S")
            except ValueError:
                taken_at = None
    return latitude, longitude, taken_at


class _Ifds:
    """Entries of a TIFF block's image file directories: tag → (type, count, raw value field)."""

    def __init__(self, tiff: bytes, order: str) -> None:
        self.tiff, self.order = tiff, order

    def read(self, offset: int) -> dict[int, tuple[int, int, bytes]]:
        (count,) = struct.unpack(f"{self.order}H", self.tiff[offset : offset + 2])
        entries = {}
        for index in range(min(count, 512)):
            start = offset + 2 + 12 * index
            tag, kind, number = struct.unpack(f"{self.order}HHI", self.tiff[start : start + 8])
            entries[tag] = (kind, number, self.tiff[start + 8 : start + 12])
        return entries

    def value(self, entry: tuple[int, int, bytes]) -> bytes:
        kind, number, field = entry
        size = TYPE_SIZES.get(kind, 1) * number
        if size <= 4:
            return field[:size]
        (offset,) = struct.unpack(f"{self.order}I", field)
        if offset + size > len(self.tiff):
            raise ValueError("EXIF value past the block")
        return self.tiff[offset : offset + size]

    def long(self, entry: tuple[int, int, bytes]) -> int:
        return struct.unpack(f"{self.order}I", entry[2])[0]

    def rationals(self, entry: tuple[int, int, bytes]) -> list[Decimal]:
        data = self.value(entry)
        pairs = struct.unpack(f"{self.order}{2 * entry[1]}I", data)
        return [Decimal(pairs[i]) / Decimal(pairs[i + 1]) for i in range(0, len(pairs), 2)]


def _degrees(reader: _Ifds, gps: dict, value_tag: int, ref_tag: int, negative: bytes) -> Decimal | None:
    if value_tag not in gps or ref_tag not in gps or gps[value_tag][0] != 5 or gps[value_tag][1] != 3:
        return None
    degrees, minutes, seconds = reader.rationals(gps[value_tag])
    value = degrees + minutes / 60 + seconds / 3600
    if reader.value(gps[ref_tag])[:1] == negative:
        value = -value
    return value.quantize(COORDINATE_PLACES, rounding=ROUND_HALF_UP)


# -- storage ------------------------------------------------------------------------------------


def photo_path(stored_as: str) -> Path:
    """Where a stored photo lies: under MEDIA_ROOT, which no URL serves."""
    return Path(settings.MEDIA_ROOT) / stored_as


def photo_write(*, content: bytes, dealer_id: int, extension: str) -> str:
    """Write the photo under a random name in its dealer's folder (whole, or not at all);
    returns the name to store."""
    stored_as = f"inspections/{dealer_id}/{uuid.uuid4().hex}.{extension}"
    path = photo_path(stored_as)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return stored_as


def photo_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
