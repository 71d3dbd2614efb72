"""What the image and the package ship: every app of the project, and a web server that
lets a long export finish."""

import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def project_apps() -> list[str]:
    """The installed apps that are packages at the project's root (not Django's or a library's)."""
    return sorted(config.name for config in apps.get_app_configs() if (ROOT / config.name / "__init__.py").exists())


def test_the_image_copies_every_app_of_the_project():
    copied = set(re.findall(r"^COPY (\w+) \1$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE))

    assert set(project_apps()) <= copied


def test_the_package_includes_every_app_of_the_project():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]

    assert [app for app in project_apps() if not any(fnmatch(app, pattern) for pattern in patterns)] == []


def test_gunicorn_reads_its_settings_and_gives_a_long_export_time_to_finish():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    checked = subprocess.run(  # noqa: S603 - fixed arguments
        [str(gunicorn), "--check-config", "--print-config", "dealerops.wsgi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        # A database URL that is never connected to: loading the app must not start the
        # embedded server (on a new machine that first creates a system user).
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "dealerops.settings.local",
            "DATABASE_URL": "postgres://unused@127.0.0.1:9/unused",
        },
    )

    assert checked.returncode == 0, checked.stderr
    printed = dict(re.findall(r"^(\w+)\s+= (.*)$", checked.stdout, flags=re.MULTILINE))
    assert printed["worker_class"] == "gthread"
    assert int(printed["timeout"]) >= 300
