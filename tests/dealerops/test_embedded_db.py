"""The embedded PostgreSQL: shared by the processes that use it, stopped when the last live one
exits (a killed process does not keep it up), with the contrib extensions the migrations create."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil

from dealerops.embedded_db import PGDATA_NAME, _forget_dead_handles

ROOT = Path(__file__).resolve().parents[2]
# A user of the embedded server: starts or joins it, prints what it got, exits when stdin closes.
USER_PROCESS = """
import json, sys
from pathlib import Path
import psycopg
from dealerops.embedded_db import embedded_database_settings

database = embedded_database_settings(Path(sys.argv[1]))
with psycopg.connect(dbname=database["NAME"], host=database["HOST"], port=database["PORT"], user="postgres") as conn:
    available = conn.execute(
        "SELECT name FROM pg_available_extensions WHERE name IN ('pg_trgm', 'btree_gist') ORDER BY name"
    ).fetchall()
    addresses = conn.execute("SHOW listen_addresses").fetchone()[0]
print(json.dumps({"host": database["HOST"], "extensions": [name for (name,) in available], "tcp": addresses}), flush=True)
sys.stdin.read()
"""


def start_user(data_dir: Path) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", USER_PROCESS, str(data_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    assert line, f"the user process failed (exit code {process.wait(timeout=30)})"
    return process, json.loads(line)


def leave(process: subprocess.Popen) -> None:
    process.stdin.close()
    assert process.wait(timeout=60) == 0


def postmaster_pid(pgdata: Path) -> int | None:
    try:
        return int((pgdata / "postmaster.pid").read_text().split()[0])
    except FileNotFoundError:
        return None


def running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_processes_share_one_server_that_stops_when_the_last_live_one_exits(tmp_path):
    pgdata = tmp_path / PGDATA_NAME
    first, first_got = start_user(tmp_path)
    server = postmaster_pid(pgdata)
    killed, killed_got = start_user(tmp_path)
    last, last_got = start_user(tmp_path)

    # One server on a Unix socket, no TCP address, with the contrib extensions.
    assert first_got == killed_got == last_got
    assert first_got["extensions"] == ["btree_gist", "pg_trgm"]
    assert first_got["tcp"] == ""
    assert postmaster_pid(pgdata) == server

    leave(first)
    assert running(server), "stopped while other processes still used it"

    killed.kill()  # no exit handlers: it stays in the wheel's list of users
    killed.wait(timeout=30)
    assert running(server)

    leave(last)
    assert not running(server)
    assert postmaster_pid(pgdata) is None


def test_a_killed_process_no_longer_keeps_the_embedded_server_up(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([dead_pid, os.getpid()]))

    _forget_dead_handles(tmp_path)

    assert json.loads(handles.read_text()) == [os.getpid()]


def test_a_fresh_data_folder_is_left_alone(tmp_path):
    _forget_dead_handles(tmp_path)

    assert not (tmp_path / ".handle_pids.json").exists()
