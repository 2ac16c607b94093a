"""Who may reach what: every URL name in the project, with every role.

The expected table is typed out by hand from DESIGN.md's permission table — never computed from
records.policy — so a change in the policy that breaks the design fails here. A meta-test fails
when a URL name has no row, so every new page must be added here.

Codes: 200 page shown, 302 done and redirected, 400 form re-shown with errors (allowed, but the
empty POST was invalid), 404 not known to exist, 405 wrong method, "login" sent to sign in.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from governance import allegations
from governance.models import AllegationKind, Breach, Policy
from lifecycle.models import (
    Destruction,
    DestructionState,
    RightsRequest,
    SubjectKind,
    Transfer,
)
from records.models import (
    ActingLead,
    Attachment,
    BreakGlass,
    Carer,
    Category,
    Level,
    NeedToKnowGrant,
)
from safeguarding.models import Action, Alert, ChronologyPrint, OfstedNotice, PrintState

from ..conftest import sign_in
from ..factories import make_entry

ROLES = [
    "lead",
    "deputy",
    "keyperson1",
    "keyperson2",
    "practitioner",
    "office",
    "trustee",
    "chair",
    "it_admin",
    "anon",
]
L = "login"


# trustee: the safeguarding trustee; chair: the chair of trustees (DESIGN.md's trustee column).
def row(lead, deputy, kp1, kp2, practitioner, office, trustee, chair, it_admin, anon=L):  # noqa: PLR0913
    return dict(
        zip(
            ROLES,
            [lead, deputy, kp1, kp2, practitioner, office, trustee, chair, it_admin, anon],
            strict=True,
        )
    )


# (url name, object the URL is about, method) -> expected code per role.
# `child` is keyperson1's key child in the Sunflower room (practitioner's room too);
# keyperson2 works in the Bluebell room and is not involved.
MATRIX: list[tuple[str, str, str, dict[str, Any]]] = [
    ("home:dashboard", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("records:child_list", "", "get", row(200, 200, 200, 200, 200, 200, 404, 404, 200)),
    ("records:child_create", "", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    ("records:child_detail", "child", "get", row(200, 200, 200, 404, 200, 200, 404, 404, 404)),
    ("records:child_edit", "child", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    ("records:child_contacts", "child", "get", row(200, 200, 200, 404, 200, 200, 404, 404, 404)),
    ("records:child_flags", "child", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    ("records:carer_create", "child", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    ("records:carer_edit", "carer", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    ("records:family_create", "", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    # Whoever may add a child may import children from a CSV file.
    ("records:import_children", "", "get", row(200, 200, 404, 404, 404, 200, 404, 404, 404)),
    ("records:entry_create", "child", "get", row(200, 200, 200, 404, 200, 404, 404, 404, 404)),
    ("records:grant_create", "child", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("records:break_glass_open", "child", "get", row(404, 404, 200, 404, 200, 404, 404, 404, 404)),
    ("records:audit_child", "child", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # A child leaves, and the setting's terms: the Lead and the Deputy.
    ("records:child_leaving", "child", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("records:terms", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # Everyone with a post reads their own supervision and training records.
    ("records:my_records", "", "get", row(200, 200, 200, 200, 200, 200, 404, 404, 404)),
    # The retention schedule and legal holds: the Lead.
    ("records:retention", "", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    # A general entry written by keyperson1.
    (
        "records:entry_detail",
        "general_entry",
        "get",
        row(200, 200, 200, 404, 200, 404, 404, 404, 404),
    ),
    # A sensitive entry written by the Lead: key person yes, room practitioner no.
    (
        "records:entry_detail",
        "sensitive_entry",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    # A child protection entry written by the Lead: Lead and Deputy only.
    ("records:entry_detail", "cp_entry", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "records:entry_amend",
        "general_entry",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:entry_amend",
        "sensitive_entry",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:attachment_add",
        "general_entry",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:entry_informed",
        "sensitive_entry",
        "post",
        row(400, 400, 400, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:entry_not_informed",
        "sensitive_entry",
        "post",
        row(400, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:attachment_download",
        "attachment",
        "get",
        row(200, 200, 200, 404, 200, 404, 404, 404, 404),
    ),
    ("records:grant_list", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("records:grant_revoke", "grant", "post", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "records:break_glass_review",
        "break_glass",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("records:staff_list", "", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("records:staff_create", "", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    # Only in a setting of a group: the matrix's setting belongs to none, so nobody.
    ("records:staff_from_group", "", "get", row(404, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("records:staff_edit", "staff", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("records:staff_deactivate", "staff", "post", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    (
        "records:staff_enrolment_code",
        "staff",
        "post",
        row(200, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("records:staff_records", "staff", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("records:acting_lead", "", "get", row(200, 404, 404, 404, 404, 404, 200, 404, 404)),
    ("records:acting_lead_end", "acting", "post", row(200, 404, 404, 404, 404, 404, 200, 404, 404)),
    ("records:audit_log", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("records:audit_export", "", "post", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("accounts:password_change", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # A record's end (lifecycle): the destruction queue and its certificates are the Lead's and
    # the Deputy's; "review now" is the Lead's (who approves); confirming is a second person's.
    ("lifecycle:queue", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:review_now", "", "post", row(302, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:detail", "destruction", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:certificate", "destroyed", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # The child-protection file sent on: the Lead (the DSL) does it; the Deputy sees the list
    # and each transfer's clock. The DSL's link is public: its token is the key.
    # (The child's file is on its way already: the Lead is taken to it.)
    ("lifecycle:transfer_start", "child", "get", row(302, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:transfers", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:transfer", "transfer", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    (
        "lifecycle:transfer_copy",
        "transfer",
        "get",
        row(200, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    # A parent's requests to correct, erase, restrict or object: recorded and answered by the
    # Lead and the Deputy (the Lead decides).
    ("lifecycle:rights_new", "child", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:rights_list", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("lifecycle:rights", "rights", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # A data breach: anyone who works here reports one; the log is the Lead's and the Deputy's.
    ("governance:breach_new", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 404)),
    ("governance:breaches", "", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    ("governance:breach", "breach", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    # The policy register: the Lead and the Deputy keep it.
    ("governance:policies", "", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    ("governance:policy", "policy", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    # The privacy notice: everyone with a post (to print, or give parents the PDF).
    ("governance:privacy_notice", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 404)),
    ("governance:privacy_notice_pdf", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 404)),
    # Made from the same data, for the trustees: the Lead and the Deputy.
    (
        "governance:record_of_processing",
        "",
        "get",
        row(200, 200, 404, 404, 404, 404, 200, 200, 404),
    ),
    ("governance:appropriate_policy", "", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    # The termly access review: the Lead.
    ("governance:access_review", "", "get", row(200, 404, 404, 404, 404, 404, 404, 404, 404)),
    # Allegations against staff: anyone with a post records one; the list is the handler's (the
    # Lead; the safeguarding trustee and the chair for those against the Lead). One against a key
    # person is the Lead's alone; one against the Lead is the trustees', never the Lead's.
    ("governance:allegation_new", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 404)),
    ("governance:allegations", "", "get", row(200, 404, 404, 404, 404, 404, 200, 200, 404)),
    (
        "governance:allegation",
        "allegation",
        "get",
        row(200, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "governance:allegation",
        "allegation_against_lead",
        "get",
        row(404, 404, 404, 404, 404, 404, 200, 200, 404),
    ),
    # The placeholder a named child gets: hidden from the person accused (keyperson1), whatever
    # their role; otherwise read as any child-protection entry.
    (
        "records:entry_detail",
        "placeholder",
        "get",
        row(200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "records:entry_detail",
        "placeholder_lead",
        "get",
        row(404, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    # The triage queue: the Lead and the Deputy (an alert on a child-protection entry).
    ("safeguarding:triage", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("safeguarding:triage_item", "alert", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # What Ofsted must hear (a serious accident on a general entry): the Lead and the Deputy.
    ("safeguarding:notices", "", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    ("safeguarding:notice", "notice", "get", row(200, 200, 404, 404, 404, 404, 404, 404, 404)),
    # Follow-up actions: everyone who works with the children has "my actions"; an action on a
    # sensitive entry, given to keyperson1: theirs, and the Lead's and the Deputy's.
    ("safeguarding:actions", "", "get", row(200, 200, 200, 200, 200, 200, 404, 404, 404)),
    ("safeguarding:action", "action", "get", row(200, 200, 200, 404, 404, 404, 404, 404, 404)),
    # Reports and the policy evidence pack (counts only): the Lead, the Deputy and the trustees.
    ("safeguarding:reports", "", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    ("safeguarding:evidence", "", "get", row(200, 200, 404, 404, 404, 404, 200, 200, 404)),
    (
        "safeguarding:print_chronology",
        "child",
        "get",
        row(200, 200, 200, 404, 404, 404, 404, 404, 404),
    ),
    (
        "safeguarding:chronology_print",
        "print",
        "get",
        row(200, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    (
        "safeguarding:chronology_print_download",
        "print",
        "get",
        row(200, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    # Everyone may reach the chooser; it lists their posts (none, for the IT admin).
    ("records:choose_setting", "", "get", row(200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # Counts across the group's settings: the group role only (tests/records/test_group_and_posts).
    ("home:group_overview", "", "get", row(404, 404, 404, 404, 404, 404, 404, 404, 404)),
]

# URL names reached by their own tests (sign-in flow, the admin), listed so the meta-test knows
# they are covered; see tests/records/test_auth.py and test_admin.py.
COVERED_ELSEWHERE = {
    # A random token, not an id: tests/lifecycle/test_transfer.py tries used and unknown ones.
    "lifecycle:transfer_link",
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor_verify",
    "accounts:two_factor_enrol",
    "accounts:two_factor_setup",
    "accounts:backup_codes",
}


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str = "") -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                names.add(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_name_has_a_row_in_the_matrix():
    from ..access_requests.test_permission_matrix import COVERED_NAMES as SAR_URL_NAMES
    from ..consent.test_permission_matrix import URL_NAMES as CONSENT_URL_NAMES

    covered = {name for name, *_ in MATRIX} | COVERED_ELSEWHERE | CONSENT_URL_NAMES | SAR_URL_NAMES
    missing = {n for n in all_url_names() - covered if not n.startswith("otpadmin:")}
    assert not missing, f"URL names with no row in the permission matrix: {sorted(missing)}"


@pytest.fixture
def objects(people) -> dict[str, Any]:
    child = people.child
    general = make_entry(child, people.keyperson1, category=Category.GENERAL)
    sensitive = make_entry(child, people.lead, category=Category.CONCERN)
    cp = make_entry(child, people.lead, category=Category.CHILD_PROTECTION)
    attachment = Attachment(
        entry=general,
        uploaded_by=people.keyperson1,
        filename="drawing.png",
        content_type="image/png",
        size=8,
        sha256="0" * 64,
        content=b"\x89PNG\r\n\x1a\n",
    )
    attachment.save()
    grant = NeedToKnowGrant(
        child=people.other_child,
        grantee=people.practitioner,
        level=Level.SENSITIVE,
        reason="Covering the Bluebell room this week.",
        ends_at=timezone.now() + timedelta(days=7),
        granted_by=people.lead,
    )
    grant.save()
    access = BreakGlass(
        child=people.other_child,
        staff=people.keyperson1,
        reason="Collected by an adult not on the list; Lead unreachable.",
        ends_at=timezone.now() + timedelta(hours=4),
    )
    access.save()
    acting = ActingLead(
        deputy=people.deputy,
        appointed_by=people.lead,
        reason="Lead on a training course.",
        ends_at=timezone.now() + timedelta(days=1),
    )
    acting.save()
    # The acting period starts tomorrow, so the Deputy is not acting Lead in these checks.
    ActingLead.objects.filter(pk=acting.pk).update(starts_at=timezone.now() + timedelta(days=1))
    offered = Destruction.objects.create(
        kind=SubjectKind.CHILD,
        subject_id=uuid.uuid4(),
        reference="C-00000001",
        whole=True,
        review_month=timezone.localdate().replace(day=1),
    )
    destroyed = Destruction.objects.create(
        kind=SubjectKind.CHILD,
        subject_id=uuid.uuid4(),
        reference="C-00000002",
        whole=True,
        review_month=timezone.localdate().replace(day=1),
        state=DestructionState.DESTROYED,
        approved_by=people.lead,
        approved_at=timezone.now(),
        confirmed_by=people.deputy,
        destroyed_at=timezone.now(),
        destroyed=[{"what": "record entries", "rule": "General records", "count": 3}],
    )
    moving = Transfer.objects.create(
        child=child,
        receiving_setting="Exampletown Primary",
        dsl_name="Dana Safeguard",
        dsl_email="dsl@example.test",
        move_kind="in_year",
        due_on=timezone.localdate(),
        started_by=people.lead,
        state="ready",
        pdf=b"%PDF-1.7 a copy",
        sha256="0" * 64,
    )
    asked = RightsRequest.objects.create(
        kind="rectification",
        child=child,
        requester=child.carers.get(),
        received_on=timezone.localdate(),
        due_on=timezone.localdate() + timedelta(days=30),
        statement="That was not me.",
        recorded_by=people.deputy,
    )
    lost = Breach.objects.create(
        reported_by=people.practitioner,
        aware_at=timezone.now() - timedelta(hours=2),
        what_happened="A register was left on the bus.",
    )
    written = Policy.objects.create(number="10.9", title="Confidentiality")
    alleged = allegations.record(
        by=people.practitioner.user,
        accused=people.keyperson1,
        kind=AllegationKind.ALLEGATION,
        what_alleged="Shouted at a child in the garden.",
        children=[child],
    )
    against_lead = allegations.record(
        by=people.deputy.user,
        accused=people.lead,
        kind=AllegationKind.ALLEGATION,
        what_alleged="Grabbed a child's arm.",
        children=[child],
    )
    return {
        "alert": Alert.objects.create(entry=cp),
        "notice": OfstedNotice.objects.create(entry=general, due_on=timezone.localdate()),
        "action": Action.objects.create(
            entry=sensitive,
            what="Talk to mum.",
            assignee=people.keyperson1,
            due_on=timezone.localdate(),
            set_by=people.lead,
        ),
        # A chronology PDF the Lead asked for, ready: theirs alone.
        "print": ChronologyPrint.objects.create(
            child=child,
            requested_by=people.lead,
            state=PrintState.READY,
            pdf=b"%PDF-1.7 a made-up file",
        ),
        "allegation": alleged,
        "allegation_against_lead": against_lead,
        "placeholder": alleged.placeholders.get(),
        "placeholder_lead": against_lead.placeholders.get(),
        "": None,
        "policy": written,
        "breach": lost,
        "rights": asked,
        "transfer": moving,
        "destruction": offered,
        "destroyed": destroyed,
        "child": child,
        "general_entry": general,
        "sensitive_entry": sensitive,
        "cp_entry": cp,
        "attachment": attachment,
        "grant": grant,
        "break_glass": access,
        "staff": people.keyperson2,
        "carer": child.carers.get(),
        "acting": acting,
    }


def _client(people, role: str) -> Client:
    if role == "anon":
        return Client()
    user = people.it_admin if role == "it_admin" else getattr(people, role).user
    return sign_in(Client(), user)


def _url(name: str, obj: Any) -> str:
    if obj is None:
        return reverse(name)
    if isinstance(obj, Carer):
        return reverse(name, args=[obj.children.get().pk, obj.pk])
    return reverse(name, args=[obj.pk])


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize(
    ("name", "about", "method", "expected"),
    MATRIX,
    ids=[f"{name}[{about or '-'}]-{method}" for name, about, method, _ in MATRIX],
)
def test_permission_matrix(people, objects, name, about, method, expected):
    url = _url(name, objects[about])
    results = {}
    for role in ROLES:
        client = _client(people, role)
        # Each role's request is undone afterwards, so every role meets the same records.
        sid = transaction.savepoint_create()
        response = getattr(client, method)(url)
        transaction.savepoint_rollback(sid)
        code: Any = response.status_code
        if code == 302 and "/account/sign-in/" in response["Location"]:
            code = L
        results[role] = code
    assert results == expected
