"""The backup-and-restore drill, as the setting runs it every month (README: "The monthly drill").

A deployment of its own — a database, its keys (a CONFIDE_DEV_SECRETS file) and an audit anchor
directory — is seeded with the demo in processes of its own (``manage.py`` in a subprocess, as
tests/upgrade does), so the settings of this test process are not disturbed. Its chain head is
anchored (``run_schedules --force``), then ``backup`` and ``restore`` into a fresh database, and
in the restored one: every table has the same rows (counted, and a checksum of their values),
``verify_audit`` passes against the same anchors with the same head, and every encrypted value of
every model decrypts. The backup file holds none of the names, addresses or entry text, nor the
signature of an SQLite file or a pg_dump archive. Before the real restore, a restore with another
deployment's keys and one of a truncated copy are refused, and the target stays empty.

On SQLite it runs with ``CONFIDE_DEEP=1``; on PostgreSQL (DATABASE_URL) the drill runs there too,
in databases ``confide_backup_src_*`` and ``confide_backup_dst_*`` made and dropped by the test.
The refusals (a wrong key, a file cut short or edited) and a full disk are proved on SQLite, where
they are quick, and the full disk also on the database of the run.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from core import backup
from core.crypto import new_key_spec

pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

ROOT = Path(settings.BASE_DIR)
# The PostgreSQL drill exists only in a run on PostgreSQL: elsewhere it is not collected (rather
# than skipped), as the heavy proofs are deselected on SQLite.
VENDORS = ["sqlite"] + (["postgresql"] if connection.vendor == "postgresql" else [])

# Every table: its row count and a checksum of its rows' values (order-independent); and where
# the ids will continue from (PostgreSQL's sequences, SQLite's AUTOINCREMENT counters).
TABLES = r"""
import hashlib, json
from django.db import connection

def plain(value):
    return repr(bytes(value) if isinstance(value, memoryview) else value)

found = {}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names()):
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        rows = sorted("|".join(plain(v) for v in row) for row in cursor.fetchall())
        found[table] = [len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()]
    if connection.vendor == "postgresql":
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1")
    else:
        cursor.execute("SELECT name, seq FROM sqlite_sequence ORDER BY 1")
    found["(sequences)"] = [list(row) for row in cursor.fetchall()]
print(json.dumps(found))
"""

# Every encrypted value of every model decrypts (a failure raises, and the script exits non-zero);
# how many rows sealed for granting access verify; and what must not be readable in a backup.
DECRYPTS = r"""
import json
from django.apps import apps
from core.fields import encrypted_fields
from core.models import SealedRowModel
from records.models import Child, Family, RecordEntry

values = sealed_rows = broken_seals = 0
for model in apps.get_models():
    fields = encrypted_fields(model)
    for row in model._base_manager.all().iterator(chunk_size=200):
        for field in fields:
            getattr(row, field.attname)
            values += 1
        if issubclass(model, SealedRowModel):
            sealed_rows += 1
            broken_seals += not row.is_intact()
children = list(Child.objects.all())
longest = max((e.text for e in RecordEntry.objects.all()), key=len)
print(json.dumps({
    "values": values,
    "sealed_rows": sealed_rows,
    "broken_seals": broken_seals,
    "first_name": max((c.first_name for c in children), key=len),
    "names": sorted(f"{c.first_name} {c.last_name}" for c in children),
    "addresses": sorted(a for a in Family.objects.values_list("address", flat=True) if a),
    "entry_text": longest[:80],
}))
"""

BACKUP_EVENTS = r"""
import json
from auditlog.models import LogEntry
print(json.dumps([
    entry.additional_data
    for entry in LogEntry.objects.filter(additional_data__event="backup_made").order_by("pk")
]))
"""


@dataclass(frozen=True)
class Deployment:
    """One installation: its database, its keys and its anchors."""

    url: str
    keys: Path
    anchors: Path
    key_spec: str

    @property
    def key_id(self) -> str:
        return self.key_spec.partition(":")[0]

    def env(self, *, database_url: str | None = None, keys: Path | None = None) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name
            not in (
                "DJANGO_SECRET_KEY",
                "CONFIDE_ENCRYPTION_KEYS",
                "CONFIDE_REFUSE_LEGACY_CIPHERTEXT",
                "DATABASE_URL",
            )
        }
        return inherited | {
            "DJANGO_DEBUG": "1",
            "CONFIDE_DEV_SECRETS": str(keys or self.keys),
            "CONFIDE_AUDIT_ANCHOR_DIR": str(self.anchors),
            "DATABASE_URL": database_url or self.url,
        }


def _keys_file(path: Path, key_spec: str) -> Path:
    path.write_text(
        json.dumps(
            {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "CONFIDE_ENCRYPTION_KEYS": key_spec}
        )
    )
    return path


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py, with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _ok(env: dict[str, str], *args: str) -> str:
    done = _manage(env, *args)
    assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _shell(env: dict[str, str], script: str) -> Any:
    out = _ok(env, "shell", "--no-imports", "-c", script)
    return json.loads(out.strip().splitlines()[-1])


def _new_deployment(folder: Path, url: str) -> Deployment:
    folder.mkdir(parents=True, exist_ok=True)
    spec = new_key_spec()
    deployment = Deployment(
        url=url,
        keys=_keys_file(folder / "keys.json", spec),
        anchors=folder / "anchors",
        key_spec=spec,
    )
    env = deployment.env()
    _ok(env, "migrate", "--noinput")
    _ok(env, "seed_demo", "--password", "confide-demo-password")
    _ok(env, "run_schedules", "--force")
    return deployment


@pytest.fixture(scope="module")
def sqlite_deployment(tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    folder = tmp_path_factory.mktemp("deployment")
    return _new_deployment(folder, f"sqlite:///{folder / 'confide.sqlite3'}")


@pytest.fixture(scope="module")
def sqlite_backup(sqlite_deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the seeded SQLite deployment, for the refusals."""
    output = tmp_path_factory.mktemp("backups") / "confide.backup"
    _ok(sqlite_deployment.env(), "backup", "--output", str(output))
    return output


@contextmanager
def _postgresql_databases(*names: str) -> Iterator[list[str]]:
    """Empty databases on the server of the test run, dropped afterwards; their URLs."""
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", str(db.get("PORT") or 5432)
    user = db.get("USER") or "postgres"
    password = db.get("PASSWORD") or None
    server = psycopg.connect(
        dbname="postgres", host=host, port=port, user=user, password=password, autocommit=True
    )
    made: list[str] = []
    try:
        for name in names:
            assert name.startswith("confide_backup_")
            server.execute(f'CREATE DATABASE "{name}"')
            made.append(name)
        auth = f"{user}:{password}" if password else user
        yield [f"postgres://{auth}@{host}:{port}/{name}" for name in names]
    finally:
        for name in made:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def _postgresql_tables(url: str) -> int:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
            "('pg_catalog', 'information_schema')"
        ).fetchone()
    assert found is not None
    return int(found[0])


def _sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _target_is_empty(url: str) -> bool:
    if url.startswith("sqlite:"):
        path = _sqlite_file(url)
        return not path.exists() and not path.with_name(path.name + ".partial").exists()
    return _postgresql_tables(url) == 0


def _parse_backup_output(out: str) -> tuple[Path, int, str]:
    path = re.search(r"^Backup written: (.+)$", out, re.M)
    size = re.search(r"^size: (\d+) bytes$", out, re.M)
    digest = re.search(r"^sha256: ([0-9a-f]{64})$", out, re.M)
    assert path and size and digest, out
    return Path(path.group(1)), int(size.group(1)), digest.group(1)


def _frames(data: bytes) -> tuple[bytes, list[bytes]]:
    """A backup's header and its frames (length prefix and sealed chunk), as core.backup writes
    them."""
    end = data.index(b"\n", data.index(b"\n") + 1) + 1
    header, at, frames = data[:end], end, []
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        frames.append(data[at : at + 4 + length])
        at += 4 + length
    return header, frames


def _drill(deployment: Deployment, target_url: str, *, restore_from: str, tmp_path: Path) -> None:
    env = deployment.env()
    # The source as it stands before the backup: its tables, its chain head, its values.
    before = _shell(env, TABLES)
    verified = _ok(env, "verify_audit")
    intact = re.search(r"Audit log intact: (\d+) entries", verified)
    # Each chain's head (the deployment's, and each setting's).
    heads = re.findall(r"chain: \d+ entries intact to seal #\d+, digest [0-9a-f]+", verified)
    assert intact and len(heads) == 3, verified
    assert int(intact.group(1)) > 1000  # the demo's year of records, every one audited

    output = tmp_path / "monthly" / "confide.backup"
    made = _ok(env, "backup", "--output", str(output))
    path, size, digest = _parse_backup_output(made)
    assert path == output
    data = output.read_bytes()
    assert len(data) == size
    assert hashlib.sha256(data).hexdigest() == digest
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert not output.with_name(output.name + ".partial").exists()
    assert f"Encrypted with key {deployment.key_id}" in made
    # The source's audit log says a backup was made: its size and checksum, nothing else.
    events = _shell(env, BACKUP_EVENTS)
    assert events[-1] == {"event": "backup_made", "size": size, "sha256": digest}

    # Refused before anything is written: another deployment's keys, and a copy cut short.
    strangers = _keys_file(tmp_path / "other-keys.json", new_key_spec())
    refused = _manage(
        deployment.env(keys=strangers, database_url=restore_from),
        "restore",
        str(output),
        "--database-url",
        target_url,
    )
    assert refused.returncode != 0
    assert (
        f"This backup was encrypted with key {deployment.key_id}, which is not in "
        "CONFIDE_ENCRYPTION_KEYS: restore needs the keys of the deployment it came from."
    ) in refused.stderr
    assert _target_is_empty(target_url)
    cut = tmp_path / "cut.backup"
    cut.write_bytes(data[: len(data) - 100])
    refused = _manage(
        deployment.env(database_url=restore_from), "restore", str(cut), "--database-url", target_url
    )
    assert refused.returncode != 0
    assert "The backup is truncated" in refused.stderr, refused.stderr
    assert _target_is_empty(target_url)

    restored = _ok(
        deployment.env(database_url=restore_from),
        "restore",
        str(output),
        "--database-url",
        target_url,
    )
    assert "It needs no migrate" in restored
    assert f"DATABASE_URL={target_url}" in restored
    assert "verify_audit" in restored

    target = deployment.env(database_url=target_url)
    # Every table: the same number of rows, with the same values.
    after = _shell(target, TABLES)
    assert after.keys() == before.keys()
    differing = [t for t in before if before[t] != after[t]]
    assert differing == [], differing
    assert before["auditlog_logentry"][0] > 1000
    # The audit chain verifies against the same anchors, with the same head.
    verified = _ok(target, "verify_audit")
    assert f"Audit log intact: {intact.group(1)} entries" in verified
    assert (
        re.findall(r"chain: \d+ entries intact to seal #\d+, digest [0-9a-f]+", verified) == heads
    )
    assert "anchors in" in verified and " 0 anchors" not in verified
    # Every encrypted value decrypts, and the sealed rows verify as they did in the source. (Read
    # only now: a seal that fails is written to the audit log, in each database.)
    decrypted = _shell(target, DECRYPTS)
    assert decrypted == _shell(env, DECRYPTS)
    assert decrypted["values"] > 1000
    assert decrypted["sealed_rows"] > 5

    # The file holds nothing readable: no name, address, entry text, nor a database's signature.
    assert len(decrypted["first_name"]) >= 6  # long enough not to occur in ciphertext by chance
    readable = [
        decrypted["first_name"],
        *decrypted["names"],
        *decrypted["addresses"],
        decrypted["entry_text"],
        "SQLite format",
        "PGDMP",
    ]
    assert len(decrypted["names"]) >= 20 and len(decrypted["addresses"]) >= 20
    assert [text for text in readable if text.encode() in data] == []
    if target_url.startswith("sqlite:"):
        # The same scan finds them in the restored database, where names are plain columns.
        plain = _sqlite_file(target_url).read_bytes()
        assert decrypted["first_name"].encode() in plain
        assert decrypted["addresses"][0].encode() in plain
        assert plain.startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_monthly_drill_restores_every_row_and_the_chain_verifies_and_all_decrypts(
    vendor: str, sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    if vendor == "sqlite":
        # The restore runs with DATABASES['default'] a file that does not exist: it never opens
        # it (a restore on the day the live database is gone), so it is not even created.
        untouched = tmp_path / "the-live-database-is-gone.sqlite3"
        target = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        _drill(sqlite_deployment, target, restore_from=f"sqlite:///{untouched}", tmp_path=tmp_path)
        assert not untouched.exists()
        return
    suffix = secrets.token_hex(4)
    with _postgresql_databases(f"confide_backup_src_{suffix}", f"confide_backup_dst_{suffix}") as (
        source,
        target,
    ):
        deployment = _new_deployment(tmp_path / "deployment", source)
        _drill(deployment, target, restore_from=source, tmp_path=tmp_path)


def test_a_restore_without_the_keys_fails_naming_the_key_and_creates_nothing(
    sqlite_deployment: Deployment, sqlite_backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "restored.sqlite3"
    other = _keys_file(tmp_path / "another-deployment.json", new_key_spec())
    done = _manage(
        sqlite_deployment.env(keys=other),
        "restore",
        str(sqlite_backup),
        "--database-url",
        f"sqlite:///{target}",
    )
    assert done.returncode != 0
    assert (
        f"This backup was encrypted with key {sqlite_deployment.key_id}, which is not in "
        "CONFIDE_ENCRYPTION_KEYS: restore needs the keys of the deployment it came from."
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.glob("restored*")) == []


def _cut_mid_chunk(header: bytes, frames: list[bytes]) -> bytes:
    return header + b"".join(frames[:-2]) + frames[-2][:1000]


def _last_chunk_dropped(header: bytes, frames: list[bytes]) -> bytes:
    return header + b"".join(frames[:-1])


def _byte_changed(header: bytes, frames: list[bytes]) -> bytes:
    changed = bytearray(frames[1])
    changed[len(changed) // 2] ^= 0x01
    return header + frames[0] + bytes(changed) + b"".join(frames[2:])


def _chunks_swapped(header: bytes, frames: list[bytes]) -> bytes:
    return header + frames[1] + frames[0] + b"".join(frames[2:])


def _middle_chunk_dropped(header: bytes, frames: list[bytes]) -> bytes:
    return header + frames[0] + b"".join(frames[2:])


def _salt_edited(header: bytes, frames: list[bytes]) -> bytes:
    edited = re.sub(
        rb'"salt": "(.)', lambda m: b'"salt": "' + (b"B" if m[1] != b"B" else b"C"), header
    )
    return edited + b"".join(frames)


def _kind_edited(header: bytes, frames: list[bytes]) -> bytes:
    return header.replace(b'"kind": "sqlite"', b'"kind": "postgresql"') + b"".join(frames)


def _header_respaced(header: bytes, frames: list[bytes]) -> bytes:
    # The same fields, written differently: the header's bytes are bound into every chunk.
    return header.replace(b'{"chunk"', b'{ "chunk"') + b"".join(frames)


def _data_appended(header: bytes, frames: list[bytes]) -> bytes:
    return header + b"".join(frames) + frames[-1]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_cut_mid_chunk, "The backup is truncated"),
        (_last_chunk_dropped, "The backup is truncated"),
        (_byte_changed, "The backup failed its integrity check at chunk 2"),
        (_chunks_swapped, "The backup failed its integrity check at chunk 1"),
        (_middle_chunk_dropped, "The backup failed its integrity check at chunk 2"),
        (_salt_edited, "The backup failed its integrity check at chunk 1"),
        (_kind_edited, "This is a backup of a postgresql database"),
        (_header_respaced, "The backup failed its integrity check at chunk 1"),
        (_data_appended, "The backup failed its integrity check"),
    ],
)
def test_a_backup_cut_short_or_edited_is_refused_and_nothing_is_restored(
    tamper: Any,
    message: str,
    sqlite_deployment: Deployment,
    sqlite_backup: Path,
    tmp_path: Path,
    settings: Any,
) -> None:
    settings.CONFIDE_ENCRYPTION_KEYS = sqlite_deployment.key_spec
    header, frames = _frames(sqlite_backup.read_bytes())
    assert len(frames) >= 3  # the demo is a few MiB: chunks to reorder and drop
    edited = tmp_path / "edited.backup"
    edited.write_bytes(tamper(header, frames))
    target = tmp_path / "restored.sqlite3"
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("restore", str(edited), database_url=f"sqlite:///{target}")
    assert list(tmp_path.glob("restored*")) == []


def test_the_untouched_backup_restores_in_process_with_the_keys(
    sqlite_deployment: Deployment, sqlite_backup: Path, tmp_path: Path, settings: Any
) -> None:
    # The control for the refusals above: the same file, unedited, with the same keys.
    settings.CONFIDE_ENCRYPTION_KEYS = sqlite_deployment.key_spec
    target = tmp_path / "restored.sqlite3"
    out = io.StringIO()
    call_command("restore", str(sqlite_backup), database_url=f"sqlite:///{target}", stdout=out)
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    # Restoring over it again is refused: a restore goes into a fresh database only.
    before = target.read_bytes()
    with pytest.raises(CommandError, match="already holds a database"):
        call_command("restore", str(sqlite_backup), database_url=f"sqlite:///{target}")
    assert target.read_bytes() == before


def test_a_file_that_is_not_a_backup_is_refused(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    plain = _sqlite_file(sqlite_deployment.url)
    target = tmp_path / "restored.sqlite3"
    with pytest.raises(CommandError, match="This is not a Confide backup"):
        call_command("restore", str(plain), database_url=f"sqlite:///{target}")
    assert not target.exists()


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 5])
def test_every_length_round_trips_and_losing_the_last_chunk_is_seen(
    size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sizes on either side of a chunk's boundary: the last chunk is the one sealed as last, even
    # when it is full or empty, so a copy that stops at any boundary is known to be cut short.
    monkeypatch.setattr(backup, "CHUNK_SIZE", 4096)
    plain = os.urandom(size)
    sealed = io.BytesIO()
    sealer = backup.Sealer(sealed, backup._new_header(backup.SQLITE))
    for at in range(0, size, 1000):
        sealer.write(plain[at : at + 1000])
    sealer.finish()
    data = sealed.getvalue()
    assert b"".join(backup.decrypt_chunks(io.BytesIO(data))) == plain
    header, frames = _frames(data)
    assert len(frames) == max(1, -(-size // 4096))
    for kept in range(len(frames)):
        with pytest.raises(backup.BackupError, match="truncated"):
            b"".join(backup.decrypt_chunks(io.BytesIO(header + b"".join(frames[:kept]))))


def _full_disk_after(writes: int) -> Any:
    """A stand-in for core.backup's write that fills the disk after ``writes`` writes."""
    done = [0]

    def write(out: IO[bytes], data: bytes) -> None:
        if done[0] >= writes:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        done[0] += 1
        out.write(data)

    return write


def test_a_full_disk_while_writing_leaves_no_file_and_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Small chunks, so the disk fills part-way: after the header and two chunks.
    monkeypatch.setattr(backup, "CHUNK_SIZE", 4096)
    monkeypatch.setattr(backup, "_write", _full_disk_after(3))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    folder = tmp_path / "backups"
    with pytest.raises(CommandError) as raised:
        call_command("backup", output=str(folder / "confide.backup"))
    assert str(raised.value) == (
        "No space left on device while writing the backup: nothing was kept. Free space on "
        f"{folder} (or choose another place with --output) and run it again."
    )
    assert list(folder.iterdir()) == []  # neither the backup nor its .partial
    assert list(scratch.iterdir()) == []  # nor the plain snapshot it was encrypting
    assert not LogEntry.objects.filter(additional_data__event="backup_made").exists()


def test_backup_prints_path_size_and_checksum_and_audits_them(
    settings: Any, tmp_path: Path
) -> None:
    settings.BASE_DIR = tmp_path
    out = io.StringIO()
    call_command("backup", stdout=out)
    path, size, digest = _parse_backup_output(out.getvalue())
    assert path.parent == tmp_path / "backups"
    assert re.fullmatch(r"confide-\d{8}T\d{6}Z\.backup", path.name)
    data = path.read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (size, digest)
    assert data.startswith(b"CONFIDE-BACKUP-1\n")
    [event] = LogEntry.objects.filter(additional_data__event="backup_made")
    assert event.additional_data == {"event": "backup_made", "size": size, "sha256": digest}
    # A second backup never overwrites one already made.
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(path))
    assert path.read_bytes() == data
