"""Anchors: the audit chain's head, signed, written where the database cannot reach it.

The hash chain (audit.chain) shows an edited, reordered or deleted entry in the middle, but not the
last entries cut from the end (with the triggers bypassed, or on SQLite, where nothing refuses a
DELETE): the shorter chain is still a valid chain. So a scheduled job (``audit_anchor``,
core.schedules) appends the head — the newest seal's sequence and digest — to a file in
``CONFIDE_AUDIT_ANCHOR_DIR`` (a directory the database server cannot write: another disk, another
machine's mount), and optionally emails it (``CONFIDE_AUDIT_ANCHOR_EMAIL``). One line per chain
(each setting's, and the deployment's: audit.chain), signed with an HMAC under a key derived from
the newest master key (the deployment's chain) or the setting's own data key (a setting's chain,
so its anchors verify wherever the setting goes), so a line cannot be forged without it.

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
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core import crypto, keys

from .chain import chains
from .models import DEPLOYMENT_CHAIN, AuditSeal


def directory() -> Path:
    return Path(settings.CONFIDE_AUDIT_ANCHOR_DIR)


def _key(key_id: str, chain: UUID = DEPLOYMENT_CHAIN) -> bytes:
    """The signing key: from a master key for the deployment's chain; from the setting's data key
    for a setting's, so its anchors go with it when it leaves (audit.export)."""
    if chain != DEPLOYMENT_CHAIN:
        secret = keys.unwrap(UUID(key_id))
        info = b"confide audit anchor v2|" + str(chain).encode()
    else:
        ring = crypto.keyring()
        if key_id not in ring.keys:
            raise crypto.DecryptionError(f"no encryption key with id {key_id!r} is configured")
        secret, info = ring.keys[key_id], b"confide audit anchor v1"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def chain_of(record: dict[str, Any]) -> UUID | None:
    """The chain an anchor speaks of (None when it names none that can be read)."""
    named = record.get("setting")
    if named is None:
        return DEPLOYMENT_CHAIN
    try:
        return UUID(str(named))
    except ValueError:
        return None


def _body(record: dict[str, Any]) -> bytes:
    fields = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign(record: dict[str, Any], chain: UUID = DEPLOYMENT_CHAIN) -> dict[str, Any]:
    if chain == DEPLOYMENT_CHAIN:
        key_id = crypto.keyring().current_id
    else:
        key_id = str(keys.key_id_for(keys.Owner(keys.SETTING, chain)))
        record = record | {"setting": str(chain)}
    record = record | {"key_id": key_id}
    signature = hmac.new(_key(key_id, chain), _body(record), hashlib.sha256).hexdigest()
    return record | {"signature": signature}


def signature_ok(record: dict[str, Any]) -> bool:
    chain = chain_of(record)
    if chain is None:
        return False
    try:
        key = _key(str(record.get("key_id", "")), chain)
    except (crypto.DecryptionError, ValueError):
        return False
    expected = hmac.new(key, _body(record), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(record.get("signature", "")))


def chain_id(chain: UUID = DEPLOYMENT_CHAIN) -> str:
    """Which history a chain is: the digest of its first seal ('' before the first)."""
    first = AuditSeal.objects.filter(chain=chain, sequence=1).values_list("digest", flat=True)
    return first.first() or ""


def head(chain: UUID = DEPLOYMENT_CHAIN) -> tuple[int, str]:
    last = (
        AuditSeal.objects.filter(chain=chain)
        .order_by("-sequence")
        .values_list("sequence", "digest")
        .first()
    )
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


def _file_of(moment: datetime) -> Path:
    return directory() / f"anchors-{moment:%Y-%m}.jsonl"


def last_written(moment: datetime | None = None) -> dict[UUID, dict[str, Any]]:
    """The newest anchor of each chain in this month's file (each month's file names every
    chain, so the newest file alone tells which chains there are)."""
    found: dict[UUID, dict[str, Any]] = {}
    path = _file_of(moment or timezone.now())
    if not path.exists():
        return found
    for anchor in read(newest_files=1):
        chain = chain_of(anchor.record)
        if chain is not None and anchor.file == path.name:
            found[chain] = anchor.record
    return found


def heads() -> dict[UUID, tuple[int, str]]:
    """Each chain's head: its newest seal's sequence and digest."""
    return {chain: head(chain) for chain in chains()}


def write() -> str:
    """Append each chain's head, signed, unless it is already its last anchor (idempotent); and
    email the newest anchors where that is asked for and they have not gone yet (a failed email
    is tried again at the next run)."""
    current = {chain: top for chain, top in heads().items() if top[0] > 0}
    if not current:
        return "no seals yet: nothing to anchor"
    now = timezone.now()
    previous = last_written(now)
    lines, new = [], []
    for chain, (sequence, digest) in current.items():
        before = previous.get(chain)
        if before and before.get("sequence") == sequence and before.get("digest") == digest:
            lines.append(json.dumps(before, sort_keys=True) + "\n")
            continue
        record = sign(
            {
                "version": 2,
                "chain": chain_id(chain),
                "sequence": sequence,
                "digest": digest,
                "written_at": now.isoformat(timespec="seconds"),
            },
            chain,
        )
        line = json.dumps(record, sort_keys=True) + "\n"
        lines.append(line)
        new.append(line)
    if new:
        _append(_file_of(now), "".join(new))
    _email(lines, {str(chain): top[0] for chain, top in current.items()})
    deployment = current.get(DEPLOYMENT_CHAIN, (0, ""))[0]
    settings_part = f" and {len(current) - 1} settings' chains" if len(current) > 1 else ""
    if not new:
        return f"head #{deployment} already anchored{settings_part}"
    return f"anchored head #{deployment}{settings_part}"


def _append(path: Path, text: str) -> None:
    """Appended and flushed to the disk: one write, whole or not at all, and a full disk raises
    here (the job is recorded as failed; nothing in the database changes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def append(records: list[dict[str, Any]]) -> None:
    """Anchors brought with a setting that moved here (records.moving): signed with the
    setting's own key, so they check here as they did where they were written."""
    if records:
        _append(
            _file_of(timezone.now()),
            "".join(json.dumps(record, sort_keys=True) + "\n" for record in records),
        )


def _email(lines: list[str], sent: dict[str, int]) -> None:
    recipients = [a for a in settings.CONFIDE_AUDIT_ANCHOR_EMAIL if a]
    marker = directory() / "emailed"
    mark = json.dumps(sent, sort_keys=True)
    if not recipients or (marker.exists() and marker.read_text().strip() == mark):
        return
    send_mail(
        "Confide: audit log anchor",
        "Keep this message: it lets Confide prove later that no audit entries were cut.\n\n"
        + "".join(lines),
        None,
        recipients,
    )
    marker.write_text(mark + "\n")


def newest() -> list[Anchor]:
    """The last anchor written of each chain in the newest file."""
    last: dict[UUID | None, Anchor] = {}
    for anchor in read(newest_files=1):
        last[chain_of(anchor.record)] = anchor
    return list(last.values())


def chains_named(anchors: list[Anchor]) -> set[UUID]:
    """The chains the anchors speak of (a chain wholly deleted still has its anchors)."""
    return {c for a in anchors if (c := chain_of(a.record)) is not None}


def check(
    *,
    head_sequence: int,
    anchors: list[Anchor] | None = None,
    chain: UUID = DEPLOYMENT_CHAIN,
) -> list[str]:
    """What the anchors of one chain (all of them unless given) say is wrong with it: empty when
    it agrees with every one. Unreadable anchors are the deployment chain's problem."""
    if anchors is None:
        anchors = list(read())
    mine = [
        a
        for a in anchors
        if chain_of(a.record) == chain
        or (chain == DEPLOYMENT_CHAIN and chain_of(a.record) is None)
        or (chain == DEPLOYMENT_CHAIN and "unreadable" in a.record)
    ]
    if not mine:
        return []
    wanted = {a.record["sequence"] for a in mine if isinstance(a.record.get("sequence"), int)}
    digests: dict[int, str] = {}
    listed = sorted(wanted)
    for start in range(0, len(listed), 500):
        digests.update(
            AuditSeal.objects.filter(
                chain=chain, sequence__in=listed[start : start + 500]
            ).values_list("sequence", "digest")
        )
    this_chain = chain_id(chain)
    named = "" if chain == DEPLOYMENT_CHAIN else f" of setting {chain}"
    problems: list[str] = []
    for anchor in mine:
        record = anchor.record
        if "unreadable" in record or not isinstance(record.get("sequence"), int):
            problems.append(f"anchor {anchor.where} is unreadable: the anchor file was edited")
            continue
        if chain_of(record) is None:
            problems.append(f"anchor {anchor.where} names no chain: the anchor file was edited")
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
                f"anchor {anchor.where} belongs to another audit chain: the log{named} was "
                "replaced (or this anchor directory serves another database)"
            )
        elif sequence > head_sequence:
            problems.append(
                f"the chain{named} ends at seal #{head_sequence}, but anchor {anchor.where} saw "
                f"seal #{sequence}: entries were cut from the end of the audit log"
            )
        elif digests.get(sequence) != record.get("digest"):
            problems.append(
                f"seal #{sequence}{named} differs from anchor {anchor.where}: the log was rewound "
                "and rewritten from there (forked)"
            )
    return problems
