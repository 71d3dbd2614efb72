"""Leases on the rows that record background work (a job run, an import being checked or
written, an export being written).

While the work runs, a thread of its own process renews the row's lease every third of its
length. A process killed mid-way (``kill -9``, out of memory, a lost machine) renews nothing,
so a row whose lease has run out records work that will never finish: whoever reads it next
(the next run of the job, the page, a periodic task) marks it failed at once, instead of the
row showing "running" until the broker delivers the task again hours later. A renewal from a
thread rather than at progress points, because one SQL statement of a job can take minutes;
and from the thread's own connection, so the job's open transaction neither hides nor holds it.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from psycopg.errors import LockNotAvailable

logger = logging.getLogger(__name__)


class Leased(models.Model):
    """A row background work renews while it runs (``lease_kept``). The concrete model has a
    ``status`` field: what an abandoned row becomes is decided by the status it was left in."""

    heartbeat_at = models.DateTimeField(
        _("last heartbeat"),
        null=True,
        blank=True,
        help_text=_("When the process doing the work last said it was alive."),
    )
    lease_expires_at = models.DateTimeField(
        _("lease expires at"),
        null=True,
        blank=True,
        help_text=_("Past this time without a heartbeat, the work is taken to have died."),
    )

    class Meta:
        abstract = True


def lease_renewal() -> dict[str, datetime]:
    """The fields that renew a lease now (for ``create`` or ``update``)."""
    now = timezone.now()
    return {"heartbeat_at": now, "lease_expires_at": now + timedelta(seconds=settings.BACKGROUND_LEASE_SECONDS)}


def lease_expired(rows: QuerySet) -> QuerySet:
    """The rows of ``rows`` whose lease has run out."""
    return rows.filter(lease_expires_at__lt=timezone.now())


def abandoned_release(rows: QuerySet, release: Callable[[str, datetime | None], dict[str, Any]]) -> int:
    """Give each row of ``rows`` whose lease has run out the field values ``release(status,
    last heartbeat)`` returns (failed, with its reason). Each row is updated on condition that
    it is still in that status with its lease run out, so work that renewed its lease
    meanwhile (or finished) is left alone. Returns how many rows were released."""
    released = 0
    for pk, status, heartbeat_at in lease_expired(rows).values_list("pk", "status", "heartbeat_at"):
        still_abandoned = lease_expired(rows.model.objects.filter(pk=pk, status=status))
        released += still_abandoned.update(**release(status, heartbeat_at))
    return released


def heartbeat_text(heartbeat_at: datetime | None) -> str:
    """A last heartbeat in the portal's time zone, for a failure message."""
    if heartbeat_at is None:
        return "–"
    return timezone.localtime(heartbeat_at).strftime("%Y-%m-%d %H:%M:%S")


def _renew(rows: QuerySet) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '1s'")
        rows.update(**lease_renewal())


@contextmanager
def lease_kept(rows: QuerySet) -> Iterator[None]:
    """Renew the lease of ``rows`` (the one row the body works on) until the body ends."""
    rows.update(**lease_renewal())
    stop = threading.Event()
    interval = settings.BACKGROUND_LEASE_SECONDS / 3

    def renew() -> None:
        try:
            while not stop.wait(interval):
                try:
                    _renew(rows)
                except DatabaseError as error:
                    if isinstance(error.__cause__, LockNotAvailable):
                        # Locked by the work's own transaction (a check run in a request): this
                        # process is alive, and waiting would block the join below for good.
                        continue
                    # The next beat tries again; the lease outlasts a couple of misses.
                    logger.warning("lease renewal failed", exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=renew, name="lease renewal", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
