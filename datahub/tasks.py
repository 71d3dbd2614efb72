"""Celery entry points for imports: thin wrappers that call one service."""

from celery import shared_task

from datahub.services import import_batch_check, import_batch_write, import_batches_fail_abandoned


@shared_task(acks_late=True)  # idempotent: a check replaces the batch's rows
def check_import(batch_id: int) -> int:
    return import_batch_check(batch_id=batch_id).pk


@shared_task(acks_late=True)  # idempotent: writes only a batch still "importing", in one transaction
def write_import(batch_id: int) -> int:
    return import_batch_write(batch_id=batch_id).pk


@shared_task  # every few minutes (dealerops.schedules.UPKEEP_JOBS)
def fail_abandoned_imports() -> int:
    """Release the imports whose check or write died mid-way (their lease ran out)."""
    return import_batches_fail_abandoned()


# The data-quality task lives with its module; importing it here registers it with Celery.
from datahub.quality.tasks import compute_data_quality  # noqa: E402, F401
