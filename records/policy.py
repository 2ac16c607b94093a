"""The one access policy: who may see or do what, for every view, list, count, the admin and
(later) the subject-access compiler.

Roles and key-person access are derived from the relationships (role, rooms, key person); explicit
need-to-know grants, acting-Lead periods and break-glass openings are rows whose end time is checked
here on every question, so an expired grant stops working at once without any job running.
Being a Django superuser grants nothing here: content access is decided only by the staff profile.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.events import Event as AccountEvent
from audit.log import HELD_APART
from core import tenancy
from core.http import AnyUser
from core.signals import row_tampered

from .models import (
    FLAG_LEVEL,
    IN_THE_FILE,
    OWN_STAFF_RECORD_KINDS,
    TRUSTEES,
    ActingLead,
    BreakGlass,
    Child,
    ChildFlag,
    GroupRole,
    Level,
    NeedToKnowGrant,
    RecordEntry,
    Role,
    Setting,
    Staff,
    StaffRecord,
    rooms_are_sealed,
)

MANAGERS = (Role.LEAD, Role.DEPUTY)


def posts_of(user: AnyUser) -> QuerySet[Staff]:
    """A person's active posts, in every setting (for choosing where to work after sign-in)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Staff.objects.none()
    return Staff.objects.across_settings().filter(user=user, active=True)


def group_settings(user: AnyUser) -> QuerySet[Setting]:
    """The settings of the groups where the person holds a group role (the proprietor, the
    group's safeguarding lead): they see these settings' counts, and no record content unless
    they also hold a post there, as anyone does."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Setting.objects.none()
    groups = GroupRole.objects.filter(user=user, active=True).values("group_id")
    return Setting.objects.filter(group_id__in=groups).order_by("name")


def can_see_group_counts(user: AnyUser) -> bool:
    return group_settings(user).exists()


def working_setting_of(user: AnyUser) -> Setting | None:
    """The setting the person works in now, for the header."""
    staff = staff_of(user)
    return staff.setting if staff is not None else None


def has_held_post(user: AnyUser, setting_id: object) -> bool:
    """Whether the person holds, or once held, a post in this setting (a post is never made
    twice: a leaver's is kept with its records)."""
    return Staff.objects.across_settings().filter(user=user, setting_id=setting_id).exists()


def staff_of(user: AnyUser) -> Staff | None:
    """The active post of a signed-in user in the setting they work in (core.tenancy), or None
    (anonymous, inactive, IT only, or no post there). Outside a request, a person's only post."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    # Asked many times a request: the post is kept on the user object, which lives as long as
    # the request does.
    cached = vars(user)
    working = tenancy.working_setting()
    key = f"_confide_staff:{working}"
    if key not in cached:
        posts = list(posts_of(user).filter(**({"setting_id": working} if working else {}))[:2])
        found = posts[0] if len(posts) == 1 else None
        # A post whose role was raised (or which was made, or moved to another setting) behind
        # the application's back has a seal that does not verify: it grants nothing, and is
        # audited as tampering.
        cached[key] = found if found is not None and found.is_intact() else None
    staff: Staff | None = cached[key]
    return staff


def role_of(user: AnyUser) -> str | None:
    staff = staff_of(user)
    return staff.role if staff else None


def is_lead(user: AnyUser) -> bool:
    return role_of(user) == Role.LEAD


def is_manager(user: AnyUser) -> bool:
    """Lead or Deputy."""
    return role_of(user) in MANAGERS


def _intact(rows: QuerySet) -> list:
    """The rows of a query that grant access, keeping only those whose seal verifies."""
    return [row for row in rows if row.is_intact()]


def is_acting_lead(user: AnyUser) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role != Role.DEPUTY:
        return False
    cached = vars(staff)
    if "_confide_acting" not in cached:
        cached["_confide_acting"] = bool(_intact(ActingLead.objects.live().filter(deputy=staff)))
    acting: bool = cached["_confide_acting"]
    return acting


def has_lead_approval(user: AnyUser) -> bool:
    """The Lead, or the Deputy while made acting Lead: may approve sharing and disclosures."""
    return is_lead(user) or is_acting_lead(user)


def sees_lead_summary(user: AnyUser) -> bool:
    """The dashboard's summary of the setting's deadlines: the Lead and the Deputy."""
    return is_manager(user)


def is_practitioner(user: AnyUser) -> bool:
    return role_of(user) == Role.PRACTITIONER


def is_trustee(user: AnyUser) -> bool:
    """The chair, the safeguarding trustee or another trustee: the setting's governance, never a
    child's records, a family or an entry."""
    return role_of(user) in TRUSTEES


def is_safeguarding_trustee(user: AnyUser) -> bool:
    return role_of(user) == Role.SAFEGUARDING_TRUSTEE


def is_chair(user: AnyUser) -> bool:
    return role_of(user) == Role.CHAIR


def is_lead_post(staff: Staff) -> bool:
    return staff.role == Role.LEAD


def is_trustee_role(role: str) -> bool:
    return role in TRUSTEES


def role_is_taken(role: str) -> bool:
    """Whether a role held by one person at a time (the Lead, the chair, the safeguarding
    trustee) is held here now."""
    one_at_a_time = (Role.LEAD, Role.CHAIR, Role.SAFEGUARDING_TRUSTEE)
    return role in one_at_a_time and Staff.objects.filter(role=role, active=True).exists()


def is_trustee_post(staff: Staff) -> bool:
    return staff.role in TRUSTEES


def the_safeguarding_trustee() -> Staff | None:
    return Staff.objects.filter(role=Role.SAFEGUARDING_TRUSTEE, active=True).first()


def the_chair() -> Staff | None:
    return Staff.objects.filter(role=Role.CHAIR, active=True).first()


def trustees() -> QuerySet[Staff]:
    return Staff.objects.filter(role__in=TRUSTEES, active=True)


# --- who may hold which place ---------------------------------------------------------------


def managers() -> QuerySet[Staff]:
    """The active Lead and Deputy: told of a break-glass opening, and of what waits for them."""
    return Staff.objects.filter(role__in=MANAGERS, active=True)


def manager_emails(*, with_chair: bool = False) -> list[str]:
    """The addresses of the Lead and the Deputy (a Deputy may be acting Lead), and the chair of
    trustees' when asked, sorted, once each, the empty left out: who is emailed about the
    setting's deadlines and concerns."""
    people = list(managers().select_related("user"))
    chair = the_chair() if with_chair else None
    if chair is not None:
        people.append(chair)
    return sorted({s.user.email for s in people} - {""})


def the_lead() -> Staff | None:
    return Staff.objects.filter(role=Role.LEAD, active=True).first()


def lead_of(setting_id: object) -> Staff | None:
    """A named setting's active Lead (a console command, outside any request)."""
    return (
        Staff.objects.across_settings()
        .filter(setting_id=setting_id, role=Role.LEAD, active=True)
        .first()
    )


def has_a_lead() -> bool:
    return Staff.objects.filter(role=Role.LEAD, active=True).exists()


def enters_admin(role: str) -> bool:
    """The Lead and Deputy enter the admin screen (to judge sharing decisions); nobody else does."""
    return role in MANAGERS


def works_with_children(staff: Staff) -> bool:
    """Active staff other than the office and the trustees: may be a key person, or be told a
    disclosure."""
    return staff.active and staff.role != Role.OFFICE and staff.role not in TRUSTEES


def staff_working_with_children() -> QuerySet[Staff]:
    return Staff.objects.filter(active=True).exclude(role__in=(Role.OFFICE, *TRUSTEES))


def may_hold_grant(staff: Staff) -> bool:
    """Need-to-know grants are for active practitioners (Lead and Deputy see everything)."""
    return staff.active and staff.role == Role.PRACTITIONER


def possible_grant_holders() -> QuerySet[Staff]:
    return Staff.objects.filter(role=Role.PRACTITIONER, active=True)


def may_act_as_lead(staff: Staff) -> bool:
    return staff.active and staff.role == Role.DEPUTY


def possible_acting_leads() -> QuerySet[Staff]:
    return Staff.objects.filter(role=Role.DEPUTY, active=True)


def assignable_roles() -> list[tuple[str, str]]:
    """The roles the Lead may give on the staff pages: there is one Lead, handed over in the
    admin; the trustees are appointed by their board and added in the admin, never by the Lead
    (the safeguarding trustee handles an allegation against the Lead)."""
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.LEAD and value not in TRUSTEES
    ]


def role_change_refusal(staff: Staff | None, role: str) -> str | None:
    """Why this role may not be given to this person (None for a new account), or None."""
    current = staff.role if staff is not None else None
    if role in TRUSTEES or current in TRUSTEES:
        return (
            "The trustees are added by the IT administrator (create_trustee), not on the staff "
            "pages: the safeguarding trustee handles an allegation against the Lead."
        )
    if role == Role.LEAD and current != Role.LEAD:
        return "There is one Lead; hand over the role in the admin."
    if current == Role.LEAD and role != Role.LEAD:
        return "The Lead's own role cannot be changed here."
    return None


def own_work_q(user: AnyUser, *, key_children: bool = True) -> Q:
    """What a person follows up from their dashboard: everything, for the Lead and the Deputy;
    for others, what they wrote (and, with ``key_children``, what concerns their key children).
    Narrows a queryset already filtered to what the person may read."""
    staff = staff_of(user)
    if staff is None or staff.role in MANAGERS:
        return Q()
    q = Q(author=staff)
    if key_children:
        q |= Q(child__key_person=staff)
    return q


# --- children -------------------------------------------------------------------------------


# What grants a person access beyond their role is read once a request (the staff profile lives
# as long as the request does) and used only where its seal verifies (core.integrity).


def _room_ids(staff: Staff) -> list:
    cached = vars(staff)
    if "_confide_rooms" not in cached:
        ids = list(
            staff.rooms.through.objects.filter(staff_id=staff.pk).values_list("room_id", flat=True)
        )
        if ids and not rooms_are_sealed(staff, ids):
            row_tampered.send(
                sender=Staff,
                instance=staff,
                field="rooms_seal",
                message="the rooms do not match their seal: changed outside the application",
            )
            ids = []
        cached["_confide_rooms"] = ids
    rooms: list = cached["_confide_rooms"]
    return rooms


def _live_grants(staff: Staff) -> list[NeedToKnowGrant]:
    cached = vars(staff)
    if "_confide_grants" not in cached:
        cached["_confide_grants"] = _intact(NeedToKnowGrant.objects.live().filter(grantee=staff))
    grants: list[NeedToKnowGrant] = cached["_confide_grants"]
    return grants


def _granted_child_ids(staff: Staff, level: int = Level.GENERAL) -> list:
    return sorted({g.child_id for g in _live_grants(staff) if g.level >= level})


def _break_glass_child_ids(staff: Staff) -> list:
    cached = vars(staff)
    if "_confide_break_glass" not in cached:
        opened = _intact(BreakGlass.objects.live().filter(staff=staff))
        cached["_confide_break_glass"] = sorted({b.child_id for b in opened})
    ids: list = cached["_confide_break_glass"]
    return ids


def on_roll_q(prefix: str = "") -> Q:
    """Children still on roll: not left, or within the leaving grace period (settings,
    CONFIDE_LEAVER_GRACE_DAYS, default none). From then on only the Lead and Deputy see a child
    (DESIGN.md: children who leave) — room staff, the key person, authors, grants and break-glass
    no longer reach them."""
    cutoff = timezone.localdate() - timedelta(days=settings.CONFIDE_LEAVER_GRACE_DAYS)
    return Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": cutoff})


def _involved_q(staff: Staff, prefix: str = "") -> Q:
    """Staff involved in the child's care: key person, or working in the child's room."""
    return Q(**{f"{prefix}key_person": staff}) | Q(**{f"{prefix}room_id__in": _room_ids(staff)})


def visible_children(user: AnyUser) -> QuerySet[Child]:
    """Children whose name and register this user may see (lists, search and counts)."""
    staff = staff_of(user)
    if staff is None:
        return Child.objects.none()
    # Every question is asked in the person's own setting: another setting's children are not
    # there to find, whatever the role.
    here = Child.objects.filter(setting_id=staff.setting_id)
    if staff.role in (Role.LEAD, Role.DEPUTY, Role.OFFICE):
        return here
    if staff.role in TRUSTEES:
        # The trustees govern the setting; no child's name reaches them.
        return Child.objects.none()
    return here.filter(
        _involved_q(staff)
        | Q(id__in=_granted_child_ids(staff))
        | Q(id__in=_break_glass_child_ids(staff))
        | Q(id__in=RecordEntry.objects.filter(author=staff).values("child_id")),
        on_roll_q(),
    )


def can_see_child(user: AnyUser, child: Child) -> bool:
    return visible_children(user).filter(pk=child.pk).exists()


def can_list_children(user: AnyUser) -> bool:
    """The children's list and search: everyone who works with the children or keeps the
    register; not the trustees (and not someone with no post here, who sees an empty list)."""
    return not is_trustee(user)


def can_manage_register(user: AnyUser) -> bool:
    """The register (children's names, dates, rooms, key person): Lead, Deputy and office."""
    return role_of(user) in (Role.LEAD, Role.DEPUTY, Role.OFFICE)


def can_see_contacts(user: AnyUser, child: Child) -> bool:
    """Carers' contact details go with the register (the permission table's second row)."""
    return can_see_child(user, child)


def can_write_entry(user: AnyUser, child: Child) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE or staff.role in TRUSTEES:
        return False
    if staff.role in MANAGERS:
        return True
    on_roll = Child.objects.filter(on_roll_q(), pk=child.pk)
    return on_roll.exists() and (
        child.pk in _break_glass_child_ids(staff) or on_roll.filter(_involved_q(staff)).exists()
    )


def can_break_glass(user: AnyUser, child: Child) -> bool:
    """A practitioner who can see the child may open its records in an emergency."""
    return is_practitioner(user) and can_see_child(user, child)


# --- flags on the child ----------------------------------------------------------------------


def flag_kinds_for(user: AnyUser, child: Child) -> list[str]:
    """The flags this person may add to (or end on) the child's file: the Lead and the Deputy
    any; the child's key person those at general level (SEND, EAL, another professional), which
    the child's everyday care needs."""
    staff = staff_of(user)
    if staff is None or not can_see_child(user, child):
        return []
    if staff.role in MANAGERS:
        return list(FLAG_LEVEL)
    if staff.role == Role.OFFICE or staff.role in TRUSTEES or child.key_person_id != staff.pk:
        return []
    return [kind for kind, level in FLAG_LEVEL.items() if level == Level.GENERAL]


def visible_flags(user: AnyUser, child: Child) -> QuerySet[ChildFlag]:
    """The flags on the child this person may know of: those of a level they may read entries
    of (a child-protection plan is seen by whoever reads child-protection entries, and nobody
    else learns that it exists)."""
    q = entry_q(user)
    if q is None:
        return ChildFlag.objects.none()
    return ChildFlag.objects.filter(q, child=child)


def can_print_chronology(user: AnyUser, child: Child) -> bool:
    """A chronology for a child-protection conference, as a PDF: the Lead and the Deputy, and
    the child's key person (who may be asked to the conference); each prints only what they may
    read."""
    staff = staff_of(user)
    if staff is None or entry_q(user) is None or not can_see_child(user, child):
        return False
    return staff.role in MANAGERS or child.key_person_id == staff.pk


# --- entries --------------------------------------------------------------------------------


def entry_q(user: AnyUser, prefix: str = "") -> Q | None:
    """A filter for the entries this user may read; None when they may read none at all."""
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE or staff.role in TRUSTEES:
        return None
    p = prefix
    here = Q(**{f"{p}setting_id": staff.setting_id})
    if staff.role in MANAGERS:
        return here

    def level_is(level: int) -> Q:
        return Q(**{f"{p}level": level})

    def child_in(ids: list) -> Q:
        return Q(**{f"{p}child_id__in": ids})

    involved = _involved_q(staff, prefix=f"{p}child__")
    key = Q(**{f"{p}child__key_person": staff})
    q = Q(**{f"{p}author": staff}) | (level_is(Level.GENERAL) & involved)
    q |= level_is(Level.SENSITIVE) & key
    for level in Level.values:
        q |= level_is(level) & child_in(_granted_child_ids(staff, level))
    q |= child_in(_break_glass_child_ids(staff))
    return here & q & on_roll_q(f"{p}child__")


def reads_restricted(user: AnyUser) -> bool:
    """Entries restricted at a parent's request (Article 18): the Lead only."""
    return is_lead(user)


def visible_entries(user: AnyUser, child: Child | None = None) -> QuerySet[RecordEntry]:
    q = entry_q(user)
    if q is None:
        return RecordEntry.objects.none()
    if not reads_restricted(user):
        # Restricted at a parent's request (Article 18): the Lead's alone.
        q &= Q(restricted_at__isnull=True)
    staff = staff_of(user)
    # A placeholder for a child named in an allegation against a member of staff is never
    # shown to the person accused, whatever their role (the Lead included).
    q &= ~Q(hidden_from=staff)
    qs = RecordEntry.objects.filter(q)
    if child is not None:
        qs = qs.filter(child=child)
    return qs


def linkable_entries(user: AnyUser, child: Child | None = None) -> QuerySet[RecordEntry]:
    """The entries a person may link to a disclosure, a sharing decision or a parent's request:
    those they may read, but never an allegation's placeholder, which is not part of the child's
    file (records.models.IN_THE_FILE)."""
    return visible_entries(user, child).filter(IN_THE_FILE)


def can_read_entry(user: AnyUser, entry: RecordEntry) -> bool:
    return visible_entries(user).filter(pk=entry.pk).exists()


def can_amend_entry(user: AnyUser, entry: RecordEntry) -> bool:
    staff = staff_of(user)
    if staff is None or staff.role == Role.OFFICE or staff.role in TRUSTEES:
        return False
    if entry.is_placeholder:
        # A placeholder says nothing to amend: the allegation is kept apart.
        return False
    if staff.role in MANAGERS:
        return True
    return (
        entry.author_id == staff.pk
        and Child.objects.filter(on_roll_q(), pk=entry.child_id).exists()
    )


def can_mark_informed(user: AnyUser, entry: RecordEntry) -> bool:
    """Whoever may read an entry may record that the parent was told of it."""
    return can_read_entry(user, entry) and role_of(user) != Role.OFFICE


def can_decide_not_to_inform(user: AnyUser) -> bool:
    """Only the Lead (or acting Lead) decides a parent is not told, because it would put the child
    at risk."""
    return has_lead_approval(user)


# --- grants, staff, audit --------------------------------------------------------------------


def can_record_leaving(user: AnyUser) -> bool:
    """A child leaves, and what becomes of their file: the Lead and the Deputy."""
    return is_manager(user)


def can_manage_holds(user: AnyUser) -> bool:
    """Legal holds, and reading the retention schedule: the Lead."""
    return is_lead(user)


def can_manage_terms(user: AnyUser) -> bool:
    """The setting's term dates: the Lead and the Deputy."""
    return is_manager(user)


def can_manage_grants(user: AnyUser) -> bool:
    return is_manager(user)


def can_review_break_glass(user: AnyUser) -> bool:
    return is_manager(user)


def can_manage_staff(user: AnyUser) -> bool:
    return is_lead(user)


def can_add_post_from_group(user: AnyUser) -> bool:
    """The Lead of a setting in a group may give a post to someone who works in another of the
    group's settings (bank staff)."""
    staff = staff_of(user)
    return is_lead(user) and staff is not None and staff.setting.group_id is not None


def group_colleague(user: AnyUser, username: str) -> User | None:
    """The account of someone with an active post in another setting of the Lead's group, by
    username (None for anyone else, whether or not the account exists: nothing outside the
    group is revealed)."""
    staff = staff_of(user)
    if staff is None or not can_add_post_from_group(user):
        return None
    posts = (
        Staff.objects.across_settings()
        .filter(
            user__username__iexact=username,
            user__is_active=True,
            active=True,
            setting__group_id=staff.setting.group_id,
        )
        .exclude(setting_id=staff.setting_id)
        .select_related("user")
    )
    found = [post for post in posts if post.is_intact()]
    return found[0].user if found else None


def staff_the_lead_manages() -> QuerySet[Staff]:
    """The posts on the Lead's staff pages: everyone but the trustees, whose accounts the Lead
    does not hold (they are added in the admin)."""
    return Staff.objects.exclude(role__in=TRUSTEES)


def can_appoint_acting_lead(user: AnyUser) -> bool:
    """The Lead; and the safeguarding trustee, who appoints an acting Lead while the Lead is
    away or accused."""
    return is_lead(user) or is_safeguarding_trustee(user)


def can_read_staff_records(user: AnyUser) -> bool:
    return is_lead(user)


def visible_staff_records(user: AnyUser) -> QuerySet[StaffRecord]:
    staff = staff_of(user)
    if staff is None or not can_read_staff_records(user):
        return StaffRecord.objects.none()
    return StaffRecord.objects.filter(setting_id=staff.setting_id)


def has_own_staff_records(user: AnyUser) -> bool:
    """Everyone employed here reads their own supervision and training; the trustees are not
    employed, and have none."""
    return staff_of(user) is not None and not is_trustee(user)


def own_staff_records(user: AnyUser) -> QuerySet[StaffRecord]:
    """A member of staff's own supervision and training records, not the Lead's notes marked
    confidential."""
    staff = staff_of(user)
    if staff is None:
        return StaffRecord.objects.none()
    return StaffRecord.objects.filter(
        staff=staff, kind__in=OWN_STAFF_RECORD_KINDS, confidential=False
    )


def can_view_audit(user: AnyUser) -> bool:
    return is_manager(user)


# Events of a person's account (signing in, two factors), written before a setting is chosen.
ACCOUNT_EVENTS = tuple(str(e) for e in AccountEvent) + ("setting_chosen",)


def audit_rows_q(user: AnyUser) -> Q:
    """The audit events of the person's own setting:
    - those written while it was worked in (stamped with it);
    - account events (sign-ins, two factors) of people who work here, by them or about them;
    - the history from before a second setting joined the deployment, for the first setting.
    Anything else written outside a setting (a console command, an unknown username) is the
    deployment's, read with ``verify_audit``, not on a setting's pages — except on a deployment
    of one setting, where everything is its own."""
    branches = list(audit_rows_branches(user).values())
    if not branches:
        return Q(pk__in=[])
    either = branches[0]
    for branch in branches[1:]:
        either |= branch
    return either & not_held_apart_q()


# The parts of a setting's audit log (audit_rows_branches).
STAMPED, ACCOUNTS, HISTORY = "stamped", "accounts", "history"


def audit_rows_branches(user: AnyUser) -> dict[str, Q]:
    """audit_rows_q's parts, apart and named (none for someone with no post): a page of the log,
    newest first, reads each by an index of its own and merges them (records.audit_page), where
    their union walked the whole log's newest rows past every other setting's. ``ACCOUNTS`` holds
    only ACCOUNT_EVENTS."""
    staff = staff_of(user)
    if staff is None:
        return {}
    here = staff.setting_id
    untagged = Q(additional_data__setting__isnull=True)
    stamped = Q(additional_data__setting=str(here))
    settings_ = list(Setting.objects.order_by("created_at", "name").values_list("pk", "created_at"))
    if len(settings_) == 1:
        return {STAMPED: stamped | untagged}  # nearly every row: read at once
    people = list(
        Staff.objects.across_settings().filter(setting_id=here).values_list("user_id", flat=True)
    )
    account = untagged & Q(additional_data__event__in=ACCOUNT_EVENTS)
    branches = {
        STAMPED: stamped,
        ACCOUNTS: account
        & (
            Q(actor_id__in=people)
            | Q(
                content_type__app_label="auth",
                content_type__model="user",
                object_pk__in=[str(pk) for pk in people],
            )
        ),
    }
    (founder, _), (_, joined) = settings_[0], settings_[1]
    if here == founder:
        before_the_group = untagged & Q(timestamp__lt=joined)
        branches[HISTORY] = before_the_group & ~Q(additional_data__event__in=ACCOUNT_EVENTS)
    return branches


def not_held_apart_q() -> Q:
    """Events held apart (an allegation against a member of staff, its placeholders) are on no
    audit page: their handler reads them on the allegation's own page."""
    return Q(additional_data__isnull=True) | ~Q(additional_data__has_key=HELD_APART)


def can_see_staff_record_reads(user: AnyUser) -> bool:
    """Reads of confidential staff records appear on the audit pages for the Lead only."""
    return is_lead(user)


# --- which reads are audited -------------------------------------------------------------------

# Every read of a sensitive or child-protection item is written to the audit log (DESIGN.md, rule
# 8); general progress is not, or every page of the register would be.
AUDITED_FROM_LEVEL = Level.SENSITIVE


def read_is_audited(level: int) -> bool:
    return level >= AUDITED_FROM_LEVEL
