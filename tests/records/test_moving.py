"""A setting leaves the group: exported whole for a receiver's transfer key, imported into another
deployment (records.moving; README, "Moving a setting to another deployment").

The round trip is between two databases: the test's own (two settings: A, the usual people, and B,
the IDOR proof's world of every kind of row) and a new deployment of its own — an SQLite file,
other master keys, its own anchor directory — run by ``manage.py`` in processes of its own. There,
B's rows are all present and every value decrypts, the sealed rows verify, B's audit chain
verifies on its own against its anchors, B's people sign in with their passwords, and nothing of
A arrived. A tampered file is refused whole and leaves the receiver as it was. Not heavy: it runs
in both of CI's legs (on PostgreSQL, the source is PostgreSQL).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditSeal
from core import keys, tenancy
from core.crypto import new_key_spec
from records import moving
from records.models import Child, Family, Level, RecordEntry, Setting
from records.owned import SettingOwned

from ..conftest import make_people
from ..factories import make_setting
from ..proof.objects import build_world
from ..proof.test_backup_restore import _postgresql_databases

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
# The receiving deployment on SQLite; in a run on PostgreSQL, on PostgreSQL too.
RECEIVERS = ["sqlite"] + (["postgresql"] if connection.vendor == "postgresql" else [])

# In the receiving deployment: what it holds, every value read, every sealed row checked.
RECEIVED = r"""
import json
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from core import tenancy
from core.fields import encrypted_fields
from core.models import SealedRowModel
from records import moving
from records.models import Child, Setting

[setting] = Setting.objects.all()
counts, values, sealed, broken = {}, 0, 0, 0
with tenancy.working_in(setting.pk):
    for model in moving._setting_models():
        rows = list(moving._manager(model))
        if rows:
            counts[model._meta.label_lower] = len(rows)
        for row in rows:
            for field in encrypted_fields(model):
                getattr(row, field.attname)
                values += 1
            if isinstance(row, SealedRowModel):
                sealed += 1
                broken += not row.is_intact()
    names = sorted(f"{c.first_name} {c.last_name}" for c in Child.objects.all())
User = get_user_model()
print(json.dumps({
    "setting": [str(setting.pk), setting.name, setting.group_id],
    "counts": counts,
    "values": values,
    "sealed": sealed,
    "broken": broken,
    "names": names,
    "users": sorted(User.objects.values_list("username", flat=True)),
    "password": User.objects.get(username="lead-b").password,
    "devices": sorted(
        apps.get_model("otp_totp", "TOTPDevice").objects.values_list("user__username", flat=True)
    ),
}))
"""


@pytest.fixture
def two_settings(people: SimpleNamespace) -> tuple[SimpleNamespace, Setting]:
    setting_b = make_setting("Otherside Nursery")
    with tenancy.working_in(setting_b.pk):
        people_b = make_people(setting=setting_b, suffix="-b")
        build_world(people_b)
        for staff in (people_b.lead, people_b.keyperson1):
            TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    keys.clear_cache()
    return people, setting_b


class Receiver:
    """A new deployment of its own: an SQLite file, its own master keys and anchors."""

    def __init__(self, folder: Path, database_url: str | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        secrets_file = folder / "keys.json"
        secrets_file.write_text(
            json.dumps(
                {
                    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                    "CONFIDE_ENCRYPTION_KEYS": new_key_spec(),
                }
            )
        )
        inherited = {
            name: value
            for name, value in os.environ.items()
            if name not in ("DJANGO_SECRET_KEY", "CONFIDE_ENCRYPTION_KEYS", "DATABASE_URL")
        }
        self.env = inherited | {
            "DJANGO_DEBUG": "1",
            "CONFIDE_DEV_SECRETS": str(secrets_file),
            "CONFIDE_AUDIT_ANCHOR_DIR": str(folder / "anchors"),
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'receiver.sqlite3'}",
        }

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own manage.py, with fixed arguments
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def ok(self, *args: str) -> str:
        done = self.manage(*args)
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def shell(self, script: str) -> Any:
        return json.loads(self.ok("shell", "--no-imports", "-c", script).strip().splitlines()[-1])

    def settings(self) -> int:
        return int(
            self.shell(
                "import json\nfrom records.models import Setting\n"
                "print(json.dumps(Setting.objects.count()))"
            )
        )


def _source_counts(setting: Setting) -> dict[str, int]:
    return {model._meta.label_lower: len(pks) for model, pks in moving._collect(setting).items()}


def _names_of(setting: Setting) -> list[str]:
    with tenancy.working_in(setting.pk):
        return sorted(f"{c.first_name} {c.last_name}" for c in Child.objects.all())


@pytest.mark.parametrize("vendor", RECEIVERS)
def test_a_setting_round_trips_between_two_databases_and_verifies_there(
    vendor, two_settings, tmp_path
):
    if vendor == "sqlite":
        _round_trip(two_settings, Receiver(tmp_path / "receiver"), tmp_path)
        return
    with _postgresql_databases(f"confide_backup_move_{secrets.token_hex(4)}") as [url]:
        _round_trip(two_settings, Receiver(tmp_path / "receiver", url), tmp_path)


def _round_trip(
    two_settings: tuple[SimpleNamespace, Setting], receiver: Receiver, tmp_path: Path
) -> None:
    people, setting_b = two_settings
    receiver.ok("migrate", "--noinput")
    made = receiver.ok("transfer_key", "--out", str(tmp_path / "transfer.pem"))
    public = made.strip().splitlines()[-1]
    key_file = tmp_path / "transfer.pem"
    assert key_file.stat().st_mode & 0o077 == 0  # the private half, readable by its owner alone

    exported = moving.export(setting_b, public)
    bundle = tmp_path / "otherside.confide"
    moving.write_file(bundle, exported.data)
    digest = moving.fingerprint(exported.data)
    # The export is the last event of B's chain, and in the file.
    last = LogEntry.objects.filter(additional_data__event="setting_exported").get()
    assert last.additional_data["setting"] == str(setting_b.pk)
    assert (
        exported.entries == LogEntry.objects.filter(confide_seal__seal__chain=setting_b.pk).count()
    )

    # The file holds nothing readable: no child's name, address or username.
    data = bundle.read_bytes()
    names_b = _names_of(setting_b)
    with tenancy.working_in(setting_b.pk):
        addresses = [a for a in Family.objects.values_list("address", flat=True) if a]
    readable = [*(n.split()[0] for n in names_b), *addresses, "lead-b", "Otherside"]
    assert [text for text in readable if text.encode() in data] == []

    # A file changed on the way (an entry downgraded to general inside it, sealed again for the
    # same key by someone who has it) is refused whole: the receiver stays empty.
    private = moving.load_private_key(key_file.read_bytes())
    payload = moving.open_bundle(data, private)
    for label, rows in payload["rows"]:
        if label == "records.recordentry":
            sensitive = next(r for r in rows if r["level"] > Level.GENERAL)
            sensitive["level"] = int(Level.GENERAL)
    forged = tmp_path / "forged.confide"
    forged_data = moving.seal_bundle(payload, public)
    forged.write_bytes(forged_data)
    # Told the real file's fingerprint, the receiver refuses the forged one before opening it.
    refused = receiver.manage(
        "import_setting", str(forged), "--key", str(key_file), "--sha256", digest
    )
    assert refused.returncode != 0 and "not the one you were told" in refused.stderr
    # And were the forger's fingerprint the one told, every value is still checked.
    refused = receiver.manage(
        "import_setting",
        str(forged),
        "--key",
        str(key_file),
        "--sha256",
        moving.fingerprint(forged_data),
    )
    assert refused.returncode != 0
    assert f"records.RecordEntry {sensitive['id']}: " in refused.stderr
    assert "does not decrypt here" in refused.stderr
    assert "Nothing was imported" in refused.stderr
    assert receiver.settings() == 0
    cut = tmp_path / "cut.confide"
    cut.write_bytes(data[:-50])
    refused = receiver.manage(
        "import_setting",
        str(cut),
        "--key",
        str(key_file),
        "--sha256",
        moving.fingerprint(cut.read_bytes()),
    )
    assert refused.returncode != 0 and "failed its integrity check" in refused.stderr
    assert receiver.settings() == 0

    imported = receiver.ok(
        "import_setting", str(bundle), "--key", str(key_file), "--sha256", digest
    )
    assert f"Imported Otherside Nursery: {exported.rows} rows, {exported.people} people" in (
        imported
    )
    assert f"{exported.entries} entries intact to seal #" in imported

    received = receiver.shell(RECEIVED)
    assert received["setting"] == [str(setting_b.pk), "Otherside Nursery", None]
    assert received["counts"] == _source_counts(setting_b)
    assert received["values"] > 100 and received["broken"] == 0 and received["sealed"] >= 5
    assert received["names"] == names_b
    people_b = sorted(
        get_user_model()
        .objects.filter(posts__setting=setting_b)
        .values_list("username", flat=True)
        .distinct()
    )
    assert received["users"] == people_b  # B's people, and nobody of A
    assert "lead" not in received["users"]
    # The same password hash: they sign in with the password they had.
    assert received["password"] == get_user_model().objects.get(username="lead-b").password
    assert received["devices"] == ["keyperson1-b", "lead-b"]
    for name in _names_of(people.setting):
        assert name not in received["names"]

    # B's chain verifies on its own there, against its anchors, and goes on from its head.
    verified = receiver.ok("verify_audit")
    head = AuditSeal.objects.filter(chain=setting_b.pk).order_by("-sequence").first()
    assert head is not None
    assert f"Setting {setting_b.pk}'s chain: {exported.entries + 1} entries intact" in verified
    assert "Audit log intact" in verified

    # People imported with their own ids: the receiver's next account gets a new one.
    ids = receiver.shell(
        "import json\nfrom django.contrib.auth import get_user_model\nUser = get_user_model()\n"
        "before = max(User.objects.values_list('pk', flat=True))\n"
        "print(json.dumps([before, User.objects.create_user('newcomer').pk]))"
    )
    assert ids[1] > ids[0]

    # Imported once: a second import is refused, and changes nothing.
    again = receiver.manage(
        "import_setting", str(bundle), "--key", str(key_file), "--sha256", digest
    )
    assert again.returncode != 0 and "already holds setting" in again.stderr
    assert receiver.settings() == 1


def test_a_file_opens_only_with_the_receivers_key(two_settings):
    _people, setting_b = two_settings
    pem, public = moving.new_transfer_key()
    other_pem, _other = moving.new_transfer_key()
    data = moving.export(setting_b, public).data
    with pytest.raises(moving.MoveRefused, match="exported for another transfer key"):
        moving.open_bundle(data, moving.load_private_key(other_pem))
    flipped = bytearray(data)
    flipped[-40] ^= 1
    with pytest.raises(moving.MoveRefused, match="failed its integrity check"):
        moving.open_bundle(bytes(flipped), moving.load_private_key(pem))
    with pytest.raises(moving.MoveRefused, match="not a setting exported by Confide"):
        moving.open_bundle(b"PK\x03\x04 a zip", moving.load_private_key(pem))
    with pytest.raises(moving.MoveRefused, match="not a transfer key"):
        moving.export(setting_b, "not-a-key")


def test_an_export_holds_the_setting_and_nothing_of_another(two_settings):
    people, setting_b = two_settings
    pem, public = moving.new_transfer_key()
    payload = moving.open_bundle(
        moving.export(setting_b, public).data, moving.load_private_key(pem)
    )
    text = json.dumps(payload)
    a_ids = [str(people.child.pk), str(people.other_child.pk), str(people.lead.pk)]
    assert [pk for pk in a_ids if pk in text] == []
    assert {u["username"] for u in payload["users"]} >= {"lead-b", "deputy-b", "keyperson1-b"}
    assert "lead" not in {u["username"] for u in payload["users"]}
    # The setting's key and each child's and staff key are there, for the receiver alone.
    setting_key = keys.key_id_for(keys.Owner(keys.SETTING, setting_b.pk))
    assert str(setting_key) in {k["id"] for k in payload["keys"]}
    assert {k["scope"] for k in payload["keys"]} >= {keys.SETTING, keys.CHILD, keys.STAFF}
    # Its audit chain whole: every seal of B's chain, and only those.
    sequences = [s["sequence"] for s in payload["audit"]["seals"]]
    assert sequences == list(range(1, AuditSeal.objects.filter(chain=setting_b.pk).count() + 1))
    assert all(
        e["additional_data"]["setting"] == str(setting_b.pk) for e in payload["audit"]["entries"]
    )


def test_an_import_refuses_a_setting_or_people_it_has_already_and_writes_nothing(two_settings):
    _people, setting_b = two_settings
    pem, public = moving.new_transfer_key()
    private = moving.load_private_key(pem)
    data = moving.export(setting_b, public).data
    before = (LogEntry.objects.count(), RecordEntry.objects.across_settings().count())
    with pytest.raises(moving.MoveRefused, match="already holds setting"):
        moving.import_setting(data, private, sha256=moving.fingerprint(data))
    # The same people under a setting of another id: their usernames are taken here.
    payload = moving.open_bundle(data, private)
    payload["setting"]["id"] = "8f0c5d1e-0000-4000-8000-000000000001"
    payload["rows"] = []
    with (
        pytest.raises(moving.MoveRefused, match="usernames are in use here already: .*lead-b"),
        transaction.atomic(),
    ):
        moving._import(payload, None)
    assert (LogEntry.objects.count(), RecordEntry.objects.across_settings().count()) == before
    assert not Setting.objects.filter(pk=payload["setting"]["id"]).exists()


def _payload(setting_b: Setting) -> tuple[dict[str, Any], Any]:
    pem, public = moving.new_transfer_key()
    private = moving.load_private_key(pem)
    return moving.open_bundle(moving.export(setting_b, public).data, private), private


def _refused(payload: dict[str, Any], match: str) -> None:
    before = (LogEntry.objects.count(), get_user_model().objects.count())
    with pytest.raises(moving.MoveRefused, match=match), transaction.atomic():
        moving._import(payload, None)
    assert (LogEntry.objects.count(), get_user_model().objects.count()) == before


def test_a_file_made_by_someone_else_writes_nothing_but_the_settings_own_rows(two_settings):
    """What a file says is checked before anything is written: a row of a model a setting does
    not move, a row of another setting, a row pointing outside the file, a key for someone who
    is not moving."""
    people, setting_b = two_settings
    payload, _private = _payload(setting_b)
    new_id = "8f0c5d1e-0000-4000-8000-000000000002"
    payload["setting"]["id"] = new_id
    for _label, rows in payload["rows"]:
        for row in rows:
            if "setting_id" in row:
                row["setting_id"] = new_id
    payload["users"] = []  # no username clashes: the checks on the rows come first

    grant_role = copy.deepcopy(payload)
    grant_role["rows"].append(["records.grouprole", [{"id": new_id}]])
    _refused(grant_role, "rows of records.grouprole, which a setting does not move")

    other_setting = copy.deepcopy(payload)
    for label, rows in other_setting["rows"]:
        if label == "records.staff":
            rows[0]["setting_id"] = str(people.setting.pk)
    _refused(other_setting, "is of another setting")

    dangling = copy.deepcopy(payload)
    for label, rows in dangling["rows"]:
        if label == "records.recordentry":
            rows[0]["child_id"] = str(people.child.pk)  # a child of A, not in the file
    _refused(dangling, "which the file does not hold")


def test_a_file_cannot_plant_a_key_or_make_an_administrator(two_settings):
    people, setting_b = two_settings
    payload, _private = _payload(setting_b)
    planted = copy.deepcopy(payload)
    planted["keys"].append(
        {
            "id": "8f0c5d1e-0000-4000-8000-000000000003",
            "scope": keys.CHILD,
            "owner": str(people.child.pk),  # a child of A, who is not moving
            "created_at": timezone.now().isoformat(),
            "destroyed_at": None,
            "key": base64.b64encode(b"k" * 32).decode(),
        }
    )
    from records.moving import _import_keys

    owners = {keys.SETTING: {payload["setting"]["id"]}, keys.CHILD: set(), keys.STAFF: set()}
    with pytest.raises(moving.MoveRefused, match="who is not of the setting"), transaction.atomic():
        _import_keys(planted["keys"], setting_b.pk, owners)
    # An account the file says is a superuser arrives without any right.
    user_row = dict(payload["users"][0])
    user_row |= {"username": "newcomer-admin", "is_superuser": True, "is_staff": True}
    user_row["id"] = 987654
    made = moving._import_users([user_row])
    user = get_user_model().objects.get(pk=made["newcomer-admin"][1])
    assert not user.is_superuser and not user.is_staff


def test_an_export_refused_leaves_no_trace_of_an_export(two_settings):
    """A value in the first format (or emptied) cannot be read by another deployment: the export
    is refused, and the setting's chain does not say it was exported."""
    _people, setting_b = two_settings
    with tenancy.working_in(setting_b.pk):
        entry = RecordEntry.objects.first()
        assert entry is not None
        RecordEntry.objects.filter(pk=entry.pk).update(text="")
    _pem, public = moving.new_transfer_key()
    with pytest.raises(moving.MoveRefused, match="run `manage.py reencrypt` first"):
        moving.export(setting_b, public)
    assert not LogEntry.objects.filter(additional_data__event="setting_exported").exists()


def test_every_app_with_rows_of_a_setting_moves_with_it():
    """A new app whose rows belong to a setting is exported with it: no list to forget."""
    owning = {m._meta.app_label for m in django_apps.get_models() if issubclass(m, SettingOwned)}
    assert owning <= set(moving.SETTING_APPS)
