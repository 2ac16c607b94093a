"""Anchors: the audit chain's head, signed, written where the database cannot reach it.

The hash chain (audit.chain) shows an edited, reordered or deleted entry in the middle, but not the
last entries cut from the end (with the triggers bypassed, or on SQLite, where nothing refuses a
DELETE): the shorter chain is still a valid chain. So a scheduled job (``audit_anchor``,
core.schedules) appends the head — the newest seal's sequence and digest — to a file in
``CONFIDE_AUDIT_ANCHOR_DIR`` (a directory the database server cannot write: another disk, another
machine's mount), and optionally emails it (``CONFIDE_AUDIT_ANCHOR_EMAIL``). Each line is signed
with an HMAC under a key derived from the newest master key, so a line cannot be forged without it.

``check`` compares the chain with every anchor: a chain that ends before an anchor's seal was cut;
a seal whose digest differs from its anchor was rewound and rewritten (forked); an anchor of
another chain (its first seal differs) means the log was replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core import crypto

from .models import AuditSeal


def directory() -> Path:
    return Path(settings.CONFIDE_AUDIT_ANCHOR_DIR)


def _key(key_id: str) -> bytes:
    ring = crypto.keyring()
    if key_id not in ring.keys:
        raise crypto.DecryptionError(f"no encryption key with id {key_id!r} is configured")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"confide audit anchor v1"
    ).derive(ring.keys[key_id])


def _body(record: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign(record: dict[str, Any]) -> dict[str, Any]:
    key_id = crypto.keyring().current_id
    record = record | {"key_id": key_id}
    return record | {"signature": hmac.new(_key(key_id), _body(record), hashlib.sha256).hexdigest()}


def signature_ok(record: dict[str, Any]) -> bool:
    try:
        key = _key(str(record.get("key_id", "")))
    except crypto.DecryptionError:
        return False
    expected = hmac.new(key, _body(record), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(record.get("signature", "")))


def chain_id() -> str:
    """Which chain this is: the digest of its first seal ('' before the first)."""
    first = AuditSeal.objects.filter(sequence=1).values_list("digest", flat=True).first()
    return first or ""


def head() -> tuple[int, str]:
    last = AuditSeal.objects.order_by("-sequence").values_list("sequence", "digest").first()
    return last if last is not None else (0, "")


@dataclass(frozen=True)
class Anchor:
    file: str
    line: int
    record: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line} (written {self.record.get('written_at', '?')})"


def read(*, newest_files: int | None = None) -> Iterator[Anchor]:
    """The anchors in the directory, oldest file first (``newest_files``: only the last few)."""
    folder = directory()
    if not folder.is_dir():
        return
    files = sorted(folder.glob("anchors-*.jsonl"))
    if newest_files is not None:
        files = files[-newest_files:]
    for path in files:
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError:
                record = {"unreadable": text[:80]}
            yield Anchor(path.name, number, record)


def set_aside() -> Path | None:
    """Move the anchors of a database that was thrown away (a new demo) into a folder of their
    own, where checks no longer read them. Only for a new, empty audit log: on a live one, anchors
    that disagree are the evidence."""
    folder = directory()
    files = sorted(folder.glob("anchors-*.jsonl")) if folder.is_dir() else []
    if not files or AuditSeal.objects.exists():
        return None
    target = folder / f"before-{timezone.now():%Y%m%d-%H%M%S}"
    target.mkdir()
    for path in files:
        path.rename(target / path.name)
    return target


def last_written() -> dict[str, Any] | None:
    found = None
    for anchor in read(newest_files=1):
        found = anchor.record
    return found


def write() -> str:
    """Append the chain's head, signed, unless it is already the last anchor (idempotent); and
    email the newest anchor where that is asked for and it has not gone yet (a failed email is
    tried again at the next run)."""
    sequence, digest = head()
    if sequence == 0:
        return "no seals yet: nothing to anchor"
    previous = last_written()
    if previous and previous.get("sequence") == sequence and previous.get("digest") == digest:
        outcome = f"head #{sequence} already anchored"
        line = json.dumps(previous, sort_keys=True) + "\n"
    else:
        now = timezone.now()
        record = sign(
            {
                "version": 1,
                "chain": chain_id(),
                "sequence": sequence,
                "digest": digest,
                "written_at": now.isoformat(timespec="seconds"),
            }
        )
        line = json.dumps(record, sort_keys=True) + "\n"
        folder = directory()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"anchors-{now:%Y-%m}.jsonl"
        # Appended and flushed to the disk: a line is written whole or not at all, and a full
        # disk raises here (the job is recorded as failed; nothing in the database changes).
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        outcome = f"anchored head #{sequence}"
    _email(line, sequence)
    return outcome


def _email(line: str, sequence: int) -> None:
    recipients = [a for a in settings.CONFIDE_AUDIT_ANCHOR_EMAIL if a]
    marker = directory() / "emailed"
    if not recipients or (marker.exists() and marker.read_text().strip() == str(sequence)):
        return
    send_mail(
        "Confide: audit log anchor",
        "Keep this message: it lets Confide prove later that no audit entries were cut.\n\n" + line,
        None,
        recipients,
    )
    marker.write_text(f"{sequence}\n")


def newest() -> list[Anchor]:
    """The last anchor written (a list of one, or empty)."""
    found = list(read(newest_files=1))
    return found[-1:]


def check(*, head_sequence: int, anchors: list[Anchor] | None = None) -> list[str]:
    """What the anchors (all of them unless given) say is wrong with the chain: empty when it
    agrees with every one."""
    if anchors is None:
        anchors = list(read())
    if not anchors:
        return []
    wanted = {a.record["sequence"] for a in anchors if isinstance(a.record.get("sequence"), int)}
    digests: dict[int, str] = {}
    listed = sorted(wanted)
    for start in range(0, len(listed), 500):
        digests.update(
            AuditSeal.objects.filter(sequence__in=listed[start : start + 500]).values_list(
                "sequence", "digest"
            )
        )
    this_chain = chain_id()
    problems: list[str] = []
    for anchor in anchors:
        record = anchor.record
        if "unreadable" in record or not isinstance(record.get("sequence"), int):
            problems.append(f"anchor {anchor.where} is unreadable: the anchor file was edited")
            continue
        if not signature_ok(record):
            problems.append(
                f"anchor {anchor.where} is not signed by this deployment's keys: forged, or "
                "signed with a key no longer in CONFIDE_ENCRYPTION_KEYS"
            )
            continue
        sequence = record["sequence"]
        if record.get("chain") != this_chain:
            problems.append(
                f"anchor {anchor.where} belongs to another audit chain: the log was replaced "
                "(or this anchor directory serves another database)"
            )
        elif sequence > head_sequence:
            problems.append(
                f"the chain ends at seal #{head_sequence}, but anchor {anchor.where} saw seal "
                f"#{sequence}: entries were cut from the end of the audit log"
            )
        elif digests.get(sequence) != record.get("digest"):
            problems.append(
                f"seal #{sequence} differs from anchor {anchor.where}: the log was rewound and "
                "rewritten from there (forked)"
            )
    return problems
