"""The embedded PostgreSQL is stopped when its last user exits, even after a killed run."""

import json
import os
import subprocess
import sys

from dealerops.embedded_db import _forget_dead_handles


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
