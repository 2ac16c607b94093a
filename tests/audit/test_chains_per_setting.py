"""One audit chain per setting, and one for the deployment's own events (audit.chain).

Each setting's events are sealed in its own chain, numbered from 1, under a key derived from the
setting's own data key, over values that survive an export (no integer id, content types by
natural key, actors by username); each chain is anchored and checked on its own, and a break in
one names its setting without touching the others. On PostgreSQL, settings do not wait for each
other's lock.
"""

from __future__ import annotations

import hmac
import threading
from typing import Any

import pytest
from auditlog.models import LogEntry
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, close_old_connections, connection, transaction
from django.urls import reverse

from audit import anchors, checks
from audit.chain import (
    GENESIS,
    chain_of,
    portable_digest,
    portable_entry,
    portable_hash,
    verify_chain,
)
from audit.log import log_access, log_event
from audit.models import DEPLOYMENT_CHAIN, AuditSeal, ChainCheck
from core import keys, tenancy

from ..factories import make_entry, make_setting
from .test_anchors import anchor_lines, cut_tail, verify, verify_fails
from .test_audit import sql, without_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def anchors_here(settings, tmp_path):
    settings.CONFIDE_AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    return tmp_path / "anchors"


def _write_in_two_settings(people: Any) -> tuple[Any, Any]:
    """Events in setting A (an event and a page of reads), in setting B, and the deployment's."""
    setting_b = make_setting("Otherside Nursery")
    entries = [make_entry(people.child, people.keyperson1) for _ in range(2)]
    with tenancy.working_in(people.setting.pk):
        log_event(actor=people.lead.user, event="grant_revoked", obj=people.child)
        log_access(actor=people.lead.user, objects=entries, event="read")
    with tenancy.working_in(setting_b.pk):
        log_event(actor=people.lead.user, event="setting_chosen", obj=setting_b)
    log_event(actor=people.it_admin, event="two_factor_reset", obj=people.lead.user)
    return people.setting, setting_b


def test_each_settings_events_are_sealed_in_a_chain_of_its_own(people):
    setting_a, setting_b = _write_in_two_settings(people)

    seals_a = list(AuditSeal.objects.filter(chain=setting_a.pk).order_by("sequence"))
    seals_b = list(AuditSeal.objects.filter(chain=setting_b.pk))
    assert [s.sequence for s in seals_a] == [1, 2]  # an event, then a page of two reads
    assert [s.sequence for s in seals_b] == [1]
    assert [s.sealed_entries.count() for s in seals_a] == [1, 2]
    assert {s.version for s in seals_a + seals_b} == {3}
    assert {s.actor_key for s in seals_a + seals_b} == {people.lead.user.username}
    for seal in seals_a:
        for covered in seal.sealed_entries.select_related("entry"):
            assert chain_of(covered.entry) == setting_a.pk
            assert covered.entry.additional_data["setting"] == str(setting_a.pk)
    # Outside any setting: the deployment's chain, numbered on from its own head.
    reset = LogEntry.objects.filter(additional_data__event="two_factor_reset").get()
    assert reset.confide_seal.seal.chain == DEPLOYMENT_CHAIN
    for chain in (DEPLOYMENT_CHAIN, setting_a.pk, setting_b.pk):
        report = verify_chain(chain=chain)
        assert report.intact, report.problem
    out = verify()
    assert "Audit log intact" in out
    assert f"setting {setting_a.pk}'s chain: 3 entries intact to seal #2" in out.lower()


def test_a_settings_chain_is_keyed_from_that_settings_own_key(people):
    setting_a, setting_b = _write_in_two_settings(people)
    first = AuditSeal.objects.get(chain=setting_a.pk, sequence=1)
    key_a = keys.key_id_for(keys.Owner(keys.SETTING, setting_a.pk))
    key_b = keys.key_id_for(keys.Owner(keys.SETTING, setting_b.pk))
    assert first.key_id == str(key_a)

    def digest_under(data_key: Any) -> str:
        hmac_key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=b"confide audit chain v3|"
            + str(setting_a.pk).encode()
            + b"|"
            + first.key_id.encode(),
        ).derive(keys.unwrap(data_key))
        return portable_digest(
            key=hmac_key,
            chain=setting_a.pk,
            key_id=first.key_id,
            prev_digest=GENESIS,
            sequence=1,
            created_at=first.created_at,
            actor_key=first.actor_key,
            hashes=list(first.sealed_entries.values_list("content_hash", flat=True)),
        )

    assert hmac.compare_digest(digest_under(key_a), first.digest)
    assert digest_under(key_b) != first.digest  # another setting's key cannot forge A's chain


def test_a_seal_covers_no_value_that_belongs_to_this_database_alone(people):
    log_event(actor=people.lead.user, event="grant_revoked", obj=people.child)
    entry = LogEntry.objects.order_by("-pk").first()
    assert entry is not None
    portable = portable_entry(entry)
    assert "id" not in portable
    assert portable["content_type"] == "records.child"
    assert portable["object_pk"] == str(people.child.pk)
    # The same content under another id and another content type id hashes the same.
    twin = LogEntry(
        **{f.attname: getattr(entry, f.attname) for f in LogEntry._meta.concrete_fields}
    )
    twin.pk = entry.pk + 1000
    assert portable_hash(twin) == portable_hash(entry)
    twin.content_type = ContentType.objects.get_by_natural_key("records", "family")
    assert portable_hash(twin) != portable_hash(entry)


def test_an_edit_in_one_settings_chain_is_named_with_it_and_leaves_the_others_intact(people):
    setting_a, setting_b = _write_in_two_settings(people)
    victim = LogEntry.objects.filter(additional_data__setting=str(setting_a.pk)).first()
    assert victim is not None
    without_trigger("auditlog_logentry", "confide_logentry_no_update")
    sql("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["edited", victim.pk])

    report = verify_chain(chain=setting_a.pk)
    assert report.problem is not None
    assert f"of setting {setting_a.pk}" in report.problem
    assert f"log entry {victim.pk}" in report.problem
    assert verify_chain(chain=setting_b.pk).intact
    assert verify_chain(chain=DEPLOYMENT_CHAIN).intact
    assert f"setting {setting_a.pk}'s chain" in verify_fails()


def test_an_entry_moved_into_another_settings_chain_breaks_it(people):
    """Restamping an entry with another setting (so another setting's pages would show it)."""
    setting_a, setting_b = _write_in_two_settings(people)
    victim = LogEntry.objects.filter(additional_data__setting=str(setting_a.pk)).first()
    assert victim is not None
    without_trigger("auditlog_logentry", "confide_logentry_no_update")
    moved = victim.additional_data | {"setting": str(setting_b.pk)}
    LogEntry.objects.filter(pk=victim.pk).update(additional_data=moved)
    report = verify_chain(chain=setting_a.pk)
    assert report.problem is not None and f"log entry {victim.pk}" in report.problem


def test_each_chain_is_anchored_signed_with_its_own_key_and_a_cut_is_named(people, anchors_here):
    setting_a, setting_b = _write_in_two_settings(people)
    assert anchors.write().startswith("anchored head #")
    lines = anchor_lines(anchors_here)
    by_chain = {line.get("setting"): line for line in lines}
    assert set(by_chain) == {None, str(setting_a.pk), str(setting_b.pk)}
    line_a = by_chain[str(setting_a.pk)]
    assert line_a["sequence"] == 2
    assert line_a["key_id"] == str(keys.key_id_for(keys.Owner(keys.SETTING, setting_a.pk)))
    assert anchors.signature_ok(line_a)
    # A line of A's chain passed off as B's: the signature no longer holds.
    assert not anchors.signature_ok(line_a | {"setting": str(setting_b.pk)})
    # Written again with nothing new: no line added.
    anchors.write()
    assert len(anchor_lines(anchors_here)) == len(lines)

    # A's last seal and its entries cut away.
    assert cut_tail(1, chain=setting_a.pk) == [2]

    assert verify_chain(chain=setting_a.pk).intact  # a shorter chain is still a chain
    problem = verify_fails()
    assert f"the chain of setting {setting_a.pk} ends at seal #1" in problem
    results = {check.chain: check for check in checks.run(full=True)}
    assert not results[setting_a.pk].intact
    assert results[setting_b.pk].intact and results[DEPLOYMENT_CHAIN].intact


def test_the_audit_page_of_a_setting_shows_its_chain_and_the_deployments(people, client_for):
    setting_a, setting_b = _write_in_two_settings(people)
    page = client_for("lead").get(reverse("records:audit_log")).content.decode()
    assert "Audit log verified at" in page
    shown = {c.chain for c in ChainCheck.objects.all()}
    assert {DEPLOYMENT_CHAIN, setting_a.pk} <= shown
    assert setting_b.pk not in shown  # nobody of A asked about B's chain


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL only: SQLite has one writer at a time"
)
@pytest.mark.django_db(transaction=True)
def test_settings_do_not_wait_for_each_others_lock(people):
    """A writer holding setting A's chain open does not hold up setting B's; a second writer of A
    waits for it (so A's chain never forks)."""
    setting_b = make_setting("Otherside Nursery")
    before = AuditSeal.objects.filter(chain=people.setting.pk).count()
    holding, release = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def hold_a() -> None:
        try:
            with transaction.atomic(), tenancy.working_in(people.setting.pk):
                log_event(actor=people.lead.user, event="grant_revoked", obj=people.child)
                holding.set()
                release.wait(10)
        finally:
            close_old_connections()
            connection.close()

    def write(setting_pk: Any, name: str) -> None:
        try:
            with transaction.atomic(), tenancy.working_in(setting_pk):
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                log_event(actor=people.lead.user, event="grant_revoked", obj=people.child)
            outcomes[name] = "written"
        except OperationalError as error:
            outcomes[name] = f"waited: {error}"
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert holding.wait(10)
    for setting_pk, name in ((setting_b.pk, "b"), (people.setting.pk, "a")):
        writer = threading.Thread(target=write, args=(setting_pk, name))
        writer.start()
        writer.join(15)
    release.set()
    holder.join(15)
    assert outcomes["b"] == "written"
    assert outcomes["a"].startswith("waited") and "lock timeout" in outcomes["a"]
    assert AuditSeal.objects.filter(chain=people.setting.pk).count() == before + 1
    assert verify_chain(chain=people.setting.pk).intact


def test_an_actor_swapped_on_both_the_entry_and_its_seal_is_seen(people):
    """The seal keeps the actor's id and names them by username: moving both ids to another
    account (with the triggers bypassed) no longer matches the name the seal covers."""
    with tenancy.working_in(people.setting.pk):
        log_event(actor=people.lead.user, event="grant_revoked", obj=people.child)
    entry = LogEntry.objects.filter(additional_data__event="grant_revoked").get()
    seal = entry.confide_seal.seal
    assert seal.actor_key == people.lead.user.username
    without_trigger("auditlog_logentry", "confide_logentry_no_update")
    without_trigger("records_auditseal", "confide_auditseal_no_change")
    other = people.deputy.user.pk
    sql("UPDATE auditlog_logentry SET actor_id = %s WHERE id = %s", [other, entry.pk])
    sql("UPDATE records_auditseal SET actor_pk = %s WHERE id = %s", [other, seal.pk])
    report = verify_chain(chain=people.setting.pk)
    assert report.problem is not None and "the entry's actor was changed" in report.problem
