"""Forms validate input only; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.forms import DateField, DateTimeField

from . import body_map, policy
from .models import (
    FLAG_LABELS,
    Category,
    Child,
    Destination,
    Family,
    FileHandOver,
    InformedHow,
    LeavingReason,
    Level,
    RecordEntry,
    Relationship,
    Room,
    Staff,
    StaffRecordKind,
)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class ByNameChoiceField(forms.ModelChoiceField):
    """A choice of a person or a child, each shown by their full name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class ByNameMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Choices of people or children, each shown by their full name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def local_now() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


class ChildSearchForm(forms.Form):
    q = forms.CharField(label="Search by name", required=False, max_length=100)
    leavers = forms.BooleanField(label="Include children who have left", required=False)


class ChildForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    date_of_birth = DateField(widget=DateInput())
    started_on = DateField(label="Start date", widget=DateInput())
    left_on = DateField(label="Leaving date", widget=DateInput(), required=False)
    # Choices are the working setting's: made when the form is, never when the module loads.
    room = forms.ModelChoiceField(queryset=Room.objects.none())
    key_person = forms.ModelChoiceField(queryset=Staff.objects.none(), required=False)
    family = forms.ModelChoiceField(queryset=Family.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.all()  # type: ignore[attr-defined]
        self.fields["key_person"].queryset = policy.staff_working_with_children()  # type: ignore[attr-defined]
        self.fields["family"].queryset = Family.objects.all()  # type: ignore[attr-defined]
        self.fields["key_person"].label_from_instance = lambda s: s.full_name  # type: ignore[attr-defined]
        self.fields["family"].label_from_instance = lambda f: f.name  # type: ignore[attr-defined]


class FamilyForm(forms.Form):
    name = forms.CharField(label="Family name", max_length=150)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    home_language = forms.CharField(max_length=60, required=False)


class ImportFileForm(forms.Form):
    """The register's CSV file, to be checked (records.importing reads it)."""

    file = forms.FileField(
        label="The CSV file",
        help_text="Saved as “CSV UTF-8 (comma delimited)”, at most 1 MB and 2,000 rows.",
    )


class ImportConfirmForm(forms.Form):
    """The file checked on the previous page is named, never sent again."""

    token = forms.CharField(max_length=64, widget=forms.HiddenInput)


class CarerForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    relationship = forms.ChoiceField(choices=Relationship.choices)
    parental_responsibility = forms.TypedChoiceField(
        label="Has parental responsibility",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    court_order_restrictions = forms.CharField(
        label="Court order restrictions (if any)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="For example: not to collect the child; no contact. Kept encrypted.",
    )


class EntryForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices)
    level = forms.TypedChoiceField(
        label="Sensitivity",
        choices=[("", "The usual level for this category")] + list(Level.choices),
        coerce=int,
        empty_value=None,
        required=False,
        help_text="You may raise the level above the usual one for the category, never lower it.",
    )
    occurred_at = DateTimeField(
        label="When it happened",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        initial=local_now,
    )
    text = forms.CharField(label="What happened", widget=forms.Textarea(attrs={"rows": 8}))
    parent_informed_now = forms.BooleanField(
        label="The parent has already been told", required=False
    )
    informed_how = forms.ChoiceField(
        label="How they were told",
        choices=[("", "—")] + list(InformedHow.choices),
        required=False,
    )
    parent_said = forms.CharField(
        label="An injury seen on arrival: what the parent said of it (in their words)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=4000,
    )
    significant = forms.BooleanField(
        label="A significant event (it goes in the chronology for a child-protection conference)",
        required=False,
    )
    serious = forms.BooleanField(
        label="A serious accident, injury or illness, or a death: Ofsted must be told within 14 "
        "days",
        required=False,
    )
    urgent = forms.BooleanField(
        label="Urgent: the Lead must know now (a concern or child protection: also sent by the "
        "setting's urgent channel)",
        required=False,
    )
    attachment = forms.FileField(
        label="Attachment (PDF, JPEG or PNG, optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class BodyMarkForm(forms.Form):
    """One mark on the body map. Tapping the figure fills in where (and the exact point); the
    list of parts does the same from the keyboard, the mark then going in the part's middle."""

    region = forms.ChoiceField(
        label="Where on the body",
        choices=lambda: [("", "Choose a part of the body"), *body_map.region_choices()],
        error_messages={"required": "Choose where on the body it is."},
    )
    note = forms.CharField(
        label="What you saw",
        max_length=body_map.MAX_NOTE,
        help_text="For example: a red mark about 2 cm across.",
        error_messages={"required": "Say what you saw there."},
    )
    x = forms.FloatField(required=False, widget=forms.HiddenInput)
    y = forms.FloatField(required=False, widget=forms.HiddenInput)


class BaseBodyMarkFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # Each row's labels say which mark they are ("__num__" in the template row for scripts).
        number = "__num__" if index is None else str(index + 1)
        form.fields["region"].label = f"Mark {number}: where on the body"
        form.fields["note"].label = f"Mark {number}: what you saw"

    def marks(self) -> list[dict[str, Any]]:
        """The filled-in marks, in order (blank rows are left out)."""
        return [
            {k: form.cleaned_data.get(k) for k in ("region", "note", "x", "y")}
            for form in self.forms
            if form.cleaned_data.get("region")
        ]


BodyMarkFormSet = forms.formset_factory(
    BodyMarkForm,
    formset=BaseBodyMarkFormSet,
    extra=1,
    max_num=body_map.MAX_MARKS,
    validate_max=True,
    absolute_max=body_map.MAX_MARKS + 10,
)


class AmendmentForm(forms.Form):
    text = forms.CharField(label="Correction or addition", widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.CharField(label="Why it is being amended", max_length=500)


class AttachmentForm(forms.Form):
    attachment = forms.FileField(label="File (PDF, JPEG or PNG)")


class InformedForm(forms.Form):
    informed_at = DateTimeField(
        label="When the parent was told",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        initial=local_now,
    )
    how = forms.ChoiceField(label="How", choices=InformedHow.choices)


class NotInformedForm(forms.Form):
    reason = forms.CharField(
        label="Why telling the parent would put the child at risk",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class GrantForm(forms.Form):
    grantee = forms.ModelChoiceField(
        label="Practitioner",
        queryset=Staff.objects.none(),
    )
    level = forms.TypedChoiceField(label="Up to level", choices=Level.choices, coerce=int)
    reason = forms.CharField(
        label="Why they need to know", widget=forms.Textarea(attrs={"rows": 3})
    )
    ends_at = DateTimeField(
        label="Ends",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = policy.possible_grant_holders()  # type: ignore[attr-defined]
        self.fields["grantee"].label_from_instance = lambda s: s.full_name  # type: ignore[attr-defined]


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why the child may be at risk, and why the Lead and Deputy cannot be reached",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReviewForm(forms.Form):
    note = forms.CharField(label="Review note", widget=forms.Textarea(attrs={"rows": 4}))


class StaffForm(forms.Form):
    full_name = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=policy.assignable_roles)
    rooms = forms.ModelMultipleChoiceField(
        queryset=Room.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    job_title = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rooms"].queryset = Room.objects.all()  # type: ignore[attr-defined]


class ChooseSettingForm(forms.Form):
    """Where a person with posts in several settings works now: one of their own posts."""

    setting = forms.ChoiceField(
        label="Settings where you hold a post",
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the settings where you hold a post."},
    )

    def __init__(self, *args: Any, posts: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["setting"]
        field.choices = [  # type: ignore[attr-defined]
            (str(post.setting_id), f"{post.setting.name} — {post.get_role_display()}")
            for post in posts
        ]
        if posts:
            field.initial = str(posts[0].setting_id)


class GroupColleagueForm(forms.Form):
    """Someone who already works in another setting of the group: their username, and their role
    and rooms here."""

    username = forms.CharField(
        max_length=150, help_text="Their username: they sign in as they do now."
    )
    role = forms.ChoiceField(choices=policy.assignable_roles)
    rooms = forms.ModelMultipleChoiceField(
        queryset=Room.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    job_title = forms.CharField(max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rooms"].queryset = Room.objects.all()  # type: ignore[attr-defined]


class NewStaffForm(StaffForm):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        label="Initial password (at least 12 characters)",
        widget=forms.PasswordInput(render_value=False),
        strip=False,
    )

    field_order = ["full_name", "username", "email", "role", "rooms", "job_title", "password"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is already taken.")
        return username


class StaffRecordForm(forms.Form):
    kind = forms.ChoiceField(choices=StaffRecordKind.choices)
    occurred_on = DateField(label="Date", widget=DateInput(), initial=timezone.localdate)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    expires_on = DateField(
        label="Runs out on (training, a check, right to work)",
        widget=DateInput(),
        required=False,
    )
    reference = forms.CharField(
        label="Certificate or reference number", max_length=200, required=False
    )
    update_service = forms.BooleanField(label="On the DBS update service", required=False)
    confidential = forms.BooleanField(
        label="Confidential: the member of staff does not read it (supervision and training "
        "records are theirs to read otherwise)",
        required=False,
    )


class ActingLeadForm(forms.Form):
    deputy = forms.ModelChoiceField(queryset=Staff.objects.none())
    reason = forms.CharField(max_length=500)
    ends_at = DateTimeField(
        label="Until",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deputy"].queryset = policy.possible_acting_leads()  # type: ignore[attr-defined]
        self.fields["deputy"].label_from_instance = lambda s: s.full_name  # type: ignore[attr-defined]


class LeavingForm(forms.Form):
    left_on = DateField(label="Leaving date", widget=DateInput())
    destination_kind = forms.ChoiceField(label="Going to", choices=Destination.choices)
    destination = forms.CharField(
        label="Name of the school or setting", max_length=200, required=False
    )
    reason = forms.ChoiceField(choices=LeavingReason.choices)


class LeavingChecklistForm(forms.Form):
    cp_file = forms.ChoiceField(label="The child-protection file", choices=FileHandOver.choices)
    general_file = forms.ChoiceField(label="The general file", choices=FileHandOver.choices)
    note = forms.CharField(
        label="Note (to whom, how, when)", widget=forms.Textarea, required=False, max_length=2000
    )


class TermForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="For example: Autumn 2026")
    starts_on = DateField(label="First day", widget=DateInput())
    ends_on = DateField(label="Last day", widget=DateInput())


class HoldForm(forms.Form):
    """A legal hold on one child's file, one family's children, or one member of staff's file."""

    child = forms.ModelChoiceField(queryset=Child.objects.none(), required=False)
    family = forms.ModelChoiceField(queryset=Family.objects.none(), required=False)
    staff = forms.ModelChoiceField(
        label="Member of staff", queryset=Staff.objects.none(), required=False
    )
    # One entry (from the entry's page): the Lead may read every entry of the setting.
    entry = forms.ModelChoiceField(
        queryset=RecordEntry.objects.none(), required=False, widget=forms.HiddenInput
    )
    reason = forms.CharField(
        widget=forms.Textarea, max_length=2000, help_text="The inquiry or claim, and why."
    )
    reference = forms.CharField(max_length=100, required=False)
    review_on = DateField(label="Review on", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The working setting's, made when the form is (never when the module loads).
        self.fields["entry"].queryset = RecordEntry.objects.all()  # type: ignore[attr-defined]
        self.fields["child"].queryset = Child.objects.all()  # type: ignore[attr-defined]
        self.fields["family"].queryset = Family.objects.all()  # type: ignore[attr-defined]
        self.fields["staff"].queryset = Staff.objects.all()  # type: ignore[attr-defined]


class LiftHoldForm(forms.Form):
    lift_reason = forms.CharField(label="Why it can be lifted", max_length=2000)


class RuleChangeForm(forms.Form):
    """The Lead changes how long one kind of record is kept, saying why."""

    rule = forms.ChoiceField(label="Which records")
    years = forms.IntegerField(min_value=0, max_value=100)
    months = forms.IntegerField(min_value=0, max_value=11)
    change_reason = forms.CharField(
        label="Why", widget=forms.Textarea, max_length=2000, help_text="Kept beside the line."
    )

    def __init__(self, *args: Any, rules: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(r.code, r.applies_to) for r in rules or []]  # type: ignore[attr-defined]


class FlagForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of flag", choices=())
    ehcp = forms.BooleanField(
        label="With an education, health and care plan (EHCP)",
        required=False,
        help_text="For SEND only.",
    )
    detail = forms.CharField(
        label="Details",
        help_text=(
            "For a social worker or another professional: their name, role and how to reach "
            "them. For a plan: its date and what it asks of the setting."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    started_on = DateField(label="From", widget=DateInput())
    ended_on = DateField(
        label="Until (leave empty while it lasts)", widget=DateInput(), required=False
    )

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose…")] + [(k, FLAG_LABELS[k]) for k in kinds]


class EndFlagForm(forms.Form):
    ended_on = DateField(label="Ended on", widget=DateInput())
