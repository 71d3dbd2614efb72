"""Scratch databases on the test run's own server (DATABASE_URL's, or the embedded one), for
tests that run the product in subprocesses against a database of their own."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg
from django.conf import settings
from psycopg import sql


def database_url(name: str) -> str:
    """A URL of the test run's server for ``name``; a socket directory as host is percent-encoded."""
    default = settings.DATABASES["default"]
    user = quote(default.get("USER") or "", safe="")
    password = quote(default.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = quote(default.get("HOST") or "", safe="")
    port = f":{default['PORT']}" if default.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{name}"


def server_connection(dbname: str = "postgres") -> psycopg.Connection:
    default = settings.DATABASES["default"]
    options = {key.lower(): default[key] for key in ("HOST", "PORT", "USER", "PASSWORD") if default.get(key)}
    return psycopg.connect(dbname=dbname, autocommit=True, **options)


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Create an empty database named ``prefix`` plus a random suffix; yield its name; drop it."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with server_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with server_connection() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
