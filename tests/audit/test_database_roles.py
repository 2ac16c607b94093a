"""On PostgreSQL the application's database role is not the tables' owner (docs/postgresql-roles.sql):
it cannot disable the audit log's triggers, cannot switch them off for its session, and holds no
right to change or remove an audit row — while the application's own work still goes through."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles"),
    pytest.mark.django_db(transaction=True),
]


def _connect(role: str) -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        dbname=settings["NAME"],
        user=role,
        autocommit=True,
    )


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - our table names
    assert row is not None
    return int(row[0])


def _refused(conn: psycopg.Connection, statement: str) -> str:
    with pytest.raises(psycopg.Error) as refused:
        conn.execute(statement)
    return str(refused.value)


def test_the_documented_app_role_cannot_touch_the_audit_log(people):
    from audit.log import log_event

    log_event(actor=people.lead.user, event="read", obj=people.child)
    settings = connection.settings_dict
    owner = settings["USER"]
    app = f"confide_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{app}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE')
    try:
        applied = subprocess.run(  # noqa: S603 - psql with our own file and fixed arguments
            [  # noqa: S607 - the machine's psql, as an administrator would run it
                "psql",
                "-h",
                settings["HOST"] or "127.0.0.1",
                "-p",
                str(settings["PORT"] or 5432),
                "-U",
                owner,
                "-d",
                settings["NAME"],
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                f"owner={owner}",
                "-v",
                f"app={app}",
                "-v",
                f"db={settings['NAME']}",
                "-f",
                str(ROOT / "docs" / "postgresql-roles.sql"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert applied.returncode == 0, applied.stderr
        with _connect(app) as conn:
            # What the application does: read and write records, append to the audit log.
            assert _count(conn, "records_child") == 2
            conn.execute("UPDATE records_child SET first_name = first_name")
            assert _count(conn, "auditlog_logentry") > 0
            # What an intruder with the application's password would try.
            for table, column in (
                ("auditlog_logentry", "id"),
                ("records_auditseal", "id"),
                ("records_sealedentry", "entry_id"),
                ("audit_readitem", "entry_id"),
            ):
                # Table and column names from the list above, no input: an intruder's statements.
                update = f"UPDATE {table} SET {column} = {column}"  # noqa: S608
                assert "permission denied" in _refused(conn, update)
                assert "permission denied" in _refused(conn, f"DELETE FROM {table}")  # noqa: S608
                assert "permission denied" in _refused(conn, f"TRUNCATE {table}")
            assert "must be owner" in _refused(
                conn, "ALTER TABLE auditlog_logentry DISABLE TRIGGER confide_logentry_no_delete"
            )
            assert "permission denied" in _refused(conn, "SET session_replication_role = replica")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{app}"')
            cursor.execute(f'DROP ROLE "{app}"')
