"""Forms validate input only; consent.services applies the rules and gives the messages for them,
so fields the rules decide on are not required here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q

from core.forms import DateTimeField
from records import policy as records_policy
from records.forms import DATETIME_FORMATS, DateTimeLocalInput, local_now
from records.models import Carer, Child, InformedHow, Level, Staff

from . import policy
from .models import (
    Confidentiality,
    ConsentHow,
    ConsentKind,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    ConsentToShare,
    DecisionKind,
    DiscloserKind,
    LawfulBasis,
    LspProcedures,
    NoConsentReason,
    RecipientKind,
    ReferralOutcome,
    ServiceAgreement,
    SharedHow,
    SharingDecision,
    SubjectConfidentiality,
)
from .selectors import given_consents

BLANK = [("", "Choose…")]
ANSWERS = [
    (SubjectConfidentiality.YES, SubjectConfidentiality.YES.label),
    (SubjectConfidentiality.NO, SubjectConfidentiality.NO.label),
    (SubjectConfidentiality.NOT_ASKED, SubjectConfidentiality.NOT_ASKED.label),
]


def _when(label: str, **kwargs: Any) -> forms.DateTimeField:
    return DateTimeField(
        label=label,
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        error_messages={
            "required": "Give the date and time.",
            "invalid": "Give a date and time, for example 25/11/2026 14:30.",
        },
        **kwargs,
    )


def _text(label: str, rows: int = 3, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": rows}), required=False, **kwargs
    )


def entry_label(entry: Any) -> str:
    return f"{entry.get_category_display()}, {entry.occurred_at:%d/%m/%Y} ({entry.get_level_display().lower()})"


def family_children(user: User, child: Child) -> Any:
    """The child and brothers or sisters on the register that this person may see."""
    return records_policy.visible_children(user).filter(Q(pk=child.pk) | Q(family=child.family_id))


def family_carers(user: User, child: Child) -> Any:
    return (
        policy.visible_carers(user)
        .filter(Q(children=child) | Q(family=child.family_id))
        .distinct()
        .order_by("full_name")
    )


def _drop_empty_choices(form: forms.Form, names: tuple[str, ...]) -> None:
    """A list with nothing to choose from is left out rather than shown as a bare label."""
    for name in names:
        field = form.fields.get(name)
        if field is not None and not field.queryset.exists():  # type: ignore[attr-defined]
            del form.fields[name]


def _people_labels(form: forms.Form) -> None:
    for name in ("discloser_carer", "subject_carers", "other_carers"):
        if name in form.fields:
            form.fields[name].label_from_instance = lambda c: (  # type: ignore[attr-defined]
                f"{c.full_name} ({c.get_relationship_display().lower()})"
            )
    for name in ("subject_children", "other_children"):
        if name in form.fields:
            form.fields[name].label_from_instance = lambda c: c.full_name  # type: ignore[attr-defined]
    if "entries" in form.fields:
        form.fields["entries"].label_from_instance = entry_label  # type: ignore[attr-defined]


# --- disclosures ------------------------------------------------------------------------------


class DisclosureForm(forms.Form):
    discloser_kind = forms.ChoiceField(
        label="Who told us", choices=DiscloserKind.choices, widget=forms.RadioSelect, required=False
    )
    discloser_carer = forms.ModelChoiceField(
        label="Which parent or carer", queryset=Carer.objects.none(), required=False
    )
    discloser_name = forms.CharField(
        label="Their name and role, if not a carer on our records",
        help_text="For example: “the health visitor, A. Example”.",
        max_length=300,
        required=False,
    )
    received_by = forms.ModelChoiceField(
        label="Who they told", queryset=Staff.objects.none(), required=False
    )
    disclosed_at = _when("When they told us", initial=local_now)
    what = _text("What they told us", rows=6)
    subject_children = forms.ModelMultipleChoiceField(
        label="Children it is about",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    subject_carers = forms.ModelMultipleChoiceField(
        label="Adults on our records it is about",
        queryset=Carer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    third_parties = _text(
        "Other people it is about, not on our records",
        help_text="One per line: a name and how they are related (for example: “mother's new partner”).",
    )
    confidentiality = forms.ChoiceField(
        label="Does the person who told us regard it as confidential?",
        choices=Confidentiality.choices,
        initial=Confidentiality.NOT_ASKED,
        widget=forms.RadioSelect,
    )
    subject_confidentiality = forms.ChoiceField(
        label="Do the people it is about regard it as confidential?",
        help_text=(
            "Asked for each person it concerns. Where someone told us about themselves, their own "
            "answer applies. You can answer each person separately later."
        ),
        choices=ANSWERS,
        initial=SubjectConfidentiality.NOT_ASKED,
        widget=forms.RadioSelect,
    )
    entries = forms.ModelMultipleChoiceField(
        label="Record entries it relates to",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    level = forms.TypedChoiceField(
        label="Sensitivity",
        choices=[("", "Sensitive (the usual level), or that of a linked entry")]
        + list(Level.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(
        self, *args: Any, user: User, child: Child, with_entry: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        me = records_policy.staff_of(user)
        carers = family_carers(user, child)
        self.fields["discloser_carer"].queryset = carers  # type: ignore[attr-defined]
        self.fields["subject_carers"].queryset = carers  # type: ignore[attr-defined]
        self.fields["subject_children"].queryset = family_children(user, child)  # type: ignore[attr-defined]
        self.fields["received_by"].queryset = records_policy.staff_working_with_children()  # type: ignore[attr-defined]
        self.fields["received_by"].label_from_instance = lambda s: s.full_name  # type: ignore[attr-defined]
        self.fields["received_by"].initial = me
        self.fields["subject_children"].initial = [child.pk]
        if with_entry:
            # The entry's text says what was told, and its level is the disclosure's.
            for name in ("what", "entries", "level"):
                del self.fields[name]
        else:
            self.fields["entries"].queryset = records_policy.linkable_entries(user, child)  # type: ignore[attr-defined]
        _people_labels(self)
        _drop_empty_choices(self, ("entries", "subject_carers", "discloser_carer"))

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["third_parties"] = (data.get("third_parties") or "").splitlines()
        return data


class ConfidentialityForm(forms.Form):
    """The answers still missing for one disclosure, one question per person."""

    def __init__(self, *args: Any, disclosure: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answers = [("", "Not asked yet")] + [
            (Confidentiality.YES, Confidentiality.YES.label),
            (Confidentiality.NO, Confidentiality.NO.label),
        ]
        self.subject_fields: dict[str, Any] = {}
        if disclosure.confidentiality == Confidentiality.NOT_ASKED:
            self.fields["confidentiality"] = forms.ChoiceField(
                label="The person who told us", choices=answers, required=False
            )
        for subject in disclosure.subjects.all():
            if subject.confidentiality != SubjectConfidentiality.NOT_ASKED:
                continue
            name = f"subject_{subject.pk.hex}"
            person = (
                subject.child.full_name
                if subject.child
                else subject.carer.full_name
                if subject.carer
                else subject.third_party
            )
            self.fields[name] = forms.ChoiceField(
                label=f"About them: {person}", choices=answers, required=False
            )
            self.subject_fields[name] = subject.pk

    def answers(self) -> dict[str, Any]:
        return {
            "confidentiality": self.cleaned_data.get("confidentiality", ""),
            "subjects": {
                pk: self.cleaned_data.get(name, "") for name, pk in self.subject_fields.items()
            },
        }


# --- consent records --------------------------------------------------------------------------


class ConsentForm(forms.Form):
    child = forms.ModelChoiceField(label="For which child", queryset=Child.objects.none())
    kind = forms.ChoiceField(
        label="What this is",
        choices=ConsentKind.choices,
        initial=ConsentKind.SHARE,
        widget=forms.RadioSelect,
        help_text=(
            "Consent to share information is not the same as agreeing to a service: record each "
            "separately."
        ),
    )
    purpose = forms.ChoiceField(
        label="Purpose", choices=BLANK + list(ConsentPurpose.choices), required=False
    )
    purpose_other = forms.CharField(label="Other purpose", max_length=200, required=False)
    status = forms.ChoiceField(
        label="Consent", choices=ConsentStatus.choices, widget=forms.RadioSelect, required=False
    )
    how = forms.ChoiceField(
        label="How", choices=ConsentHow.choices, widget=forms.RadioSelect, required=False
    )
    given_at = _when("When", initial=local_now)
    note = _text("Note (optional)")
    evidence = forms.FileField(
        label="Evidence (PDF, JPEG or PNG, optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, user: User, carer: Carer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        children = records_policy.visible_children(user).filter(carers=carer)
        self.fields["child"].queryset = children  # type: ignore[attr-defined]
        self.fields["child"].label_from_instance = lambda c: c.full_name  # type: ignore[attr-defined]
        if children.count() == 1:
            self.fields["child"].initial = children.first()


# --- sharing decisions ------------------------------------------------------------------------


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="The decision",
        choices=DecisionKind.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="A decision not to share is recorded, and approved, the same way.",
    )
    recipient_kind = forms.ChoiceField(
        label="Who it would go to", choices=BLANK + list(RecipientKind.choices), required=False
    )
    recipient_organisation = forms.CharField(label="Organisation", max_length=300, required=False)
    recipient_person = forms.CharField(label="Person or role", max_length=300, required=False)
    purpose = _text("What it is for")
    entries = forms.ModelMultipleChoiceField(
        label="Record entries to share",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    summary = _text("Summary of the information (instead of, or as well as, entries)", rows=5)
    other_children = forms.ModelMultipleChoiceField(
        label="Other children concerned",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other_carers = forms.ModelMultipleChoiceField(
        label="Adults on our records concerned",
        queryset=Carer.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    other_people = _text("Other people concerned, not on our records", rows=2)
    lawful_basis = forms.ChoiceField(
        label="Lawful basis", choices=BLANK + list(LawfulBasis.choices), required=False
    )
    necessary_and_proportionate = _text("Why it is necessary and proportionate", rows=4)
    consent = forms.ChoiceField(
        label="Consent to share",
        choices=ConsentToShare.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent_record = forms.ModelChoiceField(
        label="The consent relied on (if recorded)",
        queryset=ConsentRecord.objects.none(),
        required=False,
    )
    no_consent_reason = forms.ChoiceField(
        label="Reason consent was not sought, or was overridden",
        choices=[("", "Not applicable")] + list(NoConsentReason.choices),
        required=False,
    )
    no_consent_explanation = _text("The facts of the case that justify it")
    service_agreement = forms.ChoiceField(
        label="Did the family agree to the service?",
        help_text="Agreeing to a service is separate from consent to share information.",
        choices=ServiceAgreement.choices,
        initial=ServiceAgreement.NOT_APPLICABLE,
        required=False,
    )
    lsp_procedures = forms.ChoiceField(
        label="Local Safeguarding Partners procedures",
        choices=LspProcedures.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    advice_from = forms.CharField(label="Whose advice was sought", max_length=300, required=False)
    advice_given = _text("What the advice was")
    level = forms.TypedChoiceField(
        label="Sensitivity",
        help_text=(
            "Usually that of the most sensitive entry chosen; child protection for section 47, "
            "the police and Local Safeguarding Partners referrals. You may raise it, never lower it."
        ),
        choices=[("", "The usual level")] + list(Level.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
    supersedes = forms.ModelChoiceField(
        queryset=SharingDecision.objects.none(), widget=forms.HiddenInput, required=False
    )

    SECTIONS: list[tuple[str, list[str]]] = [
        (
            "The decision",
            ["decision", "recipient_kind", "recipient_organisation", "recipient_person", "purpose"],
        ),
        ("The information", ["entries", "summary", "level"]),
        ("People concerned", ["other_children", "other_carers", "other_people"]),
        (
            "Why, and on what basis",
            [
                "lawful_basis",
                "necessary_and_proportionate",
                "consent",
                "consent_record",
                "no_consent_reason",
                "no_consent_explanation",
                "service_agreement",
                "lsp_procedures",
                "advice_from",
                "advice_given",
            ],
        ),
    ]

    def __init__(self, *args: Any, user: User, child: Child, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entries"].queryset = records_policy.linkable_entries(user, child)  # type: ignore[attr-defined]
        self.fields["other_children"].queryset = family_children(user, child).exclude(pk=child.pk)  # type: ignore[attr-defined]
        self.fields["other_carers"].queryset = family_carers(user, child)  # type: ignore[attr-defined]
        self.fields["consent_record"].queryset = ConsentRecord.objects.filter(  # type: ignore[attr-defined]
            pk__in=[r.pk for r in _given_consents(user, child)]
        )
        self.fields["consent_record"].label_from_instance = lambda r: (  # type: ignore[attr-defined]
            f"{r.carer.full_name}: {r.purpose_other or r.get_purpose_display()} ({r.given_at:%d/%m/%Y})"
        )
        self.fields["supersedes"].queryset = policy.visible_decisions(user).filter(child=child)  # type: ignore[attr-defined]
        _people_labels(self)
        _drop_empty_choices(self, ("entries", "other_children", "other_carers", "consent_record"))

    def sections(self) -> list[tuple[str, list[Any]]]:
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.SECTIONS
        ]


def _given_consents(user: User, child: Child) -> list[ConsentRecord]:
    return given_consents(user, child)


class EmergencyShareForm(DecisionForm):
    emergency_reason = _text("Why the child was at risk and it could not wait", rows=4)
    shared_what = _text("What exactly was shared", rows=4)
    shared_at = _when("When it was shared", initial=local_now)
    shared_how = forms.ChoiceField(
        label="How it was shared", choices=BLANK + list(SharedHow.choices), required=False
    )

    SECTIONS = [
        ("The emergency", ["emergency_reason", "shared_what", "shared_at", "shared_how"]),
        *DecisionForm.SECTIONS,
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("decision", "consent_record", "supersedes"):
            self.fields.pop(name, None)


class SharedForm(forms.Form):
    shared_what = _text("What exactly was shared", rows=4)
    shared_at = _when("When it was shared", initial=local_now)
    shared_how = forms.ChoiceField(
        label="How it was shared", choices=BLANK + list(SharedHow.choices), required=False
    )


class FamilyInformedForm(forms.Form):
    informed_at = _when("When the family was told", initial=local_now)
    how = forms.ChoiceField(label="How", choices=BLANK + list(InformedHow.choices), required=False)


class FamilyNotInformedForm(forms.Form):
    reason = _text("Why telling the family would put the child at risk", rows=4)


class AcknowledgedForm(forms.Form):
    acknowledged_at = _when("When the referral was acknowledged", initial=local_now)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome", choices=BLANK + list(ReferralOutcome.choices), required=False
    )
    outcome_at = _when("When it was received", initial=local_now)
    notes = _text("Notes")


class RationaleForm(forms.Form):
    rationale = _text("Your rationale", rows=6)
