"""Where a check or a write runs: a large file in a Celery task (the preview polls its
progress), a small one in the request. Shared by the pages and the API; called inside the
transaction that stored or claimed the batch, so a task never starts before its commit."""

from django.db import transaction

from datahub import tasks
from datahub.models import ImportBatch
from datahub.services import import_batch_check, import_batch_write, runs_in_background


def import_check_start(batch: ImportBatch) -> None:
    if runs_in_background(batch):
        transaction.on_commit(lambda: tasks.check_import.delay(batch.pk))
    else:
        import_batch_check(batch_id=batch.pk)


def import_write_start(batch: ImportBatch) -> None:
    if runs_in_background(batch):
        transaction.on_commit(lambda: tasks.write_import.delay(batch.pk))
    else:
        import_batch_write(batch_id=batch.pk)
