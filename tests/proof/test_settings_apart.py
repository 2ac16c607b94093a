"""Two settings of a group on one deployment, strictly apart: staff of setting A, asking for
every URL with the ids of setting B's objects, get exactly what a random id gets — a 404, the same
page, no row changed — and no page of A (lists, counts, search, the dashboard, the audit pages,
the admin) names anything of B.

Setting B is the IDOR proof's world (tests/proof/objects.py: entries at every level,
attachments, grants, break-glass, staff records, disclosures, consent, sharing decisions,
subject-access requests with their items, letters and consent asks), built in a setting of its
own with people whose usernames end in ``-b``. Setting A is the usual named people. Every URL that
takes an id (test_idor's TARGETS, which a meta-test there keeps complete) is asked by every
person of A, by each method it answers. Not heavy: it runs in both of CI's legs.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core import keys, tenancy
from records.models import Carer, Child, Family, RecordEntry, Staff

from ..conftest import make_people, sign_in
from ..factories import make_entry, make_setting
from .objects import ROLES, World, build_world
from .test_idor import (
    OBJECT_KIND,
    TARGETS,
    _reverse,
    changed_tables,
    normalised,
    snapshot,
)

B_SETTING = "Otherside Nursery"


@pytest.fixture
def two_settings(people: SimpleNamespace) -> tuple[SimpleNamespace, World]:
    """Setting A's people, and setting B's world."""
    setting_b = make_setting(B_SETTING)
    with tenancy.working_in(setting_b.pk):
        people_b = make_people(setting=setting_b, suffix="-b")
        world_b = build_world(people_b)
    keys.clear_cache()
    return people, world_b


def _user(people: SimpleNamespace, role: str) -> Any:
    person = getattr(people, role)
    return person if role == "it_admin" else person.user


def _ids_of_b(world: World, kinds: tuple[str, ...]) -> list[str] | None:
    """B's objects for a URL's parameters (a sub-object belonging to its parent)."""
    parent_kind = kinds[0]
    found = world.of_kind(parent_kind)
    if not found:
        return None
    parent_name, parent = found[0]
    if len(kinds) == 1:
        return [str(parent.pk)]
    owner = parent_name.split(":", 1)[1]
    for name, sub in world.of_kind(OBJECT_KIND[kinds[1]]):
        if name.split(":", 1)[1] == owner:
            return [str(parent.pk), str(sub.pk)]
    return None


def _kind(kind: str) -> str:
    # The admin's decision pages take a sharing decision's id.
    return {"decision_approval": "decision", "decision_admin": "decision"}.get(kind, kind)


def test_every_url_with_an_id_of_another_setting_is_a_404_like_a_random_id(two_settings):
    people, world_b = two_settings
    clients = {role: sign_in(Client(), _user(people, role)) for role in ROLES}
    checked = 0
    for key, target in TARGETS.items():
        ids = _ids_of_b(world_b, tuple(_kind(k) for k in target.kinds))
        assert ids is not None, f"setting B has nothing for {key}"
        fake = [str(uuid.uuid4()) for _ in ids]
        for role in ROLES:
            for method in ("get", "post") if target.get else ("post",):
                client = clients[role]
                keys.clear_cache()
                sid = transaction.savepoint_create()
                try:
                    start = snapshot()
                    client.cookies.pop("messages", None)
                    body = target.body(world_b) if method == "post" else {}
                    url_b = _reverse(key, list(ids))
                    other = getattr(client, method)(url_b, body)
                    client.cookies.pop("messages", None)
                    body = target.body(world_b) if method == "post" else {}
                    random = getattr(client, method)(_reverse(key, list(fake)), body)
                    end = snapshot(start.audit_max)
                finally:
                    transaction.savepoint_rollback(sid)
                where = f"{method.upper()} {key} as {role} of A with B's ids"
                if not target.admin:
                    assert other.status_code == 404, f"{where}: {other.status_code}"
                got = normalised(other, ids + fake)
                expected = normalised(random, ids + fake)
                assert got == expected, f"{where}: differs from a random id's answer"
                assert not changed_tables(start, end), f"{where}: rows changed"
                checked += 1
    # Every URL with an id, for seven people, by each method it answers.
    assert checked >= len(TARGETS) * len(ROLES)


def _markers(world_b: World, *, deployment: bool = False) -> list[str]:
    """Strings that name something of setting B only. The IT administrator looks after the
    deployment's accounts, rooms and settings in the admin (no record content), so for them only
    record content counts."""
    with tenancy.working_in(world_b.people.setting.pk):
        names = [] if deployment else [B_SETTING]
        names += [] if deployment else [s.full_name for s in Staff.objects.all()]
        names += [c.full_name for c in Child.objects.all()]
        names += [f.name for f in Family.objects.all()]
        names += [c.full_name for c in Carer.objects.all()]
        names += [
            str(o.pk)
            for _, o in world_b.objects.items()
            if hasattr(o, "pk") and not (deployment and isinstance(o, Staff))
        ]
    return names


def _pages_without_ids() -> list[str]:
    """Every GET page of the project that takes no parameter (the admin's lists included)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and not getattr(p.pattern, "converters", {}):
                route = prefix + str(p.pattern)
                if "(?P" in route or "<" in route or route.startswith("static"):
                    continue
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


SEARCHES = ("?q=Kit", "?q=Testchild", "?q=Otherside")


def test_no_page_of_a_setting_names_anything_of_another(two_settings):
    """Lists, counts, search, the dashboard, the audit pages and the admin, as every person of A:
    nothing of B — its name, people, children, families, carers or any of its ids."""
    people, world_b = two_settings
    pages = _pages_without_ids()
    assert "/" in pages and "/audit/" in pages and "/children/" in pages
    assert any(p.startswith("/admin/consent/") for p in pages)
    for role in ROLES:
        markers = _markers(world_b, deployment=role == "it_admin")
        client = sign_in(Client(), _user(people, role))
        for page in pages:
            urls = [page] + ([page + q for q in SEARCHES] if page == "/children/" else [])
            for url in urls:
                response = client.get(url)
                if response.streaming or response.status_code in (301, 302, 404, 405, 403):
                    continue
                text = response.content.decode(errors="replace")
                leaked = [m for m in markers if m in text]
                assert not leaked, f"{url} as {role} of A names B's {leaked[:3]}"


def test_the_lead_of_a_counts_only_a(two_settings):
    """The dashboard's and the lists' counts are A's own: B's many children, entries and
    requests add nothing."""
    people, world_b = two_settings
    client = sign_in(Client(), people.lead.user)
    page = client.get("/children/").content.decode()
    shown = set(re.findall(r"/children/([0-9a-f-]{36})/", page))
    with tenancy.working_in(people.setting.pk):
        assert shown == {str(c.pk) for c in Child.objects.all()}
    assert {str(people.child.pk), str(people.other_child.pk)} <= shown
    with tenancy.working_in(world_b.people.setting.pk):
        assert not shown & {str(c.pk) for c in Child.objects.all()}


def test_a_record_moved_to_another_setting_in_the_database_fails_loudly(two_settings):
    """A child and their entries moved to setting B by SQL (the policy would now show them to B's
    Lead): the text's key hangs from A's key, so the read fails, the page says so, and the audit
    log hears of it — nothing of A is shown in B."""
    people, world_b = two_settings
    entry = make_entry(people.child, people.keyperson1, text="Moved behind our back.")
    b = world_b.people.setting
    Child.objects.filter(pk=people.child.pk).update(setting=b, room=world_b.people.sunflower)
    RecordEntry.objects.filter(child=people.child).update(setting=b)
    client = sign_in(Client(), world_b.people.lead.user)
    response = client.get(reverse("records:entry_detail", args=[entry.pk]))
    assert response.status_code == 500
    assert "Moved behind our back." not in response.content.decode()
    failed = LogEntry.objects.filter(additional_data__event="decryption_failed")
    assert failed.filter(object_pk=str(entry.pk)).exists()


def test_a_post_moved_to_another_setting_in_the_database_grants_nothing(two_settings):
    """A's Lead's post moved to B by SQL: its seal was made with A's key, so in B it grants
    nothing, and the tampering is audited."""
    people, world_b = two_settings
    Staff.objects.filter(pk=world_b.people.lead.pk).update(active=False)
    Staff.objects.filter(pk=people.lead.pk).update(setting=world_b.people.setting)
    client = sign_in(Client(), people.lead.user)
    assert (
        client.get(reverse("records:child_detail", args=[world_b.people.child.pk])).status_code
        == 404
    )
    assert LogEntry.objects.filter(additional_data__event="row_seal_failed").exists()


def test_a_subject_access_file_compiled_in_a_holds_nothing_of_b(two_settings):
    """The compiler asks its questions in the request's setting: a parent's file in A, compiled
    while B holds entries, disclosures, decisions and requests of its own, holds A's records
    only."""
    from access_requests import services as sar_services
    from access_requests.models import BundleItem

    from ..access_requests.conftest import confirmed

    people, world_b = two_settings
    make_entry(people.child, people.keyperson1, text="Built a bridge of blocks.")
    with tenancy.working_in(people.setting.pk):
        sar = confirmed(people)
        sar_services.compile_bundle(sar=sar, by=people.deputy.user)
        sources = {
            str(pk)
            for pk in BundleItem.objects.filter(request=sar).values_list("source_id", flat=True)
        }
    of_b = {str(o.pk) for _, o in world_b.objects.items() if hasattr(o, "pk")}
    assert sources, "the file holds A's records"
    assert not sources & of_b


def test_rows_of_no_setting_of_their_own_are_encrypted_under_the_working_settings_key(
    two_settings,
):
    """A request's letters, consent asks and the like (rows that belong to a request, not to a
    setting directly) are encrypted under the key of the setting being worked in, whichever
    setting was worked in before in the same process."""
    people, world_b = two_settings
    with tenancy.working_in(people.setting.pk):
        assert keys.current_setting() == people.setting.pk
        with tenancy.working_in(world_b.people.setting.pk):
            assert keys.current_setting() == world_b.people.setting.pk
        assert keys.current_setting() == people.setting.pk


def test_a_parents_download_is_audited_in_the_setting_the_file_came_from(two_settings):
    """Nobody is signed in when a parent uses their link: the use (won or refused) is stamped
    with the request's setting, so that setting's audit page shows it and no other's does."""
    from access_requests import services as sar_services
    from access_requests.models import DownloadLink, Release

    people, world_b = two_settings
    sar = world_b.of_kind("sar")[0][1]
    with tenancy.working_in(world_b.people.setting.pk):
        release = Release(
            request=sar,
            created_by=world_b.people.lead,
            pdf=b"%PDF-1.7 a test file",
            sha256="0" * 64,
            size=20,
            source_sha256="0" * 64,
        )
        release.save()
    keys.clear_cache()
    token = "a-token-for-this-test"
    DownloadLink.objects.create(
        release=release,
        token_hash=sar_services.link_token_hash(token),
        created_by=world_b.people.lead,
        expires_at=timezone.now() + timedelta(days=1),
    )
    sar_services.use_link(token=token)
    used = LogEntry.objects.filter(additional_data__event="sar_pdf_downloaded").latest("pk")
    assert used.additional_data["setting"] == str(world_b.people.setting.pk)
