"""Helpers for tests of background work: a worker process to kill, a lock held by another
session (so a job waits, mid-run, for as long as the test likes), and waiting."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.scratch_db import database_url, server_connection

ROOT = Path(__file__).resolve().parents[1]
LEASE_SECONDS = 1  # the killed worker's lease: it renews it every third of a second


def start_worker(code: str) -> subprocess.Popen:
    """A fresh Python process that runs ``code`` (after django.setup()) against the test
    database, with a short lease: a worker as far as the job can tell."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(settings.DATABASES["default"]["NAME"]),
        "DJANGO_SETTINGS_MODULE": "dealerops.settings.test",
        "BACKGROUND_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    return subprocess.Popen(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{code}"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def advisory_lock_held(*key_sql: str) -> Iterator[None]:
    """Hold the advisory lock ``key_sql`` (SQL expressions) from a session of its own."""
    with server_connection(settings.DATABASES["default"]["NAME"]) as session:
        arguments = ", ".join(key_sql)
        session.execute(f"SELECT pg_advisory_lock({arguments})")
        try:
            yield
        finally:
            session.execute(f"SELECT pg_advisory_unlock({arguments})")


def wait_for(condition: Callable[[], object], *, timeout: float = 20, what: str = "the condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {what}")


def join_job_threads(timeout: float = 60) -> None:
    """Wait for the jobs this process started in threads ("run now" without a broker)."""
    for thread in threading.enumerate():
        if thread.name.startswith("job "):
            thread.join(timeout)
