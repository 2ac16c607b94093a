"""seed_demo and demo_signins: the fictional preschool a visitor signs in to with `make run`."""

from __future__ import annotations

import base64
from io import StringIO
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import tenancy
from demo import data as demo
from governance import policy as governance_policy
from governance.models import Allegation, Handler
from records import policy
from records.models import (
    ActingLead,
    Amendment,
    BreakGlass,
    Carer,
    Category,
    Child,
    ChildFlag,
    Family,
    FlagKind,
    GroupRole,
    Level,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
    Role,
    Room,
    Setting,
    Staff,
    StaffRecord,
    StaffRecordKind,
)
from safeguarding import alerts
from safeguarding.models import Action, Alert, OfstedNotice

pytestmark = pytest.mark.django_db

PASSWORD = "a-fictional-demo-passphrase"
SECRET = "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXQ"
SECRET_KEY = base64.b32decode(SECRET.replace(" ", ""))
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
NAMED = ["lead", "deputy", "keyperson1", "keyperson2", "practitioner", "office"]
MODELS = [
    Setting,
    Room,
    Staff,
    Family,
    Carer,
    Child,
    RecordEntry,
    Amendment,
    NeedToKnowGrant,
    ActingLead,
    BreakGlass,
    StaffRecord,
    TOTPDevice,
    LogEntry,
]


def row_counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["User"] = get_user_model().objects.count()
    return counts


def seed(*args: str) -> str:
    out = StringIO()
    # The same fast hasher as the suite's autouse fixture, which has not run yet for the class-wide
    # load below.
    with override_settings(DEBUG=True, PASSWORD_HASHERS=[FAST_HASHER]):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


# --- refusals on an empty database ---------------------------------------------------------------


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", "--password", PASSWORD)
    assert not Setting.objects.exists()
    assert not get_user_model().objects.exists()


def test_seed_demo_refuses_a_weak_password_before_creating_anything():
    with pytest.raises(CommandError, match="password is not accepted"):
        seed("--password", "short")
    with pytest.raises(CommandError, match="too common"):
        seed("--password", "password1234")
    assert not get_user_model().objects.exists()
    assert not Setting.objects.exists()


def test_seed_demo_refuses_a_totp_secret_that_is_not_base32():
    with pytest.raises(CommandError, match="base32"):
        seed("--password", PASSWORD, "--totp-secret", "not base32 at all 0189!")
    with pytest.raises(CommandError, match="10 to 40 bytes"):
        seed("--password", PASSWORD, "--totp-secret", "JBSWY3DP")
    assert not get_user_model().objects.exists()


def test_demo_signins_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("demo_signins", stdout=StringIO())


def test_demo_signins_without_demo_data_says_to_seed_first(settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="run `make run`"):
        call_command("demo_signins", stdout=StringIO())


# --- one demo load shared by the tests below -----------------------------------------------------


@pytest.fixture(scope="class")
def demo_output(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The demo takes seconds to load (every row goes through the services and the audit log), so
    the class loads it once inside a transaction and rolls it back afterwards; each test still
    runs in its own savepoint."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield seed("--password", PASSWORD, "--totp-secret", SECRET)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.usefixtures("demo_output")
class TestTheDemo:
    @pytest.fixture(autouse=True)
    def in_the_first_setting(self, demo_output: Any) -> Any:
        """The demo's checks are of its first setting, as its people see it (core.tenancy)."""
        setting = Setting.objects.get(name=demo.SETTING["name"])
        with tenancy.working_in(setting.pk):
            yield

    def test_a_second_setting_of_the_group_with_bank_staff_and_the_group_lead(self):
        User = get_user_model()
        first = Setting.objects.get(name=demo.SETTING["name"])
        second = Setting.objects.get(name=demo.SETTING_B["name"])
        assert first.group_id == second.group_id is not None
        with tenancy.working_in(second.pk):
            usernames = set(Staff.objects.values_list("user__username", flat=True))
            assert {f"{name}-b" for name in NAMED} <= usernames
            assert Child.objects.count() >= 25
            assert not Child.objects.filter(family__setting=first).exists()
        bank = User.objects.get(username=demo.BANK_USERNAME)
        posts = Staff.objects.across_settings().filter(user=bank)
        assert {(p.setting_id, p.role) for p in posts} == {
            (first.pk, Role.PRACTITIONER),
            (second.pk, Role.OFFICE),
        }
        group = User.objects.get(username=demo.GROUP_USERNAME)
        assert GroupRole.objects.filter(user=group, group=first.group).exists()
        assert not Staff.objects.across_settings().filter(user=group).exists()

    def test_named_accounts_exist_with_their_roles_and_the_given_password(self):
        User = get_user_model()
        roles = {
            s.user.username: s.role
            for s in Staff.objects.select_related("user").filter(active=True)
        }
        assert {name: roles[name] for name in NAMED} == {
            "lead": Role.LEAD,
            "deputy": Role.DEPUTY,
            "keyperson1": Role.PRACTITIONER,
            "keyperson2": Role.PRACTITIONER,
            "practitioner": Role.PRACTITIONER,
            "office": Role.OFFICE,
        }
        for username in roles:
            assert User.objects.get(username=username).check_password(PASSWORD)
        itadmin = User.objects.get(username="itadmin")
        assert itadmin.is_superuser and itadmin.check_password(PASSWORD)
        assert not Staff.objects.filter(user=itadmin).exists()

    def test_accidents_and_the_child_protection_concern_have_body_maps(self):
        accidents = RecordEntry.objects.filter(category=Category.ACCIDENT)
        with_marks = [e for e in accidents if e.body_map]
        assert len(with_marks) >= 5
        assert len(with_marks) < accidents.count()  # a nosebleed leaves no mark
        bruises = RecordEntry.objects.get(category=Category.CHILD_PROTECTION, has_body_map=True)
        assert [m["region"] for m in bruises.body_map] == [
            "front:left_upper_arm",
            "front:left_upper_arm",
            "back:left_upper_arm",
        ]

    def test_setting_is_fictional_with_an_ico_number_and_data_protection_contact(self):
        setting = Setting.current()
        assert setting is not None
        assert setting.ico_registration_number == "ZA000000"
        assert setting.data_protection_contact and setting.address
        assert "pirates" not in setting.name.lower() and "pavilion" not in setting.name.lower()

    def test_about_thirty_children_each_with_a_key_person_and_carers(self):
        children = Child.objects.annotate(n_carers=Count("carers"))
        assert 25 <= children.count() <= 35
        assert not children.filter(key_person__isnull=True).exists()
        assert not children.filter(n_carers=0).exists()
        assert Child.objects.filter(key_person__user__username="keyperson1").count() >= 3
        assert Child.objects.filter(key_person__user__username="keyperson2").count() >= 3
        assert not Child.objects.filter(key_person__user__username="practitioner").exists()
        assert Carer.objects.filter(parental_responsibility=False).exists()
        restricted = [c for c in Carer.objects.all() if c.court_order_restrictions]
        assert 1 <= len(restricted) <= 4

    def test_entries_of_every_category_and_level_over_a_year(self):
        entries = RecordEntry.objects.all()
        assert set(entries.values_list("category", flat=True)) == set(Category.values)
        assert set(entries.values_list("level", flat=True)) == set(Level.values)
        first = entries.order_by("occurred_at").first()
        last = entries.order_by("-occurred_at").first()
        assert first is not None and last is not None
        assert (last.occurred_at - first.occurred_at).days > 300
        assert any("climbing frame" in e.text for e in entries.filter(category=Category.ACCIDENT))
        assert not entries.filter(recorded_at__lt=F("occurred_at")).exists()

    def test_parents_informed_to_inform_and_one_not_informed_with_the_leads_reason(self):
        informed = RecordEntry.objects.values_list("parent_informed", flat=True)
        assert {
            ParentInformed.INFORMED,
            ParentInformed.TO_INFORM,
            ParentInformed.NOT_INFORMED,
        } <= set(informed)
        not_told = RecordEntry.objects.get(parent_informed=ParentInformed.NOT_INFORMED)
        assert not_told.not_informed_decided_by is not None
        assert not_told.not_informed_decided_by.role == Role.LEAD
        assert "risk" in not_told.not_informed_reason
        assert Amendment.objects.count() >= 3

    def test_grants_acting_lead_break_glass_and_staff_records(self):
        grants = NeedToKnowGrant.objects.all()
        assert NeedToKnowGrant.objects.live().count() == 1
        assert grants.filter(revoked_at__isnull=False).count() == 1
        assert [g for g in grants if g.revoked_at is None and not g.is_live]  # the expired one
        acting = ActingLead.objects.get()
        assert acting.starts_at < acting.ends_at < timezone.now()
        assert BreakGlass.objects.filter(reviewed_at__isnull=True).count() == 1
        kinds = set(StaffRecord.objects.values_list("kind", flat=True))
        assert {StaffRecordKind.SUPERVISION, StaffRecordKind.DBS} <= kinds
        # Every row that grants access is sealed as it stands: the demo's live grant works.
        from django.apps import apps

        from core.models import SealedRowModel

        sealed = [
            row
            for model in apps.get_models()
            if issubclass(model, SealedRowModel)
            for row in model._default_manager.all()
        ]
        assert len(sealed) > 10
        assert [row for row in sealed if not row.is_intact()] == []

    def test_a_leaver_recorded_with_a_checklist_under_way_and_the_terms(self):
        from records.models import Child, FileHandOver, Leaving, Term

        leavers = Child.objects.filter(left_on__isnull=False)
        assert leavers.exists()
        for child in leavers:
            row = Leaving.objects.get(child=child)
            assert row.left_on == child.left_on and row.destination
            assert row.general_file == FileHandOver.GIVEN_TO_PARENTS
        # Each setting's terms: two school years, the one today falls in among them.
        assert Term.objects.across_settings().count() == 12
        today = timezone.localdate()
        assert Term.objects.filter(starts_on__lte=today).exists()

    def test_a_child_protection_file_sent_on_and_awaiting_receipt(self):
        from lifecycle.models import Transfer, TransferState

        sent = Transfer.objects.get()
        assert sent.state == TransferState.SENT
        assert sent.items.filter(included=True).exists() and sent.pdf
        assert sent.child.left_on is not None

    def test_a_breach_closed_and_one_with_its_clock_running(self):
        from governance import breaches
        from governance.models import Breach

        assert Breach.objects.filter(closed_at__isnull=False).count() == 1
        [(running, left)] = breaches.running()
        assert 0 < left < 72

    def test_policy_10_9_is_on_the_register_and_its_review_is_overdue(self):
        from governance import policies

        [row] = policies.register()
        assert row.policy.number == "10.9" and row.overdue

    def test_a_parents_request_to_correct_an_entry_waits_for_the_lead(self):
        from lifecycle.models import RightKind, RightsRequest

        asked = RightsRequest.objects.get()
        assert asked.kind == RightKind.RECTIFICATION and not asked.outcome
        assert asked.entries.count() == 1 and asked.due_on > asked.received_on

    def test_a_leavers_file_under_a_legal_hold_is_never_offered_for_destruction(self):
        from lifecycle import destruction
        from records.models import LegalHold

        hold = LegalHold.objects.get(lifted_at__isnull=True)
        assert hold.child is not None and hold.child.left_on is not None
        # Even long after its dates have passed, the held file is not offered.
        later = timezone.localdate().replace(year=timezone.localdate().year + 30)
        offered = {found.subject_id for found in destruction.due(later)}
        assert hold.child.pk not in offered
        assert offered  # the other leavers' files are

    def test_sharing_decisions_in_every_state_and_the_lead_can_enter_the_admin(self):
        from consent.models import ConsentRecord, DecisionState, Disclosure, SharingDecision

        states = set(SharingDecision.objects.values_list("state", flat=True))
        assert {
            DecisionState.PROPOSED,
            DecisionState.APPROVED,
            DecisionState.DECLINED,
            DecisionState.SHARED,
            DecisionState.FAMILY_INFORMED,
        } <= states
        assert SharingDecision.objects.filter(retrospective=True).exists()
        assert SharingDecision.objects.filter(decision="not_share").exists()
        assert Disclosure.objects.filter(confidentiality="not_asked").exists()
        assert ConsentRecord.objects.count() > 5
        staff_users = get_user_model().objects.filter(is_staff=True, is_superuser=False)
        # The Lead and Deputy of each setting enter the admin screen; nobody else.
        assert set(staff_users.values_list("username", flat=True)) == {
            "lead",
            "deputy",
            "lead-b",
            "deputy-b",
        }

    def test_practitioner_sees_only_general_entries_of_their_own_room(self):
        staff = Staff.objects.get(user__username="practitioner")
        user = staff.user
        rooms = set(staff.rooms.values_list("pk", flat=True))
        visible = policy.visible_entries(user)
        assert visible.exists()
        assert set(visible.values_list("level", flat=True)) == {Level.GENERAL}
        assert set(visible.values_list("child__room", flat=True)) <= rooms

    def test_the_lead_sees_the_demos_audit_log_verified(self):
        from django.test import Client
        from django.urls import reverse

        from audit.models import DEPLOYMENT_CHAIN, ChainCheck
        from records.models import Staff

        from ..conftest import sign_in

        lead_user = get_user_model().objects.get(username="lead")
        own = Staff.objects.across_settings().get(user=lead_user).setting_id
        # seed_demo checked every chain: the deployment's and each setting's.
        made = {c.chain: c for c in ChainCheck.objects.order_by("checked_at")}
        assert {DEPLOYMENT_CHAIN, own} <= set(made)
        assert len(made) == 3  # the deployment and its two settings
        for check in made.values():
            assert check.intact and check.full and check.anchors_checked >= 1
        lead = sign_in(Client(), lead_user)
        page = lead.get(reverse("records:audit_log")).content.decode()
        assert "Audit log verified at" in page
        # The Lead's page shows the chains of what it lists: the setting's and the deployment's.
        shown = [ChainCheck.objects.filter(chain=c).latest() for c in (DEPLOYMENT_CHAIN, own)]
        # No count of entries: it would grow with events held apart from the page (an
        # allegation against the reader), tests/proof/test_accused_cannot_see.py.
        assert " entries." not in page
        assert f"its {sum(c.anchors_checked for c in shown)} anchor" in page

    def test_the_last_weeks_concerns_wait_for_triage_and_an_ofsted_notice_is_due(self):
        lead = get_user_model().objects.get(username="lead")
        waiting, late, undelivered = alerts.counts(lead)
        assert 1 <= waiting < 10 and undelivered == 0
        assert Alert.objects.filter(acknowledged_at__isnull=False).count() > waiting
        assert Action.objects.filter(done_at__isnull=True).count() == 1
        notice = OfstedNotice.objects.get()
        assert notice.entry.category == Category.ACCIDENT and not notice.done
        injury = RecordEntry.objects.get(category=Category.EXISTING_INJURY)
        assert injury.parent_said and injury.body_map

    def test_the_trustees_and_two_allegations_one_against_the_lead(self):
        roles = dict(Staff.objects.values_list("user__username", "role"))
        assert roles["chair"] == Role.CHAIR
        assert roles["trustee"] == Role.SAFEGUARDING_TRUSTEE
        against_staff = Allegation.objects.get(handler=Handler.LEAD)
        against_lead = Allegation.objects.get(handler=Handler.TRUSTEE)
        assert against_staff.lado_referred_at is not None
        assert against_lead.accused.user.username == "lead"
        assert against_lead.ofsted_due_on is not None and against_lead.ofsted_told_at is None
        lead = get_user_model().objects.get(username="lead")
        trustee = get_user_model().objects.get(username="trustee")
        assert list(governance_policy.visible_allegations(lead)) == [against_staff]
        assert list(governance_policy.visible_allegations(trustee)) == [against_lead]
        # Each names a child, whose placeholder the person accused never sees.
        for allegation in (against_staff, against_lead):
            placeholder = allegation.placeholders.get()
            accused = allegation.accused.user
            assert not policy.visible_entries(accused).filter(pk=placeholder.pk).exists()

    def test_every_demo_user_has_a_totp_device_whose_current_code_verifies(self):
        User = get_user_model()
        code = totp(SECRET_KEY)
        for user in User.objects.all():
            device = TOTPDevice.objects.get(user=user, confirmed=True)
            assert device.key == SECRET_KEY.hex()
            assert device.verify_token(code) or device.verify_token(totp(SECRET_KEY))

    def test_demo_signins_prints_every_username_and_the_current_code(self, settings):
        settings.DEBUG = True
        before = f"{totp(SECRET_KEY):06d}"
        out = StringIO()
        call_command("demo_signins", "--url", "http://127.0.0.1:8010/", stdout=out)
        after = f"{totp(SECRET_KEY):06d}"
        text = out.getvalue()
        # make run PORT=8010 and make codes PORT=8010 say where the demo is served.
        assert "(http://127.0.0.1:8010/)" in text.splitlines()[0]
        assert "run `make codes` again" in text
        assert SECRET.replace(" ", "") in text
        assert "confide-demo-password" in text
        for username in [*NAMED, "itadmin"]:
            line = next(line for line in text.splitlines() if line.startswith(username + " "))
            assert before in line or after in line

    def test_a_second_run_is_refused_and_changes_nothing(self):
        before = row_counts()
        with pytest.raises(CommandError, match="already holds data"):
            seed("--password", PASSWORD)
        assert row_counts() == before

    def test_a_second_run_with_if_empty_says_so_and_changes_nothing(self):
        before = row_counts()
        assert "Demo data already loaded; nothing to do." in seed("--if-empty")
        assert row_counts() == before

    def test_the_load_is_summarised(self, demo_output):
        assert "Brambleford" in demo_output
        assert "demo_signins" in demo_output

    def test_flags_show_the_plan_to_the_lead_and_not_to_the_room(self):
        leo = Child.objects.get(first_name="Leo")
        kinds = set(ChildFlag.objects.filter(child=leo).values_list("kind", flat=True))
        assert kinds == {FlagKind.CP_PLAN, FlagKind.SOCIAL_WORKER}
        lead = Staff.objects.get(user__username="lead").user
        room = Staff.objects.get(user__username="practitioner").user
        assert FlagKind.CP_PLAN in {f.kind for f in policy.visible_flags(lead, leo)}
        assert not policy.visible_flags(room, leo).filter(kind=FlagKind.CP_PLAN).exists()
        assert ChildFlag.objects.filter(kind=FlagKind.SEND, ehcp=True).exists()
