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
