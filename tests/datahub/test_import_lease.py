"""An import whose worker died mid-way: released by the next read instead of staying
"importing" (confirm and cancel refused) until the broker redelivers the task hours later."""

import os
import signal
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from customers.models import Customer
from datahub.models import ImportBatch, ImportKind, ImportStatus
from datahub.services import import_batch_confirm
from datahub.tasks import fail_abandoned_imports
from tests.background import LEASE_SECONDS, advisory_lock_held, start_worker, wait_for
from tests.datahub.helpers import run_import
from tests.datahub.test_import_service import CUSTOMERS


def in_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_mid_write_can_be_confirmed_again_at_once(network, client_for):
    batch = import_batch_confirm(batch=run_import(network, ImportKind.CUSTOMERS, CUSTOMERS), user=network.dealer_user)
    assert batch.status == ImportStatus.IMPORTING
    # The write takes the dealer's import lock first: held here, the worker waits in its write.
    with advisory_lock_held("hashtext('datahub.import')", str(network.home_dealer.pk)):
        worker = start_worker(f"from datahub.tasks import write_import\nwrite_import({batch.pk})")
        try:
            first = wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).heartbeat_at, what="the write to start")
            wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).heartbeat_at > first, what="a second heartbeat")
            os.kill(worker.pid, signal.SIGKILL)
        finally:
            worker.wait(timeout=30)

    client = in_chinese(client_for(network.dealer_user))
    time.sleep(LEASE_SECONDS + 0.5)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.READY
    assert "停止响应" in batch.error and "未写入任何数据" in batch.error
    assert batch.error in page
    assert f"/imports/{batch.pk}/confirm/" in page  # offered again
    assert not Customer.objects.exists()

    response = client.post(f"/imports/{batch.pk}/confirm/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.error) == (ImportStatus.IMPORTED, "")
    assert Customer.objects.filter(home_dealer=network.home_dealer).count() == 2


def silent(batch: ImportBatch, status: str) -> ImportBatch:
    since = timezone.now() - timedelta(minutes=5)
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, heartbeat_at=since, lease_expires_at=since)
    return batch


def test_a_check_that_died_fails_and_the_periodic_task_releases_every_abandoned_import(network):
    checking = silent(run_import(network, ImportKind.CUSTOMERS, CUSTOMERS), ImportStatus.VALIDATING)
    writing = silent(run_import(network, ImportKind.CUSTOMERS, CUSTOMERS), ImportStatus.IMPORTING)
    alive = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS)
    ImportBatch.objects.filter(pk=alive.pk).update(
        status=ImportStatus.IMPORTING, lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    queued = run_import(network, ImportKind.CUSTOMERS, CUSTOMERS)
    ImportBatch.objects.filter(pk=queued.pk).update(status=ImportStatus.VALIDATING)  # no lease: not started yet

    assert fail_abandoned_imports.delay().get() == 2

    statuses = dict(ImportBatch.objects.values_list("pk", "status"))
    assert statuses == {
        checking.pk: ImportStatus.FAILED,
        writing.pk: ImportStatus.READY,
        alive.pk: ImportStatus.IMPORTING,
        queued.pk: ImportStatus.VALIDATING,
    }
    assert "Upload the file again" in ImportBatch.objects.get(pk=checking.pk).error
