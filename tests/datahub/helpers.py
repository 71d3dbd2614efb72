"""Running an import through the service layer the way the pages do: upload and check, then
confirm and write."""

from datahub.models import ImportBatch, SourceKind
from datahub.services import import_batch_check, import_batch_confirm, import_batch_upload, import_batch_write


def run_import(network, kind: str, text: str | bytes, *, user=None, file_name="export.csv", encoding="utf-8"):
    content = text.encode(encoding) if isinstance(text, str) else text
    batch = import_batch_upload(
        user=user or network.dealer_user,
        dealer=network.home_dealer,
        kind=kind,
        source=SourceKind.DMS,
        system_name="DMS 9",
        file_name=file_name,
        content=content,
    )
    return import_batch_check(batch_id=batch.pk)


def confirm(network, batch: ImportBatch, user=None) -> ImportBatch:
    import_batch_confirm(batch=batch, user=user or network.dealer_user)
    return import_batch_write(batch_id=batch.pk)


def errors_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(row.row_number, column, message) for row in batch.rows.all() for column, message in row.errors]
