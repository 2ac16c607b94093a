"""The setting, its people and the confidential chronology of each child.

Names are personal data: ``__str__`` of a person gives a reference, never a name, so names stay out
of the audit log's ``object_repr`` and anything else that prints a model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core import integrity, keys, tenancy
from core.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField, Sealed
from core.models import SealedRowModel, UUIDModel

from .owned import SettingOwned


class Level(models.IntegerChoices):
    GENERAL = 1, "General"
    SENSITIVE = 2, "Sensitive"
    CHILD_PROTECTION = 3, "Child protection"


class Setting(UUIDModel):
    """A preschool or nursery: one of the group's settings, or the deployment's only one."""

    name = models.CharField(max_length=200)
    address = models.TextField()
    ico_registration_number = models.CharField("ICO registration number", max_length=20)
    data_protection_contact = models.CharField(max_length=200)
    data_protection_email = models.EmailField(blank=True)
    data_protection_phone = models.CharField(max_length=40, blank=True)
    # The channel the setting chose for urgent safeguarding alerts, beside the Lead's and Deputy's
    # email: an address that reaches someone at once (a phone provider's email-to-text gateway,
    # a shared safeguarding inbox watched all day). Empty: email only.
    urgent_alert_address = models.EmailField(blank=True)
    # Nothing can have happened at the setting before it opened: earlier dates are refused.
    opened_on = models.DateField(null=True, blank=True)
    # When the setting was recorded here: the audit history from before a second setting joined
    # the deployment is the first one's (records.policy.audit_rows_q).
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    group = models.ForeignKey(
        "records.SettingGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settings",
    )

    def __str__(self) -> str:
        return self.name

    @classmethod
    def opened_on_or_none(cls) -> date | None:
        current = cls.current()
        return current.opened_on if current is not None else None

    @classmethod
    def current(cls) -> Setting | None:
        """The setting being worked in (core.tenancy); outside a request, the first by name."""
        working = tenancy.working_setting()
        if working is not None:
            return cls.objects.filter(pk=working).first()
        return cls.objects.order_by("name").first()

    @classmethod
    def current_id(cls) -> UUID | None:
        """The working setting's id; outside a request, the deployment's only setting (None when
        it has none, or several and nobody has said which)."""
        working = tenancy.working_setting()
        if working is not None:
            return working
        ids = list(cls.objects.values_list("pk", flat=True)[:2])
        return ids[0] if len(ids) == 1 else None


class SettingGroup(UUIDModel):
    """A group of settings hosted on one deployment (a nursery group, a federation, a local
    authority). Its group roles see counts across its settings, never record content."""

    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class GroupRoleKind(models.TextChoices):
    PROPRIETOR = "proprietor", "Proprietor"
    GROUP_DSL = "group_dsl", "Group safeguarding lead"


class GroupRole(UUIDModel):
    """A person's role over a whole group: counts across its settings (requests and deadlines,
    decisions waiting, overdue referrals), no record content. Content needs a post in the
    setting, as anyone's does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="group_roles"
    )
    group = models.ForeignKey(SettingGroup, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(max_length=20, choices=GroupRoleKind.choices)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="one_group_role_per_group")
        ]

    def __str__(self) -> str:
        return f"group role {self.pk}"


class Room(SettingOwned, UUIDModel):
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["setting", "name"], name="room_name_in_setting")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    LEAD = "lead", "Lead Practitioner"
    DEPUTY = "deputy", "Deputy Lead Practitioner"
    PRACTITIONER = "practitioner", "Practitioner"
    OFFICE = "office", "Office administrator"
    # The setting's trustees (its committee): they see its governance, never a child's records.
    CHAIR = "chair", "Chair of trustees"
    SAFEGUARDING_TRUSTEE = "safeguarding_trustee", "Safeguarding trustee"
    TRUSTEE = "trustee", "Trustee"


TRUSTEES = (Role.CHAIR, Role.SAFEGUARDING_TRUSTEE, Role.TRUSTEE)


class Staff(SettingOwned, SealedRowModel):
    # Who this is and what their role lets them do, sealed (core.integrity): a role raised in the
    # database grants nothing. Their rooms are sealed apart (``rooms_seal``), as the rooms are rows
    # of their own.
    confide_sealed = ("user_id", "role", "active")
    confide_personal = ("full_name",)

    # A post: a person may hold one in each of several settings (bank staff, a group's
    # safeguarding lead), with a role in each.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices)
    active = models.BooleanField(default=True)
    rooms = models.ManyToManyField(Room, blank=True, related_name="staff")
    job_title = models.CharField(max_length=100, blank=True)
    started_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    rooms_seal = models.CharField(max_length=100, blank=True, default="", editable=False)

    class Meta:
        ordering = ["full_name"]
        verbose_name = "staff member"
        verbose_name_plural = "staff"
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "role"],
                condition=models.Q(role=Role.LEAD, active=True),
                name="one_active_lead",
            ),
            # One chair and one safeguarding trustee at a time: the second handles an allegation
            # against the Lead, so who holds it is never in doubt.
            models.UniqueConstraint(
                fields=["setting", "role"],
                condition=models.Q(role__in=["chair", "safeguarding_trustee"], active=True),
                name="one_active_chair_and_safeguarding_trustee",
            ),
            models.UniqueConstraint(fields=["user", "setting"], name="one_post_per_setting"),
        ]


ROOMS_SEAL = "rooms"


def rooms_seal_parts(room_ids: list[Any]) -> list[tuple[str, Any]]:
    return [(ROOMS_SEAL, [str(pk) for pk in room_ids])]


def _rooms_label() -> str:
    return f"{Staff._meta.label_lower}#{ROOMS_SEAL}"


def rooms_are_sealed(staff: Staff, room_ids: list[Any]) -> bool:
    """Whether these rooms are the ones the member of staff's rooms seal names."""
    return integrity.verify(
        staff.rooms_seal,
        _rooms_label(),
        staff.pk,
        rooms_seal_parts(room_ids),
        setting=staff.setting_id,
    )


def seal_rooms(staff: Staff) -> None:
    """Seal a member of staff's rooms as they now are (on every change, by m2m_changed)."""
    room_ids = list(
        Staff.rooms.through.objects.filter(staff_id=staff.pk).values_list("room_id", flat=True)
    )
    staff.rooms_seal = integrity.seal(
        _rooms_label(), staff.pk, rooms_seal_parts(room_ids), setting=staff.setting_id
    )
    Staff._base_manager.filter(pk=staff.pk).update(rooms_seal=staff.rooms_seal)


class Family(SettingOwned, UUIDModel):
    # Kept in clear here, never in the audit log (audit.log withholds them).
    confide_personal = ("name", "address", "home_language")
    name = models.CharField("family name", max_length=150)
    address = models.TextField(blank=True)
    home_language = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "families"


class Relationship(models.TextChoices):
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step_parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    FOSTER_CARER = "foster_carer", "Foster carer"
    GUARDIAN = "guardian", "Special guardian"
    OTHER = "other", "Other relative or carer"


class Carer(SettingOwned, UUIDModel):
    confide_setting_from = "family"
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("family_id",)
    confide_personal = ("full_name", "phone", "email", "address")

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="carers")
    full_name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    parental_responsibility = models.BooleanField()
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    court_order_restrictions = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["full_name"]


class Child(SettingOwned, UUIDModel):
    confide_setting_from = "room"
    confide_personal = ("first_name", "last_name", "date_of_birth")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    started_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="children")
    key_person = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="key_children"
    )
    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="children")
    carers = models.ManyToManyField(Carer, blank=True, related_name="children")

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "children"
        permissions = [
            ("view_general_child", "Read the child's general entries (need-to-know grant)"),
            ("view_sensitive_child", "Read the child's sensitive entries (need-to-know grant)"),
            ("view_cp_child", "Read the child's child protection entries (need-to-know grant)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("started_on")),
                name="child_leaves_after_starting",
            )
        ]

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_current(self) -> bool:
        """On roll: not left, or leaving on a day still ahead (from the leaving date the child
        has left, as the access policy counts it)."""
        return self.left_on is None or self.left_on > timezone.localdate()


class ChildUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key permission rows for need-to-know grants."""

    content_object = models.ForeignKey(Child, on_delete=models.CASCADE)


class ChildGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Child, on_delete=models.CASCADE)


class Category(models.TextChoices):
    GENERAL = "general", "General progress and well-being"
    ACCIDENT = "accident", "Accident or injury"
    # Seen when the child arrives: kept apart from accidents in the setting.
    EXISTING_INJURY = "existing_injury", "Injury seen on arrival (existing injury)"
    CONCERN = "concern", "Concern"
    FAMILY_CHANGE = "family_change", "Change in family circumstances"
    SENSITIVE_DISCUSSION = "sensitive_discussion", "Sensitive discussion with a parent"
    CHILD_PROTECTION = "child_protection", "Child protection action"
    AGENCY_CORRESPONDENCE = "agency_correspondence", "Correspondence with an external agency"


DEFAULT_LEVEL: dict[str, int] = {
    Category.GENERAL: Level.GENERAL,
    Category.ACCIDENT: Level.GENERAL,
    Category.EXISTING_INJURY: Level.SENSITIVE,
    Category.CONCERN: Level.SENSITIVE,
    Category.FAMILY_CHANGE: Level.SENSITIVE,
    Category.SENSITIVE_DISCUSSION: Level.SENSITIVE,
    Category.AGENCY_CORRESPONDENCE: Level.SENSITIVE,
    Category.CHILD_PROTECTION: Level.CHILD_PROTECTION,
}

# Labels for pages that show many entries: get_FOO_display() hashes the field's choices on every
# call, which adds up over a long chronology.
CATEGORY_LABELS: dict[str, str] = dict(Category.choices)
LEVEL_LABELS: dict[int, str] = dict(Level.choices)

# The policy: parents are told when anything beyond general progress is recorded.
CATEGORIES_PARENTS_ARE_TOLD = frozenset(set(Category) - {Category.GENERAL})


class ParentInformed(models.TextChoices):
    NOT_REQUIRED = "not_required", "Not required (general progress)"
    TO_INFORM = "to_inform", "To inform"
    INFORMED = "informed", "Informed"
    NOT_INFORMED = "not_informed", "Not informed (Lead's decision)"


class InformedHow(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    LETTER = "letter", "By letter"
    EMAIL = "email", "By email"


class RecordEntry(SettingOwned, UUIDModel):
    confide_setting_from = "child"
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "level", "category", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="entries")
    category = models.CharField(max_length=30, choices=Category.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    occurred_at = models.DateTimeField("when it happened")
    recorded_at = models.DateTimeField("when it was recorded", default=timezone.now)
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="entries_written")
    text = EncryptedTextField()
    # Marks on the body map (records.body_map): accidents, injuries and concerns.
    body_map = EncryptedJSONField(default=list, blank=True)
    # Whether it has marks, for the chronology (which shows it without decrypting them).
    has_body_map = models.BooleanField(default=False)
    parent_informed = models.CharField(
        max_length=20, choices=ParentInformed.choices, default=ParentInformed.NOT_REQUIRED
    )
    informed_at = models.DateTimeField(null=True, blank=True)
    informed_how = models.CharField(max_length=20, choices=InformedHow.choices, blank=True)
    informed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    not_informed_reason = EncryptedTextField(blank=True)
    not_informed_decided_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Restricted at a parent's request (Article 18, lifecycle.rights): from then only the Lead
    # reads it; others are told that restricted entries exist, not what they say.
    restricted_at = models.DateTimeField(null=True, blank=True)
    # A significant event: what a child-protection conference's chronology lists.
    significant = models.BooleanField(default=False)
    # An existing injury: what the parent said of it when asked.
    parent_said = EncryptedTextField("what the parent said", blank=True)
    # A placeholder for a child named in an allegation against a member of staff (governance):
    # at child-protection level, saying only that something is held apart, and never shown to
    # the person accused, whatever their role (records.policy.entry_q).
    hidden_from = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-occurred_at", "-recorded_at"]
        verbose_name = "record entry"
        verbose_name_plural = "record entries"
        indexes = [
            models.Index(fields=["child", "level", "occurred_at"]),
            # "Parents to be told": a few rows among a setting's many (DESIGN.md, "Measured at
            # scale").
            models.Index(
                fields=["setting", "occurred_at"],
                condition=models.Q(parent_informed="to_inform"),
                name="records_entry_to_inform",
            ),
        ]

    # Set by records.selectors on the entries of the chronology and the entry page.
    amendment_list: list[Amendment]
    # Set by records.timeline on the entries of the child page's strip.
    local_occurred_at: datetime
    attachment_list: list[Attachment]

    def save(self, *args: Any, **kwargs: Any) -> None:
        marks = self.__dict__.get("body_map")
        if not isinstance(marks, Sealed):  # the marks were set, not only read from the row
            self.has_body_map = bool(marks)
            fields = kwargs.get("update_fields")
            if fields is not None and "body_map" in fields:
                kwargs["update_fields"] = {*fields, "has_body_map"}
        super().save(*args, **kwargs)

    @property
    def is_placeholder(self) -> bool:
        return self.hidden_from_id is not None

    @property
    def category_label(self) -> str:
        """What get_category_display() gives, from a dict made once."""
        return CATEGORY_LABELS.get(self.category, self.category)

    @property
    def level_label(self) -> str:
        """What get_level_display() gives, from a dict made once."""
        return LEVEL_LABELS.get(self.level, str(self.level))


# The child's file: every entry but an allegation's placeholder, which belongs to the allegation
# (governance) and is never counted, dated, linked, restricted, sent or destroyed with the file.
IN_THE_FILE = models.Q(hidden_from__isnull=True)


class FlagKind(models.TextChoices):
    CP_PLAN = "cp_plan", "Child protection plan"
    CHILD_IN_NEED = "cin", "Child in need"
    LOOKED_AFTER = "lac", "Looked-after child"
    EARLY_HELP = "early_help", "Early help"
    SEND = "send", "Special educational needs (SEND)"
    EAL = "eal", "English as an additional language"
    SOCIAL_WORKER = "social_worker", "Social worker"
    PROFESSIONAL = "professional", "Other professional involved"


# Who may know of a flag: those who may read an entry of its level about the child (a
# child-protection plan is at child-protection level; what the child's care needs every day, at
# general level). Fixed by kind, so nobody lowers one by mistake.
FLAG_LEVEL: dict[str, int] = {
    FlagKind.CP_PLAN: Level.CHILD_PROTECTION,
    FlagKind.CHILD_IN_NEED: Level.SENSITIVE,
    FlagKind.LOOKED_AFTER: Level.SENSITIVE,
    FlagKind.EARLY_HELP: Level.SENSITIVE,
    FlagKind.SOCIAL_WORKER: Level.SENSITIVE,
    FlagKind.SEND: Level.GENERAL,
    FlagKind.EAL: Level.GENERAL,
    FlagKind.PROFESSIONAL: Level.GENERAL,
}
FLAG_LABELS: dict[str, str] = dict(FlagKind.choices)


class ChildFlag(SettingOwned, UUIDModel):
    """A fact about the child the whole team (or only those who may know) keeps in mind: a
    child-protection plan, child in need, looked after, early help, SEND (with an EHC plan),
    English as an additional language, a named social worker or another professional. Dated; an
    ended flag is kept, with its end date. Seen by whoever may read an entry of its level about
    the child (records.policy.entry_q applies to it as to an entry)."""

    confide_setting_from = "child"
    confide_access = ("child_id", "level", "kind", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="flags")
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    # For SEND: whether the child has an education, health and care plan.
    ehcp = models.BooleanField("with an EHC plan", default=False)
    # The social worker's or professional's name and how to reach them; the plan's details.
    detail = EncryptedTextField("details", blank=True)
    started_on = models.DateField("from")
    ended_on = models.DateField("until", null=True, blank=True)
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-level", "kind", "-started_on"]
        verbose_name = "flag on the child"
        verbose_name_plural = "flags on children"
        indexes = [models.Index(fields=["child", "ended_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="flag_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"flag {str(self.pk)[:8]}"

    @property
    def label(self) -> str:
        if self.kind == FlagKind.SEND and self.ehcp:
            return "SEND (EHC plan)"
        return FLAG_LABELS.get(self.kind, self.kind)

    def is_current(self, today: date | None = None) -> bool:
        return self.ended_on is None or self.ended_on > (today or timezone.localdate())


class Amendment(UUIDModel):
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("entry_id", "author_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.entry.child_id)

    entry = models.ForeignKey(RecordEntry, on_delete=models.PROTECT, related_name="amendments")
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = EncryptedTextField()
    reason = EncryptedTextField()

    class Meta:
        ordering = ["created_at"]


class Attachment(UUIDModel):
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("entry_id", "uploaded_by_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.entry.child_id)

    entry = models.ForeignKey(RecordEntry, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = EncryptedTextField()
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = EncryptedBinaryField()

    class Meta:
        ordering = ["uploaded_at"]


class LiveQuerySet(models.QuerySet):
    def live(self, at=None):
        at = at or timezone.now()
        return self.filter(starts_at__lte=at, ends_at__gt=at, revoked_at__isnull=True)


class NeedToKnowGrant(SettingOwned, SealedRowModel):
    confide_setting_from = "child"
    # The columns that make it grant access, sealed (core.integrity).
    confide_sealed = ("child_id", "grantee_id", "level", "starts_at", "ends_at", "revoked_at")
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "grantee_id", "level")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="grants")
    grantee = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="grants")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    reason = EncryptedTextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    granted_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = tenancy.ScopedManager.from_queryset(LiveQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "need-to-know grant"

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and self.starts_at <= now < self.ends_at


class ActingLead(SettingOwned, SealedRowModel):
    confide_setting_from = "deputy"
    """The Lead makes the Deputy acting Lead for a stated period."""

    # The columns that make it grant access, sealed (core.integrity).
    confide_sealed = ("deputy_id", "starts_at", "ends_at", "revoked_at")
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("deputy_id",)

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.staff(self.deputy_id)

    deputy = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="acting_periods")
    appointed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = tenancy.ScopedManager.from_queryset(LiveQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "acting Lead appointment"


class BreakGlass(SettingOwned, SealedRowModel):
    confide_setting_from = "child"
    """Emergency access to one child's records when neither Lead nor Deputy can be reached."""

    # The columns that make it grant access, sealed (core.integrity).
    confide_sealed = ("child_id", "staff_id", "starts_at", "ends_at", "revoked_at")
    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("child_id", "staff_id")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.child(self.child_id)

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="break_glass")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="break_glass")
    reason = EncryptedTextField()
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True)

    objects = tenancy.ScopedManager.from_queryset(LiveQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = "break-glass access"
        verbose_name_plural = "break-glass accesses"


class StaffRecordKind(models.TextChoices):
    RECRUITMENT = "recruitment", "Recruitment and safer-recruitment check"
    SUPERVISION = "supervision", "Supervision notes"
    TRAINING = "training", "Training (safeguarding, paediatric first aid...)"
    DBS = "dbs", "DBS check"
    HEALTH = "health", "Health declaration"
    ABSENCE = "absence", "Absence"
    CONCERN = "concern", "Concern"
    CAPABILITY = "capability", "Capability"
    OTHER = "other", "Other"


# What a member of staff reads of their own records (not the Lead's notes marked confidential).
OWN_STAFF_RECORD_KINDS = (StaffRecordKind.SUPERVISION, StaffRecordKind.TRAINING)


class StaffRecord(SettingOwned, UUIDModel):
    confide_setting_from = "staff"
    """Confidential staff records: the Lead only."""

    # The columns that decide who may read this row: its ciphertexts are bound to them.
    confide_access = ("staff_id", "kind")

    def confide_owner(self) -> keys.Owner:
        return keys.Owner.staff(self.staff_id)

    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="confidential_records")
    kind = models.CharField(max_length=20, choices=StaffRecordKind.choices)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    occurred_on = models.DateField()
    text = EncryptedTextField()
    # A check or a certificate that runs out (first aid, right to work, a DBS update check).
    expires_on = models.DateField(null=True, blank=True)
    # A DBS certificate's number (kept on the personnel file after the copy goes, 6 months on),
    # a reference's referee, a qualification's certificate.
    reference = EncryptedTextField(blank=True)
    update_service = models.BooleanField("on the DBS update service", default=False)
    # The Lead's notes marked confidential: the member of staff does not read them.
    confidential = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_on", "-recorded_at"]
        verbose_name = "confidential staff record"


# --- a child leaves, and the setting's calendar ----------------------------------------------


class Destination(models.TextChoices):
    SCHOOL = "school", "A school"
    SETTING = "setting", "Another early-years setting"
    HOME = "home", "Home, or no setting"
    UNKNOWN = "unknown", "Not known"


class LeavingReason(models.TextChoices):
    STARTING_SCHOOL = "starting_school", "Starting school"
    MOVED_AWAY = "moved_away", "The family moved away"
    CHANGED_SETTING = "changed_setting", "Changed setting"
    PARENTS_CHOICE = "parents_choice", "The parents' choice"
    OTHER = "other", "Another reason"


class FileHandOver(models.TextChoices):
    """What became of a leaver's file: the child-protection file, or the general file."""

    TO_DO = "to_do", "Still to do"
    TRANSFERRED = "transferred", "Sent to the next setting or school"
    GIVEN_TO_PARENTS = "given_to_parents", "Given to the parents"
    KEPT = "kept", "Kept here (nowhere to send it)"
    NONE_HELD = "none_held", "Nothing to hand over"


class Leaving(SettingOwned, UUIDModel):
    """A child leaves: when, where to, why, and the Lead's checklist of what becomes of the file
    (records.leaving). The child's ``left_on`` is set from it: from that date (and a grace period)
    only the Lead and Deputy see the child (records.policy.on_roll_q)."""

    confide_setting_from = "child"
    # Free text that may name people: never copied into the audit log.
    confide_personal = ("destination", "checklist_note")

    child = models.OneToOneField(Child, on_delete=models.PROTECT, related_name="leaving")
    left_on = models.DateField()
    destination_kind = models.CharField(max_length=20, choices=Destination.choices)
    destination = models.CharField("Name of the school or setting", max_length=200, blank=True)
    reason = models.CharField(max_length=30, choices=LeavingReason.choices)
    recorded_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    cp_file = models.CharField(
        "The child-protection file",
        max_length=20,
        choices=FileHandOver.choices,
        default=FileHandOver.TO_DO,
    )
    general_file = models.CharField(
        "The general file",
        max_length=20,
        choices=FileHandOver.choices,
        default=FileHandOver.TO_DO,
    )
    checklist_note = models.TextField(blank=True)
    checklist_done_at = models.DateTimeField(null=True, blank=True)
    checklist_done_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"leaving of child {self.child_id}"


class Term(SettingOwned, UUIDModel):
    """A term of the setting's own calendar: the first days of a new term start clocks (a
    child-protection file sent on within the first five days), and termly reviews are counted by
    them."""

    name = models.CharField(max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start"
            ),
            models.UniqueConstraint(fields=["setting", "starts_on"], name="one_term_per_start"),
        ]

    def __str__(self) -> str:
        return self.name


# --- how long records are kept ---------------------------------------------------------------


class RetentionAnchor(models.TextChoices):
    BIRTH = "birth", "The child's date of birth"
    LEAVING = "leaving", "The day the child leaves"
    EMPLOYMENT_END = "employment_end", "The day employment ends"
    MADE = "made", "The day the record was made"
    CLOSED = "closed", "The day the request was closed"


class RetentionRule(models.Model):
    """One line of the retention schedule (records.retention): how long a kind of record is
    kept, from what, and on whose authority. The deployment's, as the law is the same for every
    setting; changed by a migration, or by the Lead with a reason (kept here and audited)."""

    code = models.SlugField(max_length=40, unique=True)
    applies_to = models.CharField(max_length=200)
    anchor = models.CharField(max_length=20, choices=RetentionAnchor.choices)
    years = models.PositiveSmallIntegerField()
    months = models.PositiveSmallIntegerField(default=0)
    source = models.TextField()
    changed_reason = models.TextField(blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.applies_to

    @property
    def period(self) -> str:
        parts = []
        if self.years:
            parts.append(f"{self.years} year{'s' if self.years != 1 else ''}")
        if self.months:
            parts.append(f"{self.months} month{'s' if self.months != 1 else ''}")
        return " ".join(parts) or "no time"


class LegalHold(SettingOwned, UUIDModel):
    """A legal hold (an inquiry, a claim): the records it covers are never offered for destruction
    while it stands. On a child (their whole file), a family (every child of it), a member of
    staff (their personnel file) or a single entry."""

    # Free text that may name people: never copied into the audit log.
    confide_personal = ("reason", "reference", "lift_reason")

    child = models.ForeignKey(
        Child, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    family = models.ForeignKey(
        Family, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    entry = models.ForeignKey(
        RecordEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="holds"
    )
    reason = models.TextField()
    reference = models.CharField(max_length=100, blank=True)
    review_on = models.DateField()
    placed_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        child__isnull=False,
                        family__isnull=True,
                        staff__isnull=True,
                        entry__isnull=True,
                    )
                    | models.Q(
                        child__isnull=True,
                        family__isnull=False,
                        staff__isnull=True,
                        entry__isnull=True,
                    )
                    | models.Q(
                        child__isnull=True,
                        family__isnull=True,
                        staff__isnull=False,
                        entry__isnull=True,
                    )
                    | models.Q(
                        child__isnull=True,
                        family__isnull=True,
                        staff__isnull=True,
                        entry__isnull=False,
                    )
                ),
                name="a_hold_covers_one_thing",
            )
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def standing(self) -> bool:
        return self.lifted_at is None

    @property
    def covers(self) -> str:
        if self.child is not None:
            return f"{self.child.full_name}'s whole file"
        if self.family is not None:
            return f"every child of the {self.family.name} family"
        if self.staff is not None:
            return f"{self.staff.full_name}'s personnel file"
        if self.entry is not None:
            return f"one entry of {self.entry.child.full_name}'s"
        return "nothing"
