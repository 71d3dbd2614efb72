"""Running an import through the service layer the way the pages do: upload and check, then
confirm and write."""

from datahub.models import NETWORK_KINDS, ImportBatch, SourceKind
from datahub.services import import_batch_check, import_batch_confirm, import_batch_upload, import_batch_write


def importer(network, kind: str):
    """Who imports a kind by default: the home dealer's user, head office a network file."""
    return network.head_office if kind in NETWORK_KINDS else network.dealer_user


def run_import(network, kind: str, text: str | bytes, *, user=None, file_name="export.csv", encoding="utf-8"):
    """Upload and check a file: a dealer's kind for the home dealer, a network kind for none."""
    content = text.encode(encoding) if isinstance(text, str) else text
    batch = import_batch_upload(
        user=user or importer(network, kind),
        dealer=None if kind in NETWORK_KINDS else network.home_dealer,
        kind=kind,
        source=SourceKind.DMS,
        system_name="DMS 9",
        file_name=file_name,
        content=content,
    )
    return import_batch_check(batch_id=batch.pk)


def confirm(network, batch: ImportBatch, user=None) -> ImportBatch:
    import_batch_confirm(batch=batch, user=user or importer(network, batch.kind))
    return import_batch_write(batch_id=batch.pk)


def errors_of(batch: ImportBatch) -> list[tuple[int, str, str]]:
    return [(row.row_number, column, message) for row in batch.rows.all() for column, message in row.errors]
