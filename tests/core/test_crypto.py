"""Encryption at rest: ciphertexts bound to their row, key rotation, keys in production."""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import subprocess
import sys
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core import crypto, keys, reencrypt
from core.fields import encrypted_fields
from core.models import DataKey
from core.reencrypt import encrypted_models
from records.models import (
    Amendment,
    Attachment,
    Level,
    NeedToKnowGrant,
    RecordEntry,
    StaffRecord,
    StaffRecordKind,
)

from ..factories import make_entry

BASE_DIR = Path(__file__).resolve().parents[2]


def raw(model: type[models.Model], pk: Any, field: str) -> str:
    """The column as stored: encrypted fields read back as ciphertext until their attribute is read."""
    return str(model._base_manager.filter(pk=pk).values_list(field, flat=True).get())


def audited_failures(obj: models.Model) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(object_pk=str(obj.pk), additional_data__event="decryption_failed")
    )


# --- ciphertexts are bound to their row --------------------------------------------------------


@pytest.mark.django_db
def test_ciphertext_copied_to_another_row_fails_to_decrypt_and_is_audited(people):
    source = make_entry(people.child, people.keyperson1, text="Told me about the new baby.")
    target = make_entry(people.child, people.keyperson1, text="Built a tower.")
    RecordEntry.objects.filter(pk=target.pk).update(text=raw(RecordEntry, source.pk, "text"))

    moved = RecordEntry.objects.get(pk=target.pk)
    with pytest.raises(crypto.DecryptionError):
        moved.text  # noqa: B018
    # Never shown as an empty field: it fails again on every read.
    with pytest.raises(crypto.DecryptionError):
        moved.text  # noqa: B018
    failures = audited_failures(target)
    assert [f.additional_data["field"] for f in failures] == ["text", "text"]
    assert "Told me" not in str([f.additional_data for f in failures])
    # The source row itself still decrypts.
    assert RecordEntry.objects.get(pk=source.pk).text == "Told me about the new baby."


@pytest.mark.django_db
def test_ciphertext_copied_to_another_field_of_the_same_row_fails(people):
    entry = make_entry(people.child, people.keyperson1, text="Visible only to the key person.")
    RecordEntry.objects.filter(pk=entry.pk).update(
        not_informed_reason=raw(RecordEntry, entry.pk, "text")
    )
    with pytest.raises(crypto.DecryptionError):
        RecordEntry.objects.get(pk=entry.pk).not_informed_reason  # noqa: B018
    assert [f.additional_data["field"] for f in audited_failures(entry)] == ["not_informed_reason"]


@pytest.mark.django_db
def test_decryption_failure_on_a_page_is_audited_with_the_reader(people, client_for):
    source = make_entry(people.child, people.keyperson1, text="Had a nosebleed after lunch.")
    target = make_entry(people.child, people.keyperson1, text="Built a tower.")
    RecordEntry.objects.filter(pk=target.pk).update(text=raw(RecordEntry, source.pk, "text"))

    response = client_for("lead").get(reverse("records:entry_detail", args=[target.pk]))

    assert response.status_code == 500
    assert "failed its integrity check" in response.content.decode()
    assert "nosebleed" not in response.content.decode()
    [failure] = audited_failures(target)
    assert failure.actor == people.lead.user


@pytest.mark.django_db
def test_decryption_failure_outside_a_request_names_no_reader(people, client_for):
    # A request before leaves auditlog's context variable set in this thread.
    client_for("lead").get(reverse("home:dashboard"))
    entry = make_entry(people.child, people.keyperson1, text="Built a tower.")
    RecordEntry.objects.filter(pk=entry.pk).update(text="kX:" + "A" * 40)

    with pytest.raises(crypto.DecryptionError):
        RecordEntry.objects.get(pk=entry.pk).text  # noqa: B018

    [failure] = audited_failures(entry)
    assert failure.actor is None


@pytest.mark.django_db
def test_tampered_ciphertext_fails_to_decrypt_and_is_audited(people):
    entry = make_entry(people.child, people.keyperson1, text="Bruise on the left arm.")
    head, _, encoded = raw(RecordEntry, entry.pk, "text").rpartition("$")
    sealed = bytearray(base64.b64decode(encoded))
    sealed[-20] ^= 0x01  # one bit of the ciphertext
    tampered = f"{head}${base64.b64encode(bytes(sealed)).decode()}"
    RecordEntry.objects.filter(pk=entry.pk).update(text=tampered)

    with pytest.raises(crypto.DecryptionError, match="integrity"):
        RecordEntry.objects.get(pk=entry.pk).text  # noqa: B018
    assert len(audited_failures(entry)) == 1


# --- re-encryption into the current format, and key rotation ----------------------------------


def make_encrypted_rows(people: Any, n_entries: int = 3) -> None:
    """At least one row of every model with encrypted fields, empty values included."""
    entries = [
        make_entry(people.child, people.keyperson1, text=f"Observation number {i}.")
        for i in range(n_entries)
    ]
    entries[0].not_informed_reason = "It would put the child at risk."
    entries[0].body_map = [{"region": "front:chest", "x": 60.0, "y": 59.5, "note": "Bruise"}]
    entries[0].save()
    Amendment.objects.create(
        entry=entries[0], author=people.keyperson1, text="Corrected time.", reason="Typo."
    )
    content = b"%PDF-1.4 a small letter from the health visitor"
    Attachment.objects.create(
        entry=entries[0],
        uploaded_by=people.keyperson1,
        filename="letter.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    NeedToKnowGrant.objects.create(
        child=people.child,
        grantee=people.practitioner,
        level=Level.SENSITIVE,
        reason="Covering for the key person this week.",
        ends_at=timezone.now() + timedelta(days=7),
        granted_by=people.lead,
    )
    StaffRecord.objects.create(
        staff=people.practitioner,
        kind=StaffRecordKind.SUPERVISION,
        recorded_by=people.lead,
        occurred_on=date(2026, 1, 5),
        text="Supervision: all well.",
    )
    carer = people.child.carers.get()
    carer.court_order_restrictions = "No contact with the father."
    carer.save()


def snapshot() -> dict[tuple[str, str, str], str]:
    """Every encrypted column of every row, as stored."""
    out = {}
    for model in encrypted_models():
        names = [f.attname for f in encrypted_fields(model)]
        for row in model._base_manager.values("pk", *names):
            for name in names:
                out[(model._meta.label, str(row["pk"]), name)] = str(row[name] or "")
    return out


def plaintexts() -> dict[tuple[str, str, str], Any]:
    out = {}
    for model in encrypted_models():
        for obj in model._base_manager.all():
            for field in encrypted_fields(model):
                out[(model._meta.label, str(obj.pk), field.attname)] = getattr(obj, field.attname)
    return out


def make_legacy() -> int:
    """Every stored value put back in the first format (model, field and key only; empty values
    stored empty), as a database from before the key hierarchy holds it. Returns how many values."""
    done = 0
    for model in encrypted_models():
        fields = encrypted_fields(model)
        for obj in model._base_manager.all():
            old = {
                f.attname: (
                    ""
                    if getattr(obj, f.attname) == f.empty_plain
                    else crypto.encrypt_bytes(f.to_bytes(getattr(obj, f.attname)), f.aad(obj))
                )
                for f in fields
            }
            model._base_manager.filter(pk=obj.pk).update(**old)
            done += len(old)
    return done


def add_new_key(settings: Any) -> str:
    """A new key put first in CONFIDE_ENCRYPTION_KEYS, the old one kept after it."""
    spec = crypto.new_key_spec()
    settings.CONFIDE_ENCRYPTION_KEYS = f"{spec},{settings.CONFIDE_ENCRYPTION_KEYS}"
    return spec.partition(":")[0]


def command(name: str, **options: Any) -> str:
    out = StringIO()
    call_command(name, stdout=out, **options)
    keys.clear_cache()
    return out.getvalue()


@pytest.mark.django_db
def test_every_new_value_is_in_the_current_format_empty_ones_too(people):
    make_encrypted_rows(people)
    stored = snapshot()
    assert len(stored) >= 15
    assert all(value.startswith("v2$") for value in stored.values()), [
        k for k, v in stored.items() if not v.startswith("v2$")
    ]


@pytest.mark.django_db
def test_reencrypt_converts_every_old_value_and_keeps_plaintexts(people):
    make_encrypted_rows(people)
    plain_before = plaintexts()
    values = make_legacy()
    before = snapshot()
    assert not any(v.startswith("v2$") for v in before.values())
    empty = [k for k, v in before.items() if not v]
    assert len(empty) >= 5
    changes_before = LogEntry.objects.filter(action=LogEntry.Action.UPDATE).count()

    output = command("reencrypt")

    after = snapshot()
    assert after.keys() == before.keys()
    assert all(v.startswith("v2$") for v in after.values())
    assert plaintexts() == plain_before
    rows = len({k[:2] for k in before})
    assert f"re-encrypted {values} values in {rows} rows;" in output
    assert "CONFIDE_REFUSE_LEGACY_CIPHERTEXT=1" in output
    # No per-row change noise in the audit log; one summary event.
    assert LogEntry.objects.filter(action=LogEntry.Action.UPDATE).count() == changes_before
    [event] = LogEntry.objects.filter(additional_data__event="values_reencrypted")
    assert event.additional_data["values"] == values
    assert reencrypt.remaining() == 0


@pytest.mark.django_db
def test_a_second_reencrypt_changes_nothing(people):
    make_encrypted_rows(people)
    make_legacy()
    command("reencrypt")
    after_first = snapshot()

    output = command("reencrypt")

    assert snapshot() == after_first
    total_rows = sum(m._base_manager.count() for m in encrypted_models())
    assert f"re-encrypted 0 values in 0 rows; {total_rows} rows already in the current" in output


@pytest.mark.django_db
def test_reencrypt_killed_halfway_resumes_and_every_value_decrypts(people, monkeypatch):
    make_encrypted_rows(people, n_entries=7)
    plain_before = plaintexts()
    make_legacy()
    saves = 0
    real_save = RecordEntry.save

    def save_then_crash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal saves
        saves += 1
        if saves == 4:
            raise RuntimeError("power cut")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(RecordEntry, "save", save_then_crash)
    with pytest.raises(RuntimeError, match="power cut"):
        command("reencrypt", batch_size=3)
    monkeypatch.undo()
    keys.clear_cache()

    # The first batch of entries was committed; the interrupted batch was rolled back whole.
    formats = [
        raw(RecordEntry, e.pk, "text").startswith("v2$") for e in RecordEntry.objects.order_by("pk")
    ]
    assert formats.count(True) == 3
    # Every row is still readable, in whichever format it is.
    assert plaintexts() == plain_before

    output = command("reencrypt")

    assert all(v.startswith("v2$") for v in snapshot().values())
    assert plaintexts() == plain_before
    assert "in 0 rows" not in output
    assert "re-encrypted 0 values" in command("reencrypt")


@pytest.mark.django_db
def test_once_the_old_format_is_refused_an_old_value_or_an_emptied_column_is_tampering(
    people, settings
):
    make_encrypted_rows(people)
    command("reencrypt")
    settings.CONFIDE_REFUSE_LEGACY_CIPHERTEXT = True
    entry = RecordEntry.objects.order_by("recorded_at").first()
    assert entry is not None
    carer = people.child.carers.get()
    # Behind the application's back: an old-format value, and a court order's restrictions erased.
    old = crypto.encrypt_bytes(b"Nothing to see.", RecordEntry._meta.get_field("text").aad(entry))
    RecordEntry.objects.filter(pk=entry.pk).update(text=old)
    type(carer).objects.filter(pk=carer.pk).update(court_order_restrictions="")

    with pytest.raises(crypto.DecryptionError, match="old format"):
        RecordEntry.objects.get(pk=entry.pk).text  # noqa: B018
    with pytest.raises(crypto.DecryptionError, match="emptied"):
        type(carer).objects.get(pk=carer.pk).court_order_restrictions  # noqa: B018
    assert [f.additional_data["field"] for f in audited_failures(entry)] == ["text"]
    assert [f.additional_data["field"] for f in audited_failures(carer)] == [
        "court_order_restrictions"
    ]
    # reencrypt does not launder them: it names them, and leaves them as they are.
    with pytest.raises(CommandError, match="2 rows could not be decrypted"):
        command("reencrypt")
    assert raw(RecordEntry, entry.pk, "text") == old


@pytest.mark.django_db
def test_rotate_keys_rewraps_the_settings_keys_and_the_old_master_key_can_go(people, settings):
    make_encrypted_rows(people)
    plain_before = plaintexts()
    before = snapshot()
    old_spec = settings.CONFIDE_ENCRYPTION_KEYS
    new_id = add_new_key(settings)

    output = command("rotate_keys")

    # The records themselves are untouched: only the settings' keys are wrapped again.
    assert snapshot() == before
    assert set(DataKey.objects.filter(scope="setting").values_list("master_key_id", flat=True)) == {
        new_id
    }
    assert f"wrapped 1 setting keys under {new_id}" in output
    [event] = LogEntry.objects.filter(additional_data__event="keys_rotated")
    assert event.additional_data["key_id"] == new_id
    # The old master key removed: every value still decrypts.
    settings.CONFIDE_ENCRYPTION_KEYS = settings.CONFIDE_ENCRYPTION_KEYS.replace("," + old_spec, "")
    keys.clear_cache()
    assert plaintexts() == plain_before
    assert "wrapped 0 setting keys" in command("rotate_keys")
    assert snapshot() == before


@pytest.mark.django_db
def test_rotate_keys_also_moves_old_format_values_off_the_old_master_key(people, settings):
    make_encrypted_rows(people)
    plain_before = plaintexts()
    make_legacy()
    old_spec = settings.CONFIDE_ENCRYPTION_KEYS
    add_new_key(settings)

    command("rotate_keys")

    assert all(v.startswith("v2$") for v in snapshot().values())
    settings.CONFIDE_ENCRYPTION_KEYS = settings.CONFIDE_ENCRYPTION_KEYS.replace("," + old_spec, "")
    keys.clear_cache()
    assert plaintexts() == plain_before


@pytest.mark.django_db
def test_rotation_killed_halfway_and_run_again_decrypts_everything(people, settings, monkeypatch):
    make_encrypted_rows(people, n_entries=7)
    plain_before = plaintexts()
    make_legacy()
    add_new_key(settings)
    saves = 0
    real_save = RecordEntry.save

    def save_then_crash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal saves
        saves += 1
        if saves == 2:
            raise RuntimeError("killed")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(RecordEntry, "save", save_then_crash)
    with pytest.raises(RuntimeError, match="killed"):
        command("rotate_keys", batch_size=1)
    monkeypatch.undo()
    keys.clear_cache()
    assert plaintexts() == plain_before

    command("rotate_keys")
    after = snapshot()
    assert all(v.startswith("v2$") for v in after.values())
    assert plaintexts() == plain_before
    command("rotate_keys")
    assert snapshot() == after


# --- keys and settings -------------------------------------------------------------------------


def test_generate_key_prints_a_key_the_settings_accept():
    out, err = StringIO(), StringIO()
    call_command("generate_key", stdout=out, stderr=err)
    spec = out.getvalue().strip()

    ring = crypto.parse_key_spec(spec)
    assert list(ring.keys) == [ring.current_id]
    assert len(ring.keys[ring.current_id]) == 32
    advice = err.getvalue()
    assert "CONFIDE_ENCRYPTION_KEYS" in advice
    assert "newest first" in advice
    assert "apart from the database" in advice
    assert spec not in advice
    again = StringIO()
    call_command("generate_key", stdout=again, stderr=StringIO())
    assert again.getvalue().strip() != spec


def start_production(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SECRET_KEY", "CONFIDE_ENCRYPTION_KEYS", "DJANGO_DEBUG"}
    }
    environ.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="0", **env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_either_secret():
    result = start_production()
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY and CONFIDE_ENCRYPTION_KEYS" in result.stderr


def test_production_says_which_secret_is_missing():
    no_keys = start_production(DJANGO_SECRET_KEY="x" * 50)
    assert no_keys.returncode != 0
    message = no_keys.stderr.strip().splitlines()[-1]
    assert "CONFIDE_ENCRYPTION_KEYS" in message
    assert "DJANGO_SECRET_KEY" not in message

    no_secret = start_production(CONFIDE_ENCRYPTION_KEYS=crypto.new_key_spec())
    assert no_secret.returncode != 0
    message = no_secret.stderr.strip().splitlines()[-1]
    assert "DJANGO_SECRET_KEY" in message
    assert "CONFIDE_ENCRYPTION_KEYS" not in message


def test_production_starts_with_both_secrets():
    result = start_production(
        DJANGO_SECRET_KEY="x" * 50, CONFIDE_ENCRYPTION_KEYS=crypto.new_key_spec()
    )
    assert result.returncode == 0, result.stderr


# --- never queryset.update() an encrypted field ------------------------------------------------

SOURCE_DIRS = ("records", "consent", "access_requests")


def bulk_writes_of(names: set[str], source: str) -> list[str]:
    """``.update(name=...)`` and ``.bulk_update(objs, ["name"])`` calls (code, not comments)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "update":
            keys = {k.arg for k in node.keywords if k.arg}
            for k in node.keywords:  # update(**{"text": ...})
                if k.arg is None and isinstance(k.value, ast.Dict):
                    keys |= {
                        c.value
                        for c in k.value.keys
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    }
        elif node.func.attr == "bulk_update":
            keys = {
                c.value
                for arg in [*node.args, *(k.value for k in node.keywords)]
                for c in ast.walk(arg)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
        else:
            continue
        found += [f"line {node.lineno}: .{node.func.attr}(... {name} ...)" for name in keys & names]
    return found


def test_no_code_updates_an_encrypted_field_in_bulk():
    """queryset.update() and bulk_update() write past pre_save: the value would be stored
    unencrypted, or not bound to its row."""
    names = {f.name for m in encrypted_models() for f in encrypted_fields(m)}
    assert {"text", "reason", "content", "court_order_restrictions"} <= names
    offences = [
        f"{path.relative_to(BASE_DIR)} {offence}"
        for directory in SOURCE_DIRS
        for path in sorted((BASE_DIR / directory).rglob("*.py"))
        for offence in bulk_writes_of(names, path.read_text())
    ]
    assert offences == []


def test_the_static_check_finds_bulk_writes_of_encrypted_fields():
    # The check above can fail: it spots what it looks for, and only that.
    sample = """
RecordEntry.objects.filter(pk=pk).update(
    text=new_text, level=2)
RecordEntry.objects.filter(pk=pk).update(**{"reason": r})
RecordEntry.objects.bulk_update(entries, ["text"])
context.update(level=1)  # .update(text=x) in a comment
"""
    assert bulk_writes_of({"text", "reason"}, sample) == [
        "line 2: .update(... text ...)",
        "line 4: .update(... reason ...)",
        "line 5: .bulk_update(... text ...)",
    ]
