"""Backups of the whole database, encrypted whole, and their restore into a fresh database.

Names and addresses are plain columns, so a dump is encrypted as one file, not only the fields
that are encrypted already. A backup is::

    CONFIDE-BACKUP-1\\n
    {"chunk": 1048576, "key_id": "k2025...", "kind": "postgresql", "salt": "<base64>"}\\n
    then frames: 4-byte big-endian length, AES-256-GCM ciphertext of one chunk (1 MiB)

The key is derived with HKDF from the newest master key in ``CONFIDE_ENCRYPTION_KEYS`` and the
file's random salt, so every backup has a key of its own and a chunk's nonce can be its index.
Each chunk's associated data is the header, its index and whether it is the last: chunks cannot
be reordered, dropped, or cut from the end without the file failing to decrypt. The header names
the master key, so a restore without it says which key it needs.

PostgreSQL is dumped with ``pg_dump --format=custom`` streamed straight into the encryption;
SQLite is copied with the sqlite3 backup API (a consistent snapshot of a live database) into a
private temporary directory, then encrypted. The backup is written to ``<output>.partial``,
flushed to disk and renamed: on any error (a full disk included) the partial file is deleted, so
a file with the backup's name is always a whole backup. A restore decrypts and checks the whole
file (into a 0600 file) before it writes anything into the target.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections

from . import crypto

MAGIC = b"CONFIDE-BACKUP-1"
CHUNK_SIZE = 1024 * 1024
TAG_BYTES = 16
SALT_BYTES = 16
MAX_HEADER_BYTES = 4096
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
POSTGRESQL, SQLITE = "postgresql", "sqlite"


class BackupError(Exception):
    """A backup could not be made or restored; the message says why and what to do."""


class MissingKeyError(BackupError):
    """The backup was encrypted with a master key this deployment does not have."""


@dataclass(frozen=True)
class Header:
    key_id: str
    kind: str
    salt: bytes
    chunk: int
    raw: bytes


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    sha256: str
    key_id: str
    kind: str


# --- the encrypted file -------------------------------------------------------------------------


def _write(out: IO[bytes], data: bytes) -> None:
    """Every byte of a backup is written here (a test makes it fail as a full disk would)."""
    out.write(data)


def _derive(master: bytes, header: Header) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=header.salt,
        info=b"confide backup v1|" + header.key_id.encode(),
    ).derive(master)
    return AESGCM(key)


def _nonce(index: int, final: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _aad(header: Header, index: int, final: bool) -> bytes:
    return header.raw + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def _new_header(kind: str) -> Header:
    ring = crypto.keyring()
    salt = os.urandom(SALT_BYTES)
    fields = {
        "chunk": CHUNK_SIZE,
        "key_id": ring.current_id,
        "kind": kind,
        "salt": base64.b64encode(salt).decode(),
    }
    raw = MAGIC + b"\n" + json.dumps(fields, sort_keys=True).encode() + b"\n"
    return Header(key_id=ring.current_id, kind=kind, salt=salt, chunk=CHUNK_SIZE, raw=raw)


class Sealer:
    """Encrypts what is written to it, one chunk at a time, into ``out``; ``finish`` seals the
    last chunk (possibly empty) as the last."""

    def __init__(self, out: IO[bytes], header: Header) -> None:
        self.out = out
        self.header = header
        self.aead = _derive(crypto.keyring().keys[header.key_id], header)
        self.buffer = bytearray()
        self.index = 0
        self.size = 0
        self.digest = hashlib.sha256()
        self._emit(header.raw)

    def _emit(self, data: bytes) -> None:
        _write(self.out, data)
        self.digest.update(data)
        self.size += len(data)

    def _seal(self, plain: bytes, final: bool) -> None:
        sealed = self.aead.encrypt(
            _nonce(self.index, final), plain, _aad(self.header, self.index, final)
        )
        self._emit(len(sealed).to_bytes(4, "big") + sealed)
        self.index += 1

    def write(self, data: bytes) -> None:
        self.buffer += data
        # Keep at least one byte back: the last chunk is only known at ``finish``.
        while len(self.buffer) > self.header.chunk:
            self._seal(bytes(self.buffer[: self.header.chunk]), final=False)
            del self.buffer[: self.header.chunk]

    def finish(self) -> None:
        self._seal(bytes(self.buffer), final=True)
        self.buffer.clear()


def read_header(source: IO[bytes]) -> Header:
    if source.read(len(MAGIC) + 1) != MAGIC + b"\n":
        raise BackupError(f"This is not a Confide backup: it does not start with {MAGIC.decode()}.")
    line = source.readline(MAX_HEADER_BYTES)
    try:
        if not line.endswith(b"\n"):
            raise ValueError
        fields = json.loads(line)
        header = Header(
            key_id=str(fields["key_id"]),
            kind=str(fields["kind"]),
            salt=base64.b64decode(fields["salt"], validate=True),
            chunk=int(fields["chunk"]),
            raw=MAGIC + b"\n" + line,
        )
        if header.kind not in (POSTGRESQL, SQLITE) or not 0 < header.chunk <= 64 * CHUNK_SIZE:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BackupError(
            "The backup's header is damaged: it cannot be read. Use another copy of the backup."
        ) from None
    return header


def _opener(header: Header) -> AESGCM:
    ring = crypto.keyring()
    if header.key_id not in ring.keys:
        raise MissingKeyError(
            f"This backup was encrypted with key {header.key_id}, which is not in "
            "CONFIDE_ENCRYPTION_KEYS: restore needs the keys of the deployment it came from."
        )
    return _derive(ring.keys[header.key_id], header)


def _damaged(index: int) -> BackupError:
    return BackupError(
        f"The backup failed its integrity check at chunk {index + 1}: it was changed after it "
        "was made, or it is damaged. Nothing was restored; use another copy of the backup."
    )


def _cut_short(index: int) -> BackupError:
    return BackupError(
        f"The backup is truncated: it ends after {index} chunk(s), before its last one (a copy "
        "cut short). Nothing was restored; use another copy of the backup."
    )


def _read_frame(source: IO[bytes], header: Header, index: int) -> bytes | None:
    prefix = source.read(4)
    if not prefix:
        return None
    if len(prefix) < 4:
        raise _cut_short(index)
    length = int.from_bytes(prefix, "big")
    if not TAG_BYTES <= length <= header.chunk + TAG_BYTES:
        raise _damaged(index)
    sealed = source.read(length)
    if len(sealed) < length:
        raise _cut_short(index)
    return sealed


def decrypt_chunks(source: IO[bytes]) -> Iterator[bytes]:
    """The plaintext of a backup, chunk by chunk, each checked. The file is whole only once the
    iterator is exhausted: write what it yields somewhere temporary until then."""
    header = read_header(source)
    aead = _opener(header)
    index = 0
    frame = _read_frame(source, header, index)
    while True:
        if frame is None:
            raise _cut_short(index)
        following = _read_frame(source, header, index + 1)
        final = following is None
        try:
            yield aead.decrypt(_nonce(index, final), frame, _aad(header, index, final))
        except InvalidTag:
            if final and _opens_as_middle(aead, header, index, frame):
                raise _cut_short(index + 1) from None
            raise _damaged(index) from None
        if final:
            return
        frame, index = following, index + 1


def _opens_as_middle(aead: AESGCM, header: Header, index: int, frame: bytes) -> bool:
    try:
        aead.decrypt(_nonce(index, False), frame, _aad(header, index, False))
    except InvalidTag:
        return False
    return True


def describe_os_error(error: OSError, directory: Path) -> str:
    if error.errno == errno.ENOSPC:
        return (
            "No space left on device while writing the backup: nothing was kept. Free space on "
            f"{directory} (or choose another place with --output) and run it again."
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Cannot write the backup in {directory} ({error.strerror}): nothing was kept. "
            "Choose a directory this user may write (--output) and run it again."
        )
    return f"Writing the backup failed ({error.strerror or error}): nothing was kept."


# --- making a backup ----------------------------------------------------------------------------


def vendor_of(database: Mapping[str, Any]) -> str:
    engine = str(database.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        return SQLITE
    if "postgresql" in engine:
        return POSTGRESQL
    raise BackupError(f"Backups are made of PostgreSQL and SQLite databases, not {engine!r}.")


def _pg_command(program: str, database: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The program (pg_dump, pg_restore) and its connection arguments; the password goes in the
    environment, never on the command line where other users of the machine can read it."""
    found = shutil.which(program)
    if found is None:
        raise BackupError(
            f"{program} was not found: install the PostgreSQL client programs (the same major "
            "version as the server, or newer) and run it again."
        )
    args = [found, "--no-password"]
    for flag, name in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(name):
            args.append(f"{flag}={database[name]}")
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    options = database.get("OPTIONS") or {}
    for option, variable in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _tail(path: Path) -> str:
    return path.read_text(errors="replace").strip()[-2000:]


def _dump_postgresql(database: Mapping[str, Any], sealer: Sealer, scratch: Path) -> None:
    args, env = _pg_command("pg_dump", database)
    errors = scratch / "pg_dump.err"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(  # noqa: S603 - pg_dump, with arguments from the settings
            [*args, "--format=custom", f"--dbname={database['NAME']}"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )
        dump = cast(IO[bytes], process.stdout)
        try:
            while data := dump.read(CHUNK_SIZE):
                sealer.write(data)
            returncode = process.wait()
        finally:
            # On any failure (a full disk) pg_dump must not be left blocked on its pipe.
            if process.poll() is None:
                process.kill()
                process.wait()
            dump.close()
    if returncode != 0:
        raise BackupError(f"pg_dump failed (exit {returncode}): {_tail(errors)}")


def _dump_sqlite(using: str, sealer: Sealer, scratch: Path) -> None:
    snapshot = scratch / "snapshot.sqlite3"
    connection = connections[using]
    connection.ensure_connection()
    copy = sqlite3.connect(snapshot)
    try:
        connection.connection.backup(copy)
    except sqlite3.Error as error:
        raise BackupError(
            f"Copying the SQLite database into {scratch.parent} failed ({error}): nothing was "
            "kept. Free space there (or set TMPDIR to a directory with room) and run it again."
        ) from error
    finally:
        copy.close()
    with snapshot.open("rb") as plain:
        while data := plain.read(CHUNK_SIZE):
            sealer.write(data)


def _write_atomically[T](output: Path, fill: Callable[[IO[bytes]], T]) -> T:
    """``fill`` writes ``<output>.partial``, which becomes ``output`` only when whole and on disk;
    on any error it is deleted."""
    partial = output.with_name(output.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
            filled = fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(output.parent)
    return filled


def _sync_directory(directory: Path) -> None:
    # The rename is on disk only once the directory is (POSIX); elsewhere there is no such call.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_backup(output: Path, *, using: str = "default") -> BackupFile:
    """Dump the database ``using`` and write it, encrypted, to ``output`` (which must not exist).
    Raises BackupError, with a message a person can act on, and leaves no file behind."""
    database = connections[using].settings_dict
    kind = vendor_of(database)
    if output.exists():
        raise BackupError(f"{output} already exists: choose another name, or move it away first.")
    header = _new_header(kind)

    def fill(out: IO[bytes]) -> Sealer:
        sealer = Sealer(out, header)
        # The plain SQLite snapshot (or pg_dump's messages) live here, only while encrypting.
        with tempfile.TemporaryDirectory(prefix="confide-backup-") as scratch:
            if kind == POSTGRESQL:
                _dump_postgresql(database, sealer, Path(scratch))
            else:
                _dump_sqlite(using, sealer, Path(scratch))
        sealer.finish()
        return sealer

    try:
        sealer = _write_atomically(output, fill)
    except OSError as error:
        raise BackupError(describe_os_error(error, output.parent)) from error
    return BackupFile(
        path=output,
        size=sealer.size,
        sha256=sealer.digest.hexdigest(),
        key_id=header.key_id,
        kind=kind,
    )


# --- restoring ----------------------------------------------------------------------------------


def _sqlite_path(database: Mapping[str, Any]) -> Path:
    return Path(str(database["NAME"])).expanduser().resolve()


def _same_database(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    try:
        kind = vendor_of(a)
        if kind != vendor_of(b):
            return False
    except BackupError:
        return False
    if kind == SQLITE:
        return str(a["NAME"]) == str(b["NAME"]) or _sqlite_path(a) == _sqlite_path(b)
    return all(
        str(a.get(name) or "") == str(b.get(name) or "") for name in ("NAME", "HOST", "PORT")
    )


def _pg_tables(database: Mapping[str, Any]) -> int:
    options = database.get("OPTIONS") or {}
    params: dict[str, Any] = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "connect_timeout": 10,
    }
    params |= {k: v for k, v in options.items() if k in ("sslmode", "sslrootcert", "passfile")}
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg_toast%'"
            ).fetchone()
    except psycopg.OperationalError as error:
        raise BackupError(
            f"Cannot connect to the target database {database['NAME']!r}: "
            f"{str(error).strip()}. Create it first, empty (createdb {database['NAME']}), "
            "and run the restore again."
        ) from None
    return int(found[0]) if found else 0


def _sqlite_tables(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        # Not a database at all: still not a place to restore into.
        return 1


def _decrypt_into(source: Path, target: Path) -> None:
    """Decrypt ``source`` into ``target`` (made 0600), whole or not at all."""
    with source.open("rb") as sealed:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as plain:
            for chunk in decrypt_chunks(sealed):
                plain.write(chunk)
            plain.flush()
            os.fsync(plain.fileno())


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as file:
        return file.read(len(magic)) == magic


def _sqlite_problem(path: Path) -> str:
    """What SQLite's own check finds wrong with the database at ``path`` ('' when nothing)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    return "" if found and found[0] == "ok" else str(found)


def _restore_sqlite(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    try:
        _decrypt_into(source, partial)
        if not _starts_with(partial, SQLITE_MAGIC):
            raise BackupError("The backup does not hold an SQLite database: nothing was restored.")
        problem = _sqlite_problem(partial)
        if problem:
            raise BackupError(
                f"The restored SQLite database failed its integrity check ({problem}): "
                "nothing was restored; use another copy of the backup."
            )
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _restore_postgresql(source: Path, database: Mapping[str, Any]) -> None:
    args, env = _pg_command("pg_restore", database)
    with tempfile.TemporaryDirectory(prefix="confide-restore-") as scratch:
        dump = Path(scratch) / "database.dump"
        _decrypt_into(source, dump)
        if not _starts_with(dump, PG_MAGIC):
            raise BackupError("The backup does not hold a PostgreSQL dump: nothing was restored.")
        done = subprocess.run(  # noqa: S603 - pg_restore, with arguments from the settings
            [
                *args,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={database['NAME']}",
                str(dump),
            ],
            capture_output=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit {done.returncode}), and the target database was left as "
            f"it was (the restore runs in one transaction): "
            f"{done.stderr.decode(errors='replace').strip()[-2000:]}"
        )


def restore_backup(source: Path, target: Mapping[str, Any]) -> Header:
    """Restore the backup ``source`` into the fresh, empty database ``target`` (a DATABASES
    entry). Never the database this process uses; a wrong key or a damaged file is refused
    before the target is written."""
    try:
        with source.open("rb") as sealed:
            header = read_header(sealed)
    except FileNotFoundError:
        raise BackupError(f"There is no backup at {source}.") from None
    _opener(header)
    kind = vendor_of(target)
    if kind != header.kind:
        raise BackupError(
            f"This is a backup of a {header.kind} database: restore it into a {header.kind} "
            f"database, not a {kind} one."
        )
    if _same_database(target, settings.DATABASES["default"]):
        raise BackupError(
            "That is the database this Confide uses (DATABASES['default']): a restore goes into "
            "a new, empty database. Name another one with --database-url."
        )
    try:
        if kind == SQLITE:
            path = _sqlite_path(target)
            if _sqlite_tables(path):
                raise BackupError(
                    f"{path} already holds a database: a restore goes into a new, empty one. "
                    "Name a file that does not exist yet."
                )
            if not path.parent.is_dir():
                raise BackupError(f"There is no directory {path.parent} to restore into.")
            _restore_sqlite(source, path)
        else:
            if _pg_tables(target):
                raise BackupError(
                    f"The database {target['NAME']!r} already has tables: a restore goes into a "
                    "new, empty database (createdb NEW_NAME), never over one in use."
                )
            _restore_postgresql(source, target)
    except OSError as error:
        advice = (
            " Free space for the decrypted copy (TMPDIR, or beside the target file) and run it "
            "again."
            if error.errno == errno.ENOSPC
            else ""
        )
        raise BackupError(
            f"Restoring failed ({error.strerror or error}): nothing was restored.{advice}"
        ) from error
    return header
