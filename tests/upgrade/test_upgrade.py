"""An installation made before the layers moved models between apps upgrades in place.

The fixtures (tests/upgrade/fixtures/) are the demo, seeded at commit 5a56c08 — before the audit
seals moved to audit/ and enrolment codes and sessions to accounts/ — as an SQLite file and a
PostgreSQL dump, with the keys they were made with (test data). Each is migrated to head here by
``manage.py migrate`` in a process of its own, then: the audit log verifies, with the same head as
before; every encrypted value decrypts; the database still refuses changes to the audit log; and
the moved models kept their content types, so old log entries name them in their new apps. Then
``manage.py reencrypt`` brings every value to the current format, and with the old format refused
everything still decrypts.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
FIXTURES = Path(__file__).parent / "fixtures"
META = json.loads((FIXTURES / "before-layers.json").read_text())

# The content types of the models that move, by model name: (app label, id).
CONTENT_TYPES = r"""
import json
from django.db import connection

def CONTENT_TYPES():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT model, app_label, id FROM django_content_type WHERE model IN "
            "('auditseal', 'sealedentry', 'enrolmentcode', 'usersession')"
        )
        return {model: [app, pk] for model, app, pk in cursor.fetchall()}
"""

# Run after the migrations, inside the upgraded database: what a person would check by hand.
CHECKS_BODY = r"""
import json
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from core.fields import encrypted_fields

values = 0
for model in apps.get_models():
    fields = encrypted_fields(model)
    for row in model._base_manager.all().iterator(chunk_size=200):
        for field in fields:
            getattr(row, field.attname)
            values += 1

def refused(sql):
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError:
        return True
    return False

moved = {}
for label in ("audit.auditseal", "audit.sealedentry", "accounts.enrolmentcode",
              "accounts.usersession"):
    app_label, model = label.split(".")
    moved[label] = list(
        ContentType.objects.filter(model=model).values_list("app_label", "id")
    )
enrolment = ContentType.objects.get(app_label="accounts", model="enrolmentcode")
from core.models import SealedRowModel
sealed_rows = broken_seals = 0
for model in apps.get_models():
    if issubclass(model, SealedRowModel):
        for row in model._base_manager.all():
            sealed_rows += 1
            broken_seals += not row.is_intact()
print(json.dumps({
    "sealed_rows": sealed_rows,
    "broken_seals": broken_seals,
    "types": CONTENT_TYPES(),
    "values": values,
    "update_log_refused": refused("UPDATE auditlog_logentry SET object_repr = 'edited'"),
    "update_seal_refused": refused("UPDATE records_auditseal SET digest = 'edited'"),
    "update_sealed_entry_refused": refused("UPDATE records_sealedentry SET content_hash = 'x'"),
    "delete_log_refused": refused("DELETE FROM auditlog_logentry"),
    "moved": moved,
    "enrolment_code_model": enrolment.model_class()._meta.label,
}))
"""
CHECKS = CONTENT_TYPES + CHECKS_BODY


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py, with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps(
            {
                "DJANGO_SECRET_KEY": META["DJANGO_SECRET_KEY"],
                "CONFIDE_ENCRYPTION_KEYS": META["CONFIDE_ENCRYPTION_KEYS"],
            }
        )
    )
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DJANGO_SECRET_KEY", "CONFIDE_ENCRYPTION_KEYS", "DATABASE_URL")
    }
    return env | {
        "DJANGO_DEBUG": "1",
        "CONFIDE_DEV_SECRETS": str(keys),
        "DATABASE_URL": database_url,
        "CONFIDE_AUDIT_ANCHOR_DIR": str(tmp_path / "anchors"),
    }


def _upgrade_and_check(env: dict[str, str], vendor: str) -> dict[str, Any]:
    before = META["chain"][vendor]
    # Today's code reads seals by chain (one per setting since audit migration 0003), a column
    # the old tables lack: the chain is verified after the upgrade, with the entries and the
    # head it had before (META, recorded when the fixture was made).
    types = _manage(
        env, "shell", "--no-imports", "-c", CONTENT_TYPES + "print(json.dumps(CONTENT_TYPES()))"
    )
    assert types.returncode == 0, types.stderr
    types_before = json.loads(types.stdout.strip().splitlines()[-1])
    assert {app for app, _pk in types_before.values()} == {"records"}

    migrated = _manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    for migration in (
        "audit.0001_initial",
        "records.0006_audit_seals_move_to_audit",
        "accounts.0001_initial",
        "records.0007_accounts_move_to_accounts",
    ):
        assert f"Applying {migration}... OK" in migrated.stdout

    verified = _manage(env, "verify_audit")
    assert verified.returncode == 0, verified.stderr
    assert "missing or disabled" not in verified.stderr, verified.stderr
    assert f"Audit log intact: {before['entries']} entries" in verified.stdout
    assert f"seal #{before['head_sequence']}, digest {before['head_digest']}" in verified.stdout

    checked = _manage(env, "shell", "--no-imports", "-c", CHECKS)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout.strip().splitlines()[-1])
    # Renamed in place: the same ids, now in the apps the models moved to.
    assert report["types"] == {
        "auditseal": ["audit", types_before["auditseal"][1]],
        "sealedentry": ["audit", types_before["sealedentry"][1]],
        "enrolmentcode": ["accounts", types_before["enrolmentcode"][1]],
        "usersession": ["accounts", types_before["usersession"][1]],
    }

    # Then the values are brought to the current format once (bound to the columns that decide
    # access, empty ones encrypted), and from then on the old format is refused.
    converted = _manage(env, "reencrypt", "--batch-size", "50")
    assert converted.returncode == 0, converted.stdout + converted.stderr
    values = int(converted.stdout.split("re-encrypted ")[1].split()[0])
    assert values >= report["values"] * 0.9, converted.stdout
    again = _manage(env, "reencrypt")
    assert "re-encrypted 0 values in 0 rows" in again.stdout, again.stdout + again.stderr
    refusing = env | {"CONFIDE_REFUSE_LEGACY_CIPHERTEXT": "1"}
    rechecked = _manage(refusing, "shell", "--no-imports", "-c", CHECKS)
    assert rechecked.returncode == 0, rechecked.stderr
    assert json.loads(rechecked.stdout.strip().splitlines()[-1])["values"] == report["values"]
    verified = _manage(refusing, "verify_audit")
    assert verified.returncode == 0, verified.stderr
    return report


def _assert_upgraded(report: dict[str, Any], vendor: str) -> None:
    assert report["values"] > 1000  # the demo's entries, reasons, marks and files all decrypted
    assert report["update_log_refused"]
    assert report["update_seal_refused"]
    assert report["update_sealed_entry_refused"]
    # On PostgreSQL a trigger refuses; on SQLite the seals' foreign keys do.
    assert report["delete_log_refused"]
    # Renamed in place: one content type each, in its new app.
    for label, rows in report["moved"].items():
        assert [app for app, _id in rows] == [label.split(".")[0]], (label, rows)
    assert report["enrolment_code_model"] == "accounts.EnrolmentCode"
    # Staff, grants, acting Lead periods and break-glass openings made before seals existed are
    # sealed by the migration as they stood: every one verifies.
    assert report["sealed_rows"] > 5
    assert report["broken_seals"] == 0


def test_an_sqlite_database_from_before_the_layers_upgrades_intact(tmp_path: Path) -> None:
    database = tmp_path / "before-layers.sqlite3"
    with gzip.open(FIXTURES / "before-layers.sqlite3.gz") as packed, database.open("wb") as out:
        shutil.copyfileobj(packed, out)
    env = _environment(tmp_path, f"sqlite:///{database}")
    _assert_upgraded(_upgrade_and_check(env, "sqlite"), "sqlite")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs in the suite's PostgreSQL run (DATABASE_URL)"
)
def test_a_postgresql_database_from_before_the_layers_upgrades_intact(tmp_path: Path) -> None:
    psql = shutil.which("psql")
    assert psql, "the PostgreSQL client (psql) is needed to restore the fixture"
    db = settings.DATABASES["default"]
    name = f"confide_upgrade_{secrets.token_hex(4)}"
    server = [
        "-h",
        db.get("HOST") or "127.0.0.1",
        "-p",
        str(db.get("PORT") or 5432),
        "-U",
        db.get("USER") or "postgres",
    ]
    env_pg = os.environ | ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})

    def sql(database: str, *args: str, stdin: bytes | None = None) -> None:
        done = subprocess.run(  # noqa: S603 - psql with fixed arguments
            [psql, *server, "-v", "ON_ERROR_STOP=1", "-q", "-d", database, *args],
            input=stdin,
            capture_output=True,
            env=env_pg,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()

    sql("postgres", "-c", f'CREATE DATABASE "{name}"')
    try:
        sql(
            name, stdin=gzip.decompress((FIXTURES / "before-layers.postgresql.sql.gz").read_bytes())
        )
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        url = f"postgres://{user}{password}@{server[1]}:{server[3]}/{name}"
        env = _environment(tmp_path, url)
        _assert_upgraded(_upgrade_and_check(env, "postgresql"), "postgresql")
    finally:
        sql("postgres", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
