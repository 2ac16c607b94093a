"""State changes: one rule each, inside a transaction, audit included.

Services check the policy again (views check first): a rule holds whoever calls it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

import pikepdf
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm
from PIL import Image

from accounts import services as accounts
from accounts.events import Event as AccountEvent
from audit.events import Event as AuditEvent
from audit.log import log_event
from core import tenancy
from core.rules import blank, not_before, not_in_future, require

from . import body_map, policy
from .events import Event
from .models import (
    CATEGORIES_PARENTS_ARE_TOLD,
    DEFAULT_LEVEL,
    FLAG_LEVEL,
    ActingLead,
    Amendment,
    Attachment,
    BreakGlass,
    Carer,
    Category,
    Child,
    ChildFlag,
    Family,
    FlagKind,
    Level,
    NeedToKnowGrant,
    ParentInformed,
    RecordEntry,
    Role,
    Room,
    Setting,
    SettingGroup,
    Staff,
    StaffRecord,
)
from .signals import entry_recorded

logger = logging.getLogger(__name__)

GRANT_PERMISSION = {
    Level.GENERAL: "records.view_general_child",
    Level.SENSITIVE: "records.view_sensitive_child",
    Level.CHILD_PROTECTION: "records.view_cp_child",
}
ALLOWED_ATTACHMENTS = {
    "application/pdf": b"%PDF-",
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
BREAK_GLASS_HOURS = 4
MAX_GRANT_DAYS = 183


# --- entries --------------------------------------------------------------------------------


def check_attachment(upload: UploadedFile) -> tuple[str, bytes]:
    """The type is read from the file's first bytes, not from its name or the browser's word."""
    if upload.size is not None and upload.size > settings.CONFIDE_MAX_ATTACHMENT_BYTES:
        limit = settings.CONFIDE_MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise ValidationError(
            {"attachment": f"The file is too large: attachments may be at most {limit} MB."}
        )
    data = upload.read()
    if len(data) > settings.CONFIDE_MAX_ATTACHMENT_BYTES:
        limit = settings.CONFIDE_MAX_ATTACHMENT_BYTES // (1024 * 1024)
        raise ValidationError(
            {"attachment": f"The file is too large: attachments may be at most {limit} MB."}
        )
    for content_type, magic in ALLOWED_ATTACHMENTS.items():
        if data.startswith(magic):
            if content_type == "application/pdf":
                _check_pdf(data)
            else:
                _check_picture(data)
            return content_type, data
    raise ValidationError({"attachment": "Attachments must be a PDF, a JPEG or a PNG file."})


# What in a PDF runs something by itself: scripts, actions on opening a document or a page,
# launching another program.
ACTIVE_PDF_KEYS = ("/JS", "/JavaScript", "/OpenAction", "/AA", "/Launch")


def _check_pdf(data: bytes) -> None:
    """A PDF is read whole (pikepdf); one that runs anything by itself is refused, as a file that
    could act on the reader's computer when opened, here or by whoever receives it later."""
    try:
        document = pikepdf.open(BytesIO(data))
    except (pikepdf.PdfError, ValueError):
        raise ValidationError(
            {"attachment": "The PDF could not be read: it may be damaged. Save it again and retry."}
        ) from None
    with document:
        if any(_runs_something(obj) for obj in document.objects):
            raise ValidationError(
                {
                    "attachment": "The PDF contains a script or an action that runs when it "
                    "is opened, so it is refused. Print it to a new PDF (or scan it) and "
                    "attach that."
                }
            )


def _runs_something(obj: Any, depth: int = 0) -> bool:
    """Whether this object, or a dictionary or array written inside it, names an active key.
    Objects stored on their own (indirect) are each visited from ``document.objects``."""
    if depth > 50:
        return True  # nested beyond any real document: refused rather than walked
    if isinstance(obj, pikepdf.Stream):
        obj = obj.stream_dict
    if isinstance(obj, pikepdf.Dictionary):
        if any(key in obj for key in ACTIVE_PDF_KEYS):
            return True
        children = [value for _key, value in obj.items()]
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return False
    return any(
        _runs_something(child, depth + 1)
        for child in children
        if not getattr(child, "is_indirect", False)
    )


def _check_picture(data: bytes) -> None:
    """A file that says it is a picture is decoded whole (Pillow): one that does not decode —
    damaged, or something else behind a picture's first bytes — is refused."""
    try:
        with Image.open(BytesIO(data)) as picture:
            picture.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            {
                "attachment": "The picture could not be read: it may be damaged or not really a "
                "JPEG or PNG. Save it again and retry."
            }
        ) from None


def _attach(entry: RecordEntry, staff: Staff, upload: UploadedFile) -> Attachment:
    content_type, data = check_attachment(upload)
    attachment = Attachment(
        entry=entry,
        uploaded_by=staff,
        filename=(upload.name or "attachment")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )
    attachment.save()
    return attachment


@transaction.atomic
def record_entry(
    *,
    child: Child,
    author: User,
    category: str,
    occurred_at: datetime,
    text: str,
    level: int | None = None,
    parent_informed_now: bool = False,
    informed_how: str = "",
    attachments: Iterable[UploadedFile] = (),
    body_map_marks: Iterable[dict[str, Any]] = (),
    urgent: bool = False,
    parent_said: str = "",
    serious: bool = False,
    significant: bool = False,
) -> RecordEntry:
    staff = policy.staff_of(author)
    require(staff is not None and policy.can_write_entry(author, child))
    assert staff is not None
    default = DEFAULT_LEVEL[category]
    level = default if level is None else int(level)
    if level < default:
        raise ValidationError(
            {"level": f"{Level(default).label} is the lowest level for this category."}
        )
    not_in_future(occurred_at, "occurred_at", "When it happened")
    not_before(
        occurred_at,
        child.date_of_birth,
        "occurred_at",
        f"When it happened cannot be before {child.first_name} was born "
        f"({child.date_of_birth:%-d %B %Y}).",
    )
    opened = Setting.opened_on_or_none()
    not_before(
        occurred_at,
        opened,
        "occurred_at",
        f"When it happened cannot be before the setting opened ({opened:%-d %B %Y})."
        if opened
        else "",
    )
    if blank(text):
        raise ValidationError(
            {"text": "Write what happened: spaces or invisible characters alone say nothing."}
        )
    if category == Category.EXISTING_INJURY and blank(parent_said):
        raise ValidationError(
            {
                "parent_said": "Ask the parent how it happened and write down what they said "
                "(or that they would not say)."
            }
        )
    if category in CATEGORIES_PARENTS_ARE_TOLD:
        informed = ParentInformed.INFORMED if parent_informed_now else ParentInformed.TO_INFORM
    else:
        informed = ParentInformed.NOT_REQUIRED
    if informed == ParentInformed.INFORMED and not informed_how:
        raise ValidationError({"informed_how": "Say how the parent was told."})
    marks = body_map.clean_marks(list(body_map_marks))
    if marks and category not in body_map.BODY_MAP_CATEGORIES:
        raise ValidationError(
            {
                "category": "A body map goes with an accident or injury, a concern or a child "
                "protection action: choose one of those, or remove the marks."
            }
        )
    entry = RecordEntry(
        child=child,
        category=category,
        level=level,
        occurred_at=occurred_at,
        author=staff,
        text=text,
        body_map=marks,
        parent_informed=informed,
        parent_said=parent_said.strip(),
        significant=significant,
    )
    if informed == ParentInformed.INFORMED:
        entry.informed_at = timezone.now()
        entry.informed_how = informed_how
        entry.informed_by = staff
    entry.save()
    for upload in attachments:
        _attach(entry, staff, upload)
    entry_recorded.send(sender=RecordEntry, entry=entry, urgent=urgent, serious=serious)
    return entry


@transaction.atomic
def add_attachment(*, entry: RecordEntry, by: User, upload: UploadedFile) -> Attachment:
    staff = policy.staff_of(by)
    require(staff is not None and policy.can_amend_entry(by, entry))
    assert staff is not None
    return _attach(entry, staff, upload)


@transaction.atomic
def amend_entry(*, entry: RecordEntry, author: User, text: str, reason: str) -> Amendment:
    staff = policy.staff_of(author)
    require(staff is not None and policy.can_amend_entry(author, entry))
    errors = {}
    if blank(text):
        errors["text"] = "Write the corrected or added text."
    if blank(reason):
        errors["reason"] = "Say why the entry is being amended."
    if errors:
        raise ValidationError(errors)
    amendment = Amendment(entry=entry, author=staff, text=text, reason=reason)
    amendment.save()
    return amendment


@transaction.atomic
def mark_parent_informed(
    *, entry: RecordEntry, by: User, informed_at: datetime, how: str
) -> RecordEntry:
    staff = policy.staff_of(by)
    require(staff is not None and policy.can_mark_informed(by, entry))
    if entry.parent_informed not in (ParentInformed.TO_INFORM, ParentInformed.NOT_INFORMED):
        raise ValidationError("This entry has no parent still to be told.")
    not_in_future(informed_at, "informed_at", "When the parent was told")
    if informed_at < entry.occurred_at - timedelta(minutes=1):
        raise ValidationError({"informed_at": "The parent cannot be told before it happened."})
    if not how:
        raise ValidationError({"how": "Say how the parent was told."})
    entry.parent_informed = ParentInformed.INFORMED
    entry.informed_at = informed_at
    entry.informed_how = how
    entry.informed_by = staff
    entry.save(update_fields=["parent_informed", "informed_at", "informed_how", "informed_by"])
    return entry


@transaction.atomic
def decide_not_to_inform(*, entry: RecordEntry, lead: User, reason: str) -> RecordEntry:
    staff = policy.staff_of(lead)
    require(staff is not None and policy.can_decide_not_to_inform(lead))
    if entry.parent_informed != ParentInformed.TO_INFORM:
        raise ValidationError("Only an entry whose parent is still to be told can be decided on.")
    if blank(reason):
        raise ValidationError(
            {"reason": "Record why telling the parent would put the child at risk."}
        )
    entry.parent_informed = ParentInformed.NOT_INFORMED
    entry.not_informed_reason = reason
    entry.not_informed_decided_by = staff
    entry.save(update_fields=["parent_informed", "not_informed_reason", "not_informed_decided_by"])
    return entry


# --- the register ----------------------------------------------------------------------------


def _check_child_dates(date_of_birth: date, started_on: date, left_on: date | None) -> None:
    errors = {}
    today = timezone.localdate()
    if date_of_birth > today:
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    if started_on < date_of_birth:
        errors["started_on"] = "The start date cannot be before the date of birth."
    if left_on is not None and left_on < started_on:
        errors["left_on"] = "The leaving date cannot be before the start date."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_child(*, by: User, child: Child | None = None, **fields: Any) -> Child:
    """Add a child to the register, or change their register details."""
    require(policy.can_manage_register(by))
    _check_child_dates(fields["date_of_birth"], fields["started_on"], fields.get("left_on"))
    key_person = fields.get("key_person")
    if key_person is not None and not policy.works_with_children(key_person):
        raise ValidationError({"key_person": "The key person must be an active practitioner."})
    carers = fields.pop("carers", None)
    child = child or Child()
    for name, value in fields.items():
        setattr(child, name, value)
    child.save()
    if carers is not None:
        child.carers.set(carers)
    return child


@transaction.atomic
def save_family(*, by: User, family: Family | None = None, **fields: Any) -> Family:
    require(policy.can_manage_register(by))
    if blank(fields.get("name", "")):
        raise ValidationError({"name": "Give the family a name."})
    family = family or Family()
    for name, value in fields.items():
        setattr(family, name, value)
    family.save()
    return family


@transaction.atomic
def save_carer(*, by: User, child: Child, carer: Carer | None = None, **fields: Any) -> Carer:
    """A carer of the child (in the child's family), with contact details and any court order."""
    require(policy.can_manage_register(by) and policy.can_see_child(by, child))
    if not (fields.get("phone") or fields.get("email") or fields.get("address")):
        raise ValidationError("Give at least one way to contact this carer.")
    carer = carer or Carer(family=child.family)
    for name, value in fields.items():
        setattr(carer, name, value)
    carer.save()
    child.carers.add(carer)
    return carer


# --- grants, acting Lead, break-glass ----------------------------------------------------------


@transaction.atomic
def add_flag(
    *,
    child: Child,
    by: User,
    kind: str,
    started_on: date,
    detail: str = "",
    ehcp: bool = False,
    ended_on: date | None = None,
) -> ChildFlag:
    """A flag on the child's file, at the level its kind fixes (records.models.FLAG_LEVEL)."""
    staff = policy.staff_of(by)
    kinds = policy.flag_kinds_for(by, child)
    require(staff is not None and bool(kinds))
    assert staff is not None
    errors: dict[str, str] = {}
    if kind not in kinds:
        errors["kind"] = "Choose a kind of flag you may add."
    if kind in (FlagKind.SOCIAL_WORKER, FlagKind.PROFESSIONAL) and blank(detail):
        errors["detail"] = "Give their name, role and how to reach them."
    if started_on > timezone.localdate():
        errors["started_on"] = "The start cannot be in the future."
    if ended_on is not None and ended_on < started_on:
        errors["ended_on"] = "The end cannot be before the start."
    if errors:
        raise ValidationError(errors)
    return ChildFlag.objects.create(
        child=child,
        kind=kind,
        level=FLAG_LEVEL[kind],
        ehcp=ehcp and kind == FlagKind.SEND,
        detail=detail.strip(),
        started_on=started_on,
        ended_on=ended_on,
        author=staff,
        ended_by=staff if ended_on is not None else None,
    )


@transaction.atomic
def end_flag(*, flag: ChildFlag, by: User, ended_on: date) -> ChildFlag:
    """The flag ends (the plan closed, the social worker changed): kept, with its end date."""
    staff = policy.staff_of(by)
    require(staff is not None and flag.kind in policy.flag_kinds_for(by, flag.child))
    locked = ChildFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.ended_on is not None and locked.ended_on <= timezone.localdate():
        raise ValidationError("This flag has already ended.")
    if ended_on < locked.started_on:
        raise ValidationError({"ended_on": "The end cannot be before the start."})
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": "The end cannot be in the future."})
    locked.ended_on = ended_on
    locked.ended_by = staff
    locked.save(update_fields=["ended_on", "ended_by"])
    return locked


@transaction.atomic
def give_grant(
    *, child: Child, grantee: Staff, level: int, reason: str, ends_at: datetime, granted_by: User
) -> NeedToKnowGrant:
    giver = policy.staff_of(granted_by)
    require(giver is not None and policy.can_manage_grants(granted_by))
    now = timezone.now()
    errors = {}
    if blank(reason):
        errors["reason"] = "Give the reason this person needs to know."
    if ends_at <= now:
        errors["ends_at"] = "The end must be in the future."
    elif ends_at > now + timedelta(days=MAX_GRANT_DAYS):
        errors["ends_at"] = f"A grant may last at most {MAX_GRANT_DAYS} days; renew it if needed."
    if not policy.may_hold_grant(grantee):
        errors["grantee"] = "Grants are for active practitioners."
    if errors:
        raise ValidationError(errors)
    grant = NeedToKnowGrant(
        child=child,
        grantee=grantee,
        level=level,
        reason=reason,
        starts_at=now,
        ends_at=ends_at,
        granted_by=giver,
    )
    grant.save()
    assign_perm(GRANT_PERMISSION[Level(level)], grantee.user, child)
    return grant


def _sync_grant_permissions(grantee: Staff, child: Child) -> None:
    """Guardian's rows mirror the grants still live for this person and child."""
    live_levels = set(
        NeedToKnowGrant.objects.live()
        .filter(grantee=grantee, child=child)
        .values_list("level", flat=True)
    )
    for level, perm in GRANT_PERMISSION.items():
        if level not in live_levels:
            remove_perm(perm, grantee.user, child)


@transaction.atomic
def revoke_grant(*, grant: NeedToKnowGrant, revoked_by: User) -> NeedToKnowGrant:
    staff = policy.staff_of(revoked_by)
    require(staff is not None and policy.can_manage_grants(revoked_by))
    updated = NeedToKnowGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=staff
    )
    if not updated:
        raise ValidationError("This grant was already revoked.")
    grant.reseal()
    log_event(actor=revoked_by, event=Event.GRANT_REVOKED, obj=grant)
    _sync_grant_permissions(grant.grantee, grant.child)
    return grant


@transaction.atomic
def appoint_acting_lead(
    *, deputy: Staff, appointed_by: User, reason: str, ends_at: datetime
) -> ActingLead:
    lead = policy.staff_of(appointed_by)
    require(lead is not None and policy.can_appoint_acting_lead(appointed_by))
    errors = {}
    if not policy.may_act_as_lead(deputy):
        errors["deputy"] = "Only an active Deputy can be made acting Lead."
    if blank(reason):
        errors["reason"] = "Say why (for example: the Lead is on leave)."
    if ends_at <= timezone.now():
        errors["ends_at"] = "The end must be in the future."
    if errors:
        raise ValidationError(errors)
    appointment = ActingLead(
        deputy=deputy, appointed_by=lead, reason=reason, starts_at=timezone.now(), ends_at=ends_at
    )
    appointment.save()
    return appointment


@transaction.atomic
def end_acting_lead(*, appointment: ActingLead, by: User) -> ActingLead:
    staff = policy.staff_of(by)
    require(staff is not None and policy.can_appoint_acting_lead(by))
    updated = ActingLead.objects.filter(pk=appointment.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=staff
    )
    if not updated:
        raise ValidationError("This appointment has already ended.")
    appointment.reseal()
    log_event(actor=by, event=Event.ACTING_LEAD_ENDED, obj=appointment)
    return appointment


def _tell_managers_of_break_glass(access: BreakGlass, recipients: list[str]) -> None:
    # No names or reasons by email: only that it happened and where to review it. A mail
    # failure must not undo the access: it is on the dashboard either way.
    try:
        send_mail(
            "Confide: break-glass access to review",
            f"A practitioner opened a child's records in an emergency ({access.ref}). "
            "Sign in to Confide and review it from your dashboard.",
            None,
            recipients,
        )
    except OSError:
        logger.exception("Could not email the Lead and Deputy about break-glass %s", access.ref)


@transaction.atomic
def open_break_glass(
    *, child: Child, by: User, reason: str, request: HttpRequest | None = None
) -> BreakGlass:
    staff = policy.staff_of(by)
    require(staff is not None and policy.can_break_glass(by, child))
    if blank(reason) or len(reason.strip()) < 10:
        raise ValidationError(
            {
                "reason": "Say why the child may be at risk and why the Lead and Deputy cannot be reached."
            }
        )
    now = timezone.now()
    access = BreakGlass(
        child=child,
        staff=staff,
        reason=reason,
        starts_at=now,
        ends_at=now + timedelta(hours=BREAK_GLASS_HOURS),
    )
    access.save()
    log_event(actor=by, event=Event.BREAK_GLASS_OPENED, obj=access, request=request)
    recipients = policy.manager_emails()
    if recipients:
        transaction.on_commit(lambda: _tell_managers_of_break_glass(access, recipients))
    return access


@transaction.atomic
def review_break_glass(*, access: BreakGlass, reviewer: User, note: str) -> BreakGlass:
    staff = policy.staff_of(reviewer)
    require(staff is not None and policy.can_review_break_glass(reviewer))
    if blank(note):
        raise ValidationError({"note": "Record what you found and any action taken."})
    updated = BreakGlass.objects.filter(pk=access.pk, reviewed_at__isnull=True).update(
        reviewed_at=timezone.now(), reviewed_by=staff
    )
    if not updated:
        raise ValidationError("This access has already been reviewed.")
    access.refresh_from_db()
    access.review_note = note
    access.save(update_fields=["review_note"])
    return access


# --- staff ------------------------------------------------------------------------------------


@transaction.atomic
def create_first_lead(
    *,
    username: str,
    full_name: str,
    email: str,
    password: str,
    setting_name: str = "",
    group_name: str = "",
) -> tuple[Staff, str]:
    """Set up a setting's first Lead from the console (there is nobody yet to create them).

    The Lead belongs to the setting named (made if it is new: a group adds a setting this way),
    or to the deployment's only setting, made if there is none yet. A setting made here has
    placeholders the Lead completes in the admin."""
    if setting_name:
        setting = Setting.objects.filter(name=setting_name).first()
    else:
        known = list(Setting.objects.all()[:2])
        if len(known) > 1:
            raise ValidationError("This deployment has several settings: name one (--setting).")
        setting = known[0] if known else None
    if setting is None:
        setting = Setting.objects.create(
            name=setting_name or "Our setting (to be completed)",
            address="To be completed in the admin",
            ico_registration_number="unknown",
            data_protection_contact=full_name,
        )
    if group_name and setting.group_id is None:
        setting.group = SettingGroup.objects.get_or_create(name=group_name)[0]
        setting.save(update_fields=["group"])
    if policy.lead_of(setting.pk) is not None:
        raise ValidationError("This setting already has a Lead.")
    user = accounts.new_account(username=username, email=email, password=password, is_staff=True)
    staff = Staff.objects.create(
        user=user,
        full_name=full_name,
        role=Role.LEAD,
        started_on=timezone.localdate(),
        setting=setting,
    )
    return staff, accounts.new_enrolment_code(user, None)


@transaction.atomic
def create_trustee(
    *, username: str, full_name: str, email: str, password: str, role: str, setting_name: str = ""
) -> tuple[Staff, str]:
    """A trustee's account (the chair, the safeguarding trustee or another trustee), from the
    console: the IT administrator's, never the Lead's, as the safeguarding trustee handles an
    allegation against the Lead. Returns the post and a one-time two-factor enrolment code."""
    if not policy.is_trustee_role(role):
        raise ValidationError("Choose chair, safeguarding_trustee or trustee.")
    known = list(
        Setting.objects.filter(name=setting_name) if setting_name else Setting.objects.all()
    )
    if len(known) != 1:
        raise ValidationError(
            f"There is no setting named {setting_name!r}."
            if setting_name
            else "Name the setting (--setting): there is none, or several."
        )
    setting = known[0]
    with tenancy.working_in(setting.pk):
        if policy.role_is_taken(role):
            raise ValidationError("The setting already has one: turn off their account first.")
        user = accounts.new_account(username=username, email=email, password=password)
        staff = Staff.objects.create(
            user=user,
            full_name=full_name,
            role=role,
            started_on=timezone.localdate(),
            setting=setting,
        )
        return staff, accounts.new_enrolment_code(user, None)


@transaction.atomic
def create_staff(
    *,
    created_by: User,
    username: str,
    full_name: str,
    email: str,
    role: str,
    rooms: Iterable[Room],
    password: str,
    job_title: str = "",
) -> tuple[Staff, str]:
    """A new account with its initial password and a one-time two-factor enrolment code."""
    require(policy.can_manage_staff(created_by))
    refusal = policy.role_change_refusal(None, role)
    if refusal:
        raise ValidationError({"role": refusal})
    user = accounts.new_account(
        username=username,
        email=email,
        password=password,
        # Lead and Deputy enter the admin screen to judge sharing decisions; nobody else does.
        is_staff=policy.enters_admin(role),
    )
    staff = Staff.objects.create(
        user=user,
        full_name=full_name,
        role=role,
        job_title=job_title,
        started_on=timezone.localdate(),
        # A post in the Lead's own setting.
        setting_id=policy.staff_of(created_by).setting_id,  # type: ignore[union-attr]
    )
    staff.rooms.set(rooms)
    code = accounts.new_enrolment_code(user, created_by)
    log_event(actor=created_by, event=AccountEvent.ENROLMENT_CODE_ISSUED, obj=staff)
    return staff, code


@transaction.atomic
def update_staff(
    *, staff: Staff, by: User, full_name: str, role: str, rooms: Iterable[Room], job_title: str = ""
) -> Staff:
    require(policy.can_manage_staff(by))
    refusal = policy.role_change_refusal(staff, role)
    if refusal:
        raise ValidationError({"role": refusal})
    staff.full_name = full_name
    staff.role = role
    staff.job_title = job_title
    staff.save()
    staff.rooms.set(rooms)
    _admin_entry_follows_posts(staff.user)
    return staff


def _admin_entry_follows_posts(user: User) -> None:
    """The admin screen is for those who are Lead or Deputy in at least one of their settings:
    a role changed in one setting does not take it from someone who is Deputy in another."""
    enters = any(policy.enters_admin(post.role) for post in policy.posts_of(user))
    if user.is_staff != enters and not user.is_superuser:
        user.is_staff = enters
        user.save(update_fields=["is_staff"])


@transaction.atomic
def deactivate_staff(*, staff: Staff, by: User, left_on: date | None = None) -> Staff:
    """A leaver: their post here ends, and every session ends at once. The account itself is
    switched off only when no post is left: someone who also works in another setting of the
    group keeps working there (one setting's Lead cannot lock them out of another)."""
    require(policy.can_manage_staff(by))
    if staff.user_id == getattr(by, "pk", None):
        raise ValidationError("You cannot deactivate your own account.")
    if not staff.active:
        raise ValidationError("This account is already deactivated.")
    staff.active = False
    staff.left_on = left_on or timezone.localdate()
    staff.save(update_fields=["active", "left_on"])
    user = staff.user
    if not policy.posts_of(user).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        _admin_entry_follows_posts(user)
    ended = accounts.end_sessions(user)
    log_event(actor=by, event=Event.STAFF_DEACTIVATED, obj=staff, detail={"sessions_ended": ended})
    return staff


@transaction.atomic
def issue_enrolment_code(*, staff: Staff, by: User) -> str:
    """Reset two-factor: old devices removed, a new one-time enrolment code. Not for someone
    who also works in another setting: their second factor is their whole account's, so the IT
    administrator resets it (``issue_enrolment_code``), not one setting's Lead."""
    require(policy.can_manage_staff(by))
    if policy.posts_of(staff.user).exclude(pk=staff.pk).exists():
        raise ValidationError(
            "They also work in another setting: ask the IT administrator to reset their "
            "two-factor sign-in."
        )
    return accounts.reset_two_factor(staff.user, issued_by=by, obj=staff)


@transaction.atomic
def record_staff_record(
    *,
    staff: Staff,
    by: User,
    kind: str,
    occurred_on: date,
    text: str,
    expires_on: date | None = None,
    reference: str = "",
    update_service: bool = False,
    confidential: bool = False,
) -> StaffRecord:
    lead = policy.staff_of(by)
    require(lead is not None and policy.can_read_staff_records(by))
    not_in_future(occurred_on, "occurred_on", "The date")
    if blank(text):
        raise ValidationError({"text": "Write the record."})
    if expires_on is not None and expires_on <= occurred_on:
        raise ValidationError({"expires_on": "It runs out after the day it was recorded."})
    record = StaffRecord(
        staff=staff,
        kind=kind,
        recorded_by=lead,
        occurred_on=occurred_on,
        text=text,
        expires_on=expires_on,
        reference=reference.strip(),
        update_service=update_service,
        confidential=confidential,
    )
    record.save()
    return record


def record_audit_export(*, by: User, filters: dict[str, str]) -> None:
    """An export of the audit log is itself in the audit log, with the filters it used."""
    require(policy.can_view_audit(by))
    log_event(actor=by, event=AuditEvent.AUDIT_EXPORTED, detail={"filters": filters})


def log_setting_chosen(*, user: User, setting_id: str) -> None:
    """A person with several posts chose where to work: the audit log says where each session
    worked from then on."""
    log_event(actor=user, event=Event.SETTING_CHOSEN, detail={"setting": setting_id})


@transaction.atomic
def add_post(
    *, username: str, setting_name: str, role: str, room_names: Iterable[str] = ()
) -> Staff:
    """A post in a further setting for someone who already works in one (bank staff, a group's
    safeguarding lead), from the console: the IT administrator's, as the account is the
    deployment's. The post is audited in the setting it is in."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(f"There is no active account {username!r}.")
    setting = Setting.objects.filter(name=setting_name).first()
    if setting is None:
        raise ValidationError(f"There is no setting named {setting_name!r}.")
    if role not in Role.values:
        raise ValidationError(f"{role!r} is not a role: choose one of {', '.join(Role.values)}.")
    refusal = policy.role_change_refusal(None, role)
    if refusal:
        raise ValidationError(refusal)
    if policy.has_held_post(user, setting.pk):
        raise ValidationError(f"{username} already holds (or held) a post at {setting.name}.")
    with tenancy.working_in(setting.pk):
        rooms = list(Room.objects.filter(name__in=list(room_names)))
        missing = set(room_names) - {room.name for room in rooms}
        if missing:
            raise ValidationError(f"{setting.name} has no room named {sorted(missing)}.")
        return _give_post(user=user, setting_id=setting.pk, role=role, rooms=rooms, by=None)


def _give_post(
    *,
    user: User,
    setting_id: Any,
    role: str,
    rooms: Iterable[Room],
    by: User | None,
    job_title: str = "",
) -> Staff:
    """A further post for someone who already works in a setting: named as they are there,
    audited in the setting it is in, and their admin entry follows all their posts."""
    elsewhere = policy.posts_of(user).first()
    staff = Staff.objects.create(
        user=user,
        setting_id=setting_id,
        role=role,
        full_name=elsewhere.full_name if elsewhere is not None else user.get_username(),
        job_title=job_title,
        started_on=timezone.localdate(),
    )
    staff.rooms.set(rooms)
    log_event(actor=by, event=Event.POST_ADDED, obj=staff, detail={"role": role})
    _admin_entry_follows_posts(user)
    return staff


@transaction.atomic
def add_post_from_group(
    *, by: User, username: str, role: str, rooms: Iterable[Room], job_title: str = ""
) -> Staff:
    """The Lead gives a post in their setting to someone who works in another setting of the
    group (bank staff): one account, a role here too. Audited in this setting."""
    require(policy.can_add_post_from_group(by))
    refusal = policy.role_change_refusal(None, role)
    if refusal:
        raise ValidationError({"role": refusal})
    colleague = policy.group_colleague(by, username)
    if colleague is None:
        raise ValidationError(
            {"username": "Nobody with that username works in another setting of your group."}
        )
    here = policy.staff_of(by)
    assert here is not None  # can_add_post_from_group said so
    if policy.has_held_post(colleague, here.setting_id):
        raise ValidationError({"username": "They already hold (or held) a post here."})
    return _give_post(
        user=colleague,
        setting_id=here.setting_id,
        role=role,
        rooms=rooms,
        by=by,
        job_title=job_title,
    )
