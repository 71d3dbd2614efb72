"""The lease a running job or import renews from a thread of its own."""

import threading
import time

import pytest
from django.db import connection, transaction

from dealerops.leases import lease_kept
from dealerops.models import JobRun

pytestmark = pytest.mark.django_db(transaction=True)


def test_work_whose_own_transaction_locks_its_row_still_ends_and_its_lease_is_renewed_after(settings):
    """A small import is checked inside the request's transaction, which holds its row: the
    renewal must skip a beat rather than wait for a lock the work releases only after it."""
    settings.BACKGROUND_LEASE_SECONDS = 0.6  # a beat every 0.2 s
    run = JobRun.objects.create(job="test.job")
    rows = JobRun.objects.filter(pk=run.pk)
    done = threading.Event()

    def work() -> None:
        try:
            with transaction.atomic(), lease_kept(rows):
                rows.update(rows=1)  # the work's transaction now holds the row
                time.sleep(1.5)
            done.set()
        finally:
            connection.close()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=15)
    assert done.is_set(), "the work never ended: the renewal waited for the work's own lock"
    assert JobRun.objects.get(pk=run.pk).rows == 1

    with lease_kept(rows):
        first = JobRun.objects.get(pk=run.pk).heartbeat_at
        time.sleep(0.7)
        assert JobRun.objects.get(pk=run.pk).heartbeat_at > first  # renewed while the work runs
