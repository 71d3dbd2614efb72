"""An application's documents as files: what may be uploaded (PDF, JPEG, PNG, told by their
first bytes rather than by the name or the browser's word), how large, and where they are kept
(under MEDIA_ROOT, named by the application and a random name, never by what the uploader
typed). No URL serves MEDIA_ROOT: a document is read through its scoped page alone."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dealerops.tabular import upload_refusal
from dealerops.uploads import JPEG, PDF, PNG, FileType, sniffed_type

DOCUMENT_TYPES = (PDF, JPEG, PNG)
PHOTO_TYPES = (JPEG, PNG)


def document_type(content: bytes, allowed: tuple[FileType, ...]) -> FileType:
    """The file's type by its content, or a ValidationError on ``file`` saying what is accepted."""
    if not content:
        raise ValidationError({"file": _("The file is empty.")})
    limit = settings.ADMISSION_DOCUMENT_MAX_BYTES
    if len(content) > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s KB; documents up to %(limit)s KB are accepted.")
                % {"size": len(content) // 1024, "limit": limit // 1024}
            }
        )
    if kind := sniffed_type(content, allowed):
        return kind
    names = "/".join(kind.extension.upper() for kind in allowed)
    raise ValidationError({"file": _("Upload a %(types)s file (a scan or a photo).") % {"types": names}})


def document_upload_refusal(request: HttpRequest) -> str | None:
    """Why an upload is refused before its body is read (too large), for the page."""
    return upload_refusal(
        request,
        file_limit=settings.ADMISSION_DOCUMENT_MAX_BYTES,
        message=_("The file is larger than %(limit)s KB, the limit for a document."),
    )


def document_path(instance, filename: str) -> str:
    """``admission/<application>/<random>.<type>``: ``filename`` is the type's extension, set by
    the service; the uploader's own name is kept as data only."""
    return f"admission/{instance.application_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"
