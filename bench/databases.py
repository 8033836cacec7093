"""Throw-away PostgreSQL databases for the benches: made fresh before a run, dropped after."""

from __future__ import annotations


def _admin(url: str):
    import psycopg

    server, name = url.rsplit("/", 1)
    return psycopg.connect(f"{server}/postgres", autocommit=True), name


def recreate_database(url: str) -> None:
    admin, name = _admin(url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    admin, name = _admin(url)
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_database_arguments(parser, name: str, *, made: str = "create, fill and drop") -> None:
    """``--database`` (a throw-away PostgreSQL database, ``name`` by default) and ``--keep``."""
    default = f"postgres://postgres@127.0.0.1:5432/{name}"
    parser.add_argument("--database", default=default, help=f"PostgreSQL database to {made} (default {default})")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
