"""What an uploaded file is, told by its first bytes (never by its name or the type the browser
claims): the one list of the signatures the portal accepts, for the documents of a dealer's
application and the photos of an inspection alike."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    extension: str
    content_type: str
    magic: bytes  # the bytes a file of the type starts with


PDF = FileType("pdf", "application/pdf", b"%PDF-")
JPEG = FileType("jpg", "image/jpeg", b"\xff\xd8\xff")
PNG = FileType("png", "image/png", b"\x89PNG\r\n\x1a\n")


def sniffed_type(content: bytes, allowed: tuple[FileType, ...]) -> FileType | None:
    """The first of ``allowed`` whose signature ``content`` starts with, or None."""
    return next((kind for kind in allowed if content.startswith(kind.magic)), None)
