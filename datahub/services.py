"""Importing a dealer's file (or head office's file of the whole network, for no dealer):
upload, check (nothing written), confirm, write.

The check reads every cell, looks up the records the rows name in a few set-based queries,
and stores each row's result (create, update, unchanged, or its errors by column) for the
preview. Confirming writes the file whole in one transaction, after checking it again inside
that transaction (the database may have changed since the preview): if any row has become
invalid, nothing is written and the new errors are shown. Rows already as the file says are
not written at all, so importing the same file twice changes nothing.

Every write runs in a pghistory context naming the import and the user who confirmed it, so
each record's audit trail says which import it came from; the kinds record their events
set-based (dealerops.bulk_history) rather than by a trigger per row.
"""

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Dealer
from datahub.kinds import SPECS
from datahub.kinds.base import CheckedRow, Field, ImportSpec
from datahub.models import (
    ColumnMapping,
    HeldUpload,
    ImportBatch,
    ImportKind,
    ImportRow,
    ImportStatus,
    RowAction,
    SourceKind,
)
from dealerops.access import can_write, writable_dealers
from dealerops.bulk import bulk_insert
from dealerops.bulk_history import history_in_bulk
from dealerops.leases import abandoned_release, heartbeat_text, lease_kept
from dealerops.models import User
from dealerops.tabular import (
    Formula,
    SpreadsheetTooLarge,
    is_blank_row,
    is_csv,
    normalise_header,
    spreadsheet_rows,
    upload_refusal,
)

HEADER_SEARCH_ROWS = 10  # title rows a system may put above the header
PROGRESS_EVERY = 10_000  # rows between two progress updates of a background check
MAX_SHOWN_CHARS = 200  # of a cell kept for the preview and the error download
HELD_UPLOAD_KEPT_FOR = timedelta(days=1)  # a file kept from a refused upload form


@dataclass
class CheckResult:
    rows: list[CheckedRow]
    headers: dict[str, str]  # field -> the file's header text
    file_headers: list[str]
    file_errors: list[str]
    named: list[int] = dataclasses.field(default_factory=list)  # positions of the file's named headers

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def import_upload_refusal(request: HttpRequest) -> str | None:
    """Why an import upload is refused before it is read (too large), for the page and the API."""
    return upload_refusal(
        request,
        file_limit=settings.IMPORT_MAX_BYTES,
        message=_("The file is larger than %(limit)s KB, the limit for an import."),
    )


def import_refusals(*, user: User, kind: str, dealer_id: int | None) -> dict[str, str]:
    """Why ``user`` may not import a file of ``kind`` for the dealer ``dealer_id``, by field (empty when they
    may): a dealer's kind for a dealer they enter records for; a network kind for no dealer,
    by the writers of what it writes (head office)."""
    spec = SPECS.get(kind)
    if spec is None:
        return {"kind": _("Choose what the file holds.")}
    if spec.network_model is not None:
        if not can_write(user, spec.network_model):
            return {
                "kind": _("%(kind)s are the whole network's, not a dealer's: head office imports them.")
                % {"kind": ImportKind(kind).label}
            }
        if dealer_id is not None:
            return {
                "dealer": _("%(kind)s are the whole network's: leave the dealer empty.")
                % {"kind": ImportKind(kind).label}
            }
        return {}
    if dealer_id is None:
        return {"dealer": _("Choose the dealer whose file this is.")}
    if not writable_dealers(user).filter(pk=dealer_id).exists():
        return {"dealer": _("You cannot import data for this dealer.")}
    return {}


def importable_kinds(user: User) -> list[str]:
    """The kinds of file ``user`` may import, in ``SPECS``'s order: a network kind only for the
    writers of what it writes (head office); a dealer's kind for whoever imports (the pages
    and the API let only the writers of imports upload)."""
    return [kind for kind, spec in SPECS.items() if spec.network_model is None or can_write(user, spec.network_model)]


def import_batch_upload(
    *,
    user: User,
    dealer: Dealer | None,
    kind: str,
    source: str,
    system_name: str,
    file_name: str,
    content: bytes,
) -> ImportBatch:
    """Store an uploaded file for ``dealer`` (None for a network kind); the caller then starts
    its check. The column mapping saved for the dealer's source system and kind, if any, is
    applied (a network file has none: mappings are saved per dealer)."""
    errors = import_refusals(user=user, kind=kind, dealer_id=dealer.pk if dealer is not None else None)
    if source not in SourceKind.values:
        errors["source"] = _("Choose the kind of system the file comes from.")
    system_name = system_name.strip()
    if not system_name or not system_name.isprintable():
        errors["system_name"] = _("Name the system the file was exported from (e.g. DMS 9).")
    if refusal := _content_refusal(content):
        errors["file"] = refusal
    if errors:
        raise ValidationError(errors)
    if is_csv(file_name, content):
        _refuse_too_large(file_name, content)
    saved = (
        ColumnMapping.objects.filter(dealer=dealer, system_name=system_name, kind=kind).first()
        if dealer is not None
        else None
    )
    HeldUpload.objects.filter(user=user).delete()  # a file held for this form is uploaded now
    return ImportBatch.objects.create(
        dealer=dealer,
        kind=kind,
        source=source,
        system_name=system_name[:64],
        file_name=file_name[:255],
        content=content,
        file_sha256=hashlib.sha256(content).hexdigest(),
        columns=saved.columns if saved else {},
        created_by=user,
    )


def _content_refusal(content: bytes) -> str | None:
    if len(content) > settings.IMPORT_MAX_BYTES:
        return _("The file is %(size)s KB; imports up to %(limit)s KB are accepted.") % {
            "size": len(content) // 1024,
            "limit": settings.IMPORT_MAX_BYTES // 1024,
        }
    if not content:
        return _("The file is empty.")
    return None


def import_batch_replace(*, batch: ImportBatch, user: User, file_name: str, content: bytes) -> ImportBatch:
    """Put a corrected file in place of a checked batch's file (same import, same column
    mapping); the caller starts its check, as after an upload."""
    _ensure_open(batch, user)
    if refusal := _content_refusal(content):
        raise ValidationError({"file": refusal})
    ImportBatch.objects.filter(pk=batch.pk).update(
        file_name=file_name[:255],
        content=content,
        file_sha256=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.VALIDATING,
        rows_checked=0,
        error="",
        heartbeat_at=None,
        lease_expires_at=None,
    )
    batch.refresh_from_db()
    return batch


def held_upload_keep(*, user: User, file_name: str, content: bytes) -> HeldUpload:
    """Keep a chosen file while the rest of its form is corrected; it replaces the user's
    previous one (a user holds one file at a time), and files left for a day are let go."""
    HeldUpload.objects.filter(Q(user=user) | Q(created_at__lt=timezone.now() - HELD_UPLOAD_KEPT_FOR)).delete()
    return HeldUpload.objects.create(user=user, file_name=file_name[:255], content=content)


def held_upload_find(*, user: User, token: str) -> HeldUpload | None:
    """The user's held file by its token (another user's token finds nothing)."""
    try:
        return HeldUpload.objects.filter(user=user, token=token).first()
    except ValidationError:  # not a UUID
        return None


def _refuse_too_large(file_name: str, content: bytes) -> None:
    """Refuse at upload a CSV with a row or cell past the upload limits (a CSV reads in a moment;
    an XLSX's are found by its check and shown as the import's file errors). The file's other
    faults are left to the check, which shows them on the import's page."""
    try:
        rows = spreadsheet_rows(
            content=content,
            file_name=file_name,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_unpacked_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
        )
        for _row in rows:
            pass
    except SpreadsheetTooLarge:
        raise
    except ValidationError:
        return


def runs_in_background(batch: ImportBatch) -> bool:
    """Large files are checked and written by a Celery task; the page shows progress."""
    return len(batch.content) >= settings.IMPORT_BACKGROUND_MIN_BYTES


def import_batch_check(*, batch_id: int) -> ImportBatch:
    """Check every row of the file and store the results for the preview. Writes nothing but
    the batch's own rows; can be run again (after a new column mapping, say)."""
    batch = ImportBatch.objects.select_related("dealer").get(pk=batch_id)
    with lease_kept(ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.VALIDATING)):
        result = _check(batch, report_progress=True)
        _store_result(batch, result)
    return batch


def import_batch_remap(*, batch: ImportBatch, user: User, columns: dict[str, str]) -> ImportBatch:
    """Use another column mapping (field -> header text); the caller starts the new check
    (``datahub.dispatch.import_check_start``: a large file is checked in the background)."""
    _ensure_open(batch, user)
    spec = SPECS[batch.kind]
    known = {field.name for field in spec.fields}
    mapping = {field: header for field, header in columns.items() if field in known and header}
    # No lease until the check starts: a check waiting for a worker has not died.
    ImportBatch.objects.filter(pk=batch.pk).update(
        columns=mapping, status=ImportStatus.VALIDATING, heartbeat_at=None, lease_expires_at=None
    )
    batch.refresh_from_db()
    return batch


def column_mapping_save(*, batch: ImportBatch, user: User) -> ColumnMapping:
    """Save the batch's mapping for its dealer's source system and kind: the next file from
    that system maps itself. A network file's mapping is not saved (mappings are a dealer's)."""
    _ensure_open(batch, user, statuses=None)
    if batch.dealer_id is None:
        raise ValidationError(_("Columns are saved for a dealer's system: a file of the whole network keeps none."))
    mapping, _created = ColumnMapping.objects.update_or_create(
        dealer=batch.dealer,
        system_name=batch.system_name,
        kind=batch.kind,
        defaults={"columns": batch.columns},
    )
    return mapping


def import_batch_confirm(*, batch: ImportBatch, user: User) -> ImportBatch:
    """Claim a checked, error-free batch for writing (once: two clicks write once)."""
    batch = _with_abandoned_work_failed(batch)
    _ensure_open(batch, user)
    claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.READY).update(
        status=ImportStatus.IMPORTING,
        confirmed_by=user,
        confirmed_at=timezone.now(),
        error="",
        heartbeat_at=None,  # no lease until the write starts
        lease_expires_at=None,
    )
    if not claimed:
        batch.refresh_from_db()
        if batch.status == ImportStatus.INVALID:
            raise ValidationError(_("The file has errors: correct them and upload it again."))
        raise ValidationError(_("This import is %(status)s.") % {"status": batch.get_status_display().lower()})
    batch.refresh_from_db()
    return batch


def import_batch_cancel(*, batch: ImportBatch, user: User) -> ImportBatch:
    batch = _with_abandoned_work_failed(batch)
    _ensure_open(batch, user)
    ImportBatch.objects.filter(pk=batch.pk, status__in=[ImportStatus.READY, ImportStatus.INVALID]).update(
        status=ImportStatus.CANCELLED, finished_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def import_batch_write(*, batch_id: int) -> ImportBatch:
    """Write a confirmed batch whole, or nothing. Idempotent: a batch not in "importing" is
    left as it is, and a crash half-way rolls the transaction back."""
    batch = ImportBatch.objects.select_related("dealer").get(pk=batch_id)
    if batch.status != ImportStatus.IMPORTING:
        return batch
    spec_class = SPECS[batch.kind]
    metadata = {"import_batch": batch.pk, "user": batch.confirmed_by_id}
    try:
        # The trigger suspension wraps the transaction: it tidies up after it has ended.
        with (
            lease_kept(ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.IMPORTING)),
            history_in_bulk(*spec_class.audited_in_bulk, **metadata) as history,
            transaction.atomic(),
        ):
            # One import of a dealer at a time (of the network's files, key 0): the second sees
            # the first's rows when it checks.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('datahub.import'), %s)", [batch.dealer_id or 0])
            result = _check(batch, report_progress=False)
            if result.file_errors or result.count(RowAction.ERROR):
                raise _ChangedSincePreview(result)
            spec = spec_class(batch.dealer, result.headers)
            spec.history = history
            spec.written_by = batch.confirmed_by
            changed = [row for row in result.rows if row.action in (RowAction.CREATE, RowAction.UPDATE)]
            if changed:
                spec.write(changed)
    except _ChangedSincePreview as changed_since:
        _store_result(batch, changed_since.result)
        ImportBatch.objects.filter(pk=batch.pk).update(
            error=_("The data changed after the preview and some rows are no longer valid: nothing was written.")
        )
    except (IntegrityError, DatabaseError) as error:
        # A rule only the database checks (a trigger, a constraint): report it, write nothing.
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED,
            finished_at=timezone.now(),
            error=_("The database refused the import, nothing was written: %(error)s")
            % {"error": str(error).splitlines()[0]},
        )
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTED, finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


def import_batches_fail_abandoned(*, batches: QuerySet | None = None) -> int:
    """Release the imports (of ``batches``, or all) whose check or write stopped renewing its
    lease: the process died mid-way, and the import would stay "checking" or "importing",
    refusing confirm and cancel. A write's transaction died with it, so nothing was written:
    the import is ready to confirm again. A check is failed (upload the file again). Returns
    how many were released."""
    running = (batches if batches is not None else ImportBatch.objects.all()).filter(
        status__in=(ImportStatus.VALIDATING, ImportStatus.IMPORTING)
    )
    return abandoned_release(running, _abandoned_import_release)


def _abandoned_import_release(status: str, heartbeat_at: datetime | None) -> dict[str, Any]:
    if status == ImportStatus.IMPORTING:
        return {
            "status": ImportStatus.READY,
            "confirmed_by": None,
            "confirmed_at": None,
            "error": _(
                "The import stopped at %(time)s: the worker writing it stopped responding, and nothing was "
                "written. Confirm it again to retry."
            )
            % {"time": heartbeat_text(heartbeat_at)},
        }
    return {
        "status": ImportStatus.FAILED,
        "finished_at": timezone.now(),
        "error": _(
            "The check stopped at %(time)s: the worker checking the file stopped responding. Upload the file again."
        )
        % {"time": heartbeat_text(heartbeat_at)},
    }


def _with_abandoned_work_failed(batch: ImportBatch) -> ImportBatch:
    if import_batches_fail_abandoned(batches=ImportBatch.objects.filter(pk=batch.pk)):
        batch.refresh_from_db()
    return batch


class _ChangedSincePreview(Exception):
    def __init__(self, result: CheckResult) -> None:
        super().__init__("rows became invalid after the preview")
        self.result = result


OPEN_STATUSES = (ImportStatus.READY, ImportStatus.INVALID)


def _ensure_open(batch: ImportBatch, user: User, statuses: tuple[str, ...] | None = OPEN_STATUSES) -> None:
    if refusals := import_refusals(user=user, kind=batch.kind, dealer_id=batch.dealer_id):
        raise ValidationError(list(refusals.values()))
    if statuses is not None and batch.status not in statuses:
        raise ValidationError(_("This import is %(status)s.") % {"status": batch.get_status_display().lower()})


# -- the check ---------------------------------------------------------------------------------


def _check(batch: ImportBatch, *, report_progress: bool) -> CheckResult:
    spec_class = SPECS[batch.kind]
    try:
        rows = spreadsheet_rows(
            content=bytes(batch.content),
            file_name=batch.file_name,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_unpacked_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
        )
        all_rows = list(rows)
    except ValidationError as error:
        return CheckResult([], {}, [], _messages(error))
    found = _find_header(spec_class, all_rows, batch.columns)
    if isinstance(found, CheckResult):
        return found
    header_index, positions, headers, file_headers = found
    # The cells under the file's named headers, kept for a row with errors (its download).
    named = [index for index, cell in enumerate(all_rows[header_index][1]) if cell is not None and str(cell).strip()]
    spec = spec_class(batch.dealer, headers)
    spec.written_by = batch.confirmed_by or batch.created_by
    data = [(number, cells) for number, cells in all_rows[header_index + 1 :] if not is_blank_row(cells)]
    if report_progress:
        ImportBatch.objects.filter(pk=batch.pk).update(rows_total=len(data), rows_checked=0)
    checked: list[CheckedRow] = []
    first_row_of: dict[str, int] = {}
    fields = [field for field in spec_class.fields if field.name in positions]
    for count, (number, cells) in enumerate(data, start=1):
        row = CheckedRow(number, {}, cells=cells)
        for field in fields:
            index = positions[field.name]
            cell = cells[index] if index < len(cells) else None
            if isinstance(cell, Formula):
                row.error(
                    headers[field.name],
                    _("a formula (%(formula)s) is not a value: paste the values into the sheet.")
                    % {"formula": cell.text[:40]},
                )
                row.unread[field.name] = cell_text_of(cell)
                continue
            try:
                row.values[field.name] = field.read(cell)
            except ValueError as error:
                row.error(headers[field.name], str(error))
                row.unread[field.name] = cell_text_of(cell)
        if row.errors:
            # A row that cannot be read still names its record, as the file does.
            key = row.values.get(spec.natural_key, row.unread.get(spec.natural_key, ""))
            row.natural_key = "" if key is None else str(key)
        else:
            row.natural_key = spec.key(row.values)
            earlier = first_row_of.setdefault(row.natural_key, number)
            if earlier != number:
                row.error(
                    spec.column(spec.natural_key),
                    _("%(key)s is already on row %(row)s.") % {"key": row.natural_key, "row": earlier},
                )
        checked.append(row)
        if report_progress and count % PROGRESS_EVERY == 0:
            ImportBatch.objects.filter(pk=batch.pk).update(rows_checked=count)
    valid = [row for row in checked if not row.errors]
    if valid:
        spec.resolve(valid)
    if not checked:
        return CheckResult([], headers, file_headers, [_("The file has a header but no rows.")])
    return CheckResult(checked, headers, file_headers, [], named)


def _find_header(
    spec_class: type[ImportSpec], rows: list[tuple[int, list[Any]]], columns: dict[str, str]
) -> tuple[int, dict[str, int], dict[str, str], list[str]] | CheckResult:
    """The header row: the first of the top rows that names every required field, by the
    chosen mapping or else by the known spellings."""
    best: tuple[int, list[str], set[str]] | None = None
    seen = 0
    for index, (number, cells) in enumerate(rows):
        if is_blank_row(cells):
            continue
        seen += 1
        if seen > HEADER_SEARCH_ROWS:
            break
        texts = ["" if cell is None else str(cell).strip() for cell in cells]
        positions = _positions(spec_class, texts, columns)
        if best is None or len(positions) > len(best[2]):
            best = (number, texts, set(positions))
        if all(field.name in positions for field in spec_class.fields if field.required):
            headers = {name: texts[position] for name, position in positions.items()}
            return index, positions, headers, [text for text in texts if text]
    if best is None:
        return CheckResult([], {}, [], [_("The file is empty.")])
    number, texts, found = best
    missing = [str(field.label) for field in spec_class.fields if field.required and field.name not in found]
    return CheckResult(
        [],
        {},
        [text for text in texts if text],
        [
            _("Row %(row)s: no column found for %(missing)s. Choose the columns below, or rename the headers.")
            % {"row": number, "missing": ", ".join(missing)}
        ],
    )


def _positions(spec_class: type[ImportSpec], texts: list[str], columns: dict[str, str]) -> dict[str, int]:
    normalised = [normalise_header(text) for text in texts]
    positions: dict[str, int] = {}
    for field in spec_class.fields:
        wanted = {normalise_header(columns[field.name])} if field.name in columns else field.spellings()
        for index, text in enumerate(normalised):
            if text and text in wanted and index not in positions.values():
                positions[field.name] = index
                break
    return positions


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [str(message) for messages in error.message_dict.values() for message in messages]
    return [str(message) for message in error.messages]


def _store_result(batch: ImportBatch, result: CheckResult) -> None:
    """Replace the batch's checked rows with ``result`` and set its counts and status."""
    with transaction.atomic():
        ImportRow.objects.filter(batch=batch).delete()
        bulk_insert(ImportRow, _import_rows(batch, result))
        errors = result.count(RowAction.ERROR)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.INVALID if errors or result.file_errors else ImportStatus.READY,
            columns=result.headers or batch.columns,
            file_headers=result.file_headers,
            file_errors=result.file_errors,
            rows_total=len(result.rows),
            rows_checked=len(result.rows),
            rows_create=result.count(RowAction.CREATE),
            rows_update=result.count(RowAction.UPDATE),
            rows_unchanged=result.count(RowAction.UNCHANGED),
            rows_error=errors,
            error="",
        )
    batch.refresh_from_db()


def _import_rows(batch: ImportBatch, result: CheckResult) -> list[dict[str, Any]]:
    fields = SPECS[batch.kind].fields
    memo: dict[tuple[str, Any], str] = {}
    return [
        {
            "batch_id": batch.pk,
            "row_number": row.row_number,
            "action": row.action,
            "natural_key": row.natural_key[:64],
            "object_id": row.object_id,
            "errors": [list(error) for error in row.errors],
            "values": _shown_values(fields, row, memo),
            "notes": row.notes if row.action != RowAction.ERROR else [],
            # A row with errors keeps the file's cells under its named headers, for its download.
            "cells": [cell_text_of(row.cells[i] if i < len(row.cells) else None) for i in result.named]
            if row.action == RowAction.ERROR
            else [],
        }
        for row in result.rows
    ]


def _shown_values(fields: tuple[Field, ...], row: CheckedRow, memo: dict[tuple[str, Any], str]) -> dict[str, str]:
    """Each field of the row as the preview shows it: the value as it will be written, or the
    cell's own text where it could not be read. ``memo``: values already shown (a file repeats
    its dates and choices, whose labels are translated)."""
    shown = {}
    for field in fields:
        if field.name in row.values:
            value = row.values[field.name]
            if type(value) is str:
                shown[field.name] = value[:MAX_SHOWN_CHARS]
                continue
            key = (field.name, value)
            if key not in memo:
                memo[key] = field.show(value)[:MAX_SHOWN_CHARS]
            shown[field.name] = memo[key]
        elif field.name in row.unread:
            shown[field.name] = row.unread[field.name][:MAX_SHOWN_CHARS]
    return shown


def cell_text_of(cell: Any) -> str:
    """A cell of the file as text, as the clerk typed it (a date from a workbook as a date)."""
    if cell is None:
        return ""
    if isinstance(cell, Formula):
        return cell.text if cell.text.startswith("=") else f"={cell.text}"
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="minutes") if cell.time() != time() else cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)[:MAX_SHOWN_CHARS]
