"""Forms validate input only; the services apply the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from core.forms import DateField
from records.forms import DateInput
from records.models import Carer, Child, Staff

from . import policy
from .models import (
    Channel,
    ConsentAnswer,
    Decision,
    DisclosureReason,
    Exemption,
    IdentityMethod,
    MentionDecision,
    RefusalReason,
    RequesterKind,
    SentHow,
    ThirdPartyMention,
)


class RequestForm(forms.Form):
    received_on = DateField(label="Date received", widget=DateInput(), initial=timezone.localdate)
    channel = forms.ChoiceField(label="How it came", choices=Channel.choices)
    requester_kind = forms.ChoiceField(
        label="Who is asking", choices=RequesterKind.choices, widget=forms.RadioSelect
    )
    child = forms.ModelChoiceField(
        label="The child whose records they asked for",
        queryset=Child.objects.none(),
        required=False,
        help_text="Leave empty when they asked only for their own information.",
    )
    requester_carer = forms.ModelChoiceField(
        label="The parent or carer (who asked, or whom a representative acts for)",
        queryset=Carer.objects.none(),
        required=False,
    )
    requester_staff = forms.ModelChoiceField(
        label="The member of staff (who asked, or whom a representative acts for)",
        queryset=Staff.objects.none(),
        required=False,
    )
    requester_name = forms.CharField(
        label="A representative's name and role", max_length=200, required=False
    )
    authority = forms.CharField(
        label="Their authority to act (for example, a signed letter)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    include_siblings = forms.BooleanField(
        label="Include the child's brothers and sisters at the setting", required=False
    )
    include_requester = forms.BooleanField(
        label="Include information about the person asking", required=False, initial=True
    )
    asked_for = forms.CharField(
        label="What they asked for", widget=forms.Textarea(attrs={"rows": 4})
    )
    contact_email = forms.EmailField(label="Email for the response", required=False)
    contact_address = forms.CharField(
        label="Postal address for the response",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        children = policy.children_for_recording(user).order_by("last_name", "first_name")
        child_field: Any = self.fields["child"]
        child_field.queryset = children
        child_field.label_from_instance = lambda c: f"{c.full_name} ({c.room.name})"
        carer_field: Any = self.fields["requester_carer"]
        carer_field.queryset = (
            Carer.objects.filter(children__in=children.values("pk"))
            .distinct()
            .order_by("full_name")
        )
        carer_field.label_from_instance = lambda c: (
            f"{c.full_name} ({c.get_relationship_display()})"
        )
        staff_field: Any = self.fields["requester_staff"]
        staff_field.queryset = Staff.objects.filter(active=True).order_by("full_name")
        staff_field.label_from_instance = lambda s: s.full_name


class AskIdentityForm(forms.Form):
    what = forms.CharField(
        label="What proof of identity you asked for",
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="Photo identification (passport or driving licence) shown to the Lead.",
    )


class IdentityForm(forms.Form):
    method = forms.ChoiceField(label="How identity was checked", choices=IdentityMethod.choices)
    evidence_received_on = DateField(
        label="Date the evidence of identity reached us (the clock starts on this day; leave "
        "empty when they are known to staff)",
        widget=DateInput(),
        required=False,
    )
    confirmed_on = DateField(label="Date checked", widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    parental_responsibility = forms.BooleanField(
        label="I have checked that the requester has parental responsibility for the child",
        required=False,
    )
    court_order_note = forms.CharField(
        label="Any court order, and how it affects this request",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class JoinForm(forms.Form):
    carer = forms.ModelChoiceField(
        label="Parent or carer joining the request", queryset=Carer.objects.none()
    )
    method = forms.ChoiceField(
        label="How their identity was checked", choices=IdentityMethod.choices
    )
    evidence_received_on = DateField(
        label="Date their evidence of identity reached us (empty when known to staff)",
        widget=DateInput(),
        required=False,
    )
    confirmed_on = DateField(label="Date checked", widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, sar: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["carer"]
        if sar is not None:
            field.queryset = (
                Carer.objects.filter(children__in=sar.children.all())
                .exclude(pk__in=sar.carers.values("pk"))
                .distinct()
            )
        field.label_from_instance = lambda c: f"{c.full_name} ({c.get_relationship_display()})"


class AskConsentForm(forms.Form):
    person_key = forms.CharField(widget=forms.HiddenInput)


class ConsentReplyForm(forms.Form):
    answer = forms.ChoiceField(
        label="Their reply",
        choices=[(ConsentAnswer.YES, "They consent"), (ConsentAnswer.NO, "They refuse")],
        widget=forms.RadioSelect,
    )
    replied_on = DateField(
        label="Date of their reply", widget=DateInput(), initial=timezone.localdate
    )
    note = forms.CharField(label="Note", max_length=500, required=False)


class PauseForm(forms.Form):
    asked = forms.CharField(
        label="What you asked them to clarify", widget=forms.Textarea(attrs={"rows": 3})
    )
    started_on = DateField(label="Date asked", widget=DateInput(), initial=timezone.localdate)


class ResumeForm(forms.Form):
    ended_on = DateField(
        label="Date the clarification arrived", widget=DateInput(), initial=timezone.localdate
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label="Why the request is complex or numerous (told to the requester)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefuseForm(forms.Form):
    reason = forms.ChoiceField(choices=RefusalReason.choices, widget=forms.RadioSelect)
    explanation = forms.CharField(
        label="The reasons (told to the requester)", widget=forms.Textarea(attrs={"rows": 4})
    )


class CompileForm(forms.Form):
    other_searches = forms.CharField(
        label="Other places searched (for example the paper file, the office email)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ItemReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[c for c in Decision.choices if c[0] != Decision.PENDING],
        widget=forms.RadioSelect,
    )
    exemption = forms.ChoiceField(
        label="Exemption for withholding the whole item",
        choices=[("", "—")] + list(Exemption.choices),
        required=False,
    )
    exemption_other = forms.CharField(label="The exemption, stated", max_length=300, required=False)
    opinion_from = forms.CharField(
        label="For serious harm: whose opinion it rests on (the social worker or health "
        "professional, and when)",
        max_length=300,
        required=False,
    )
    note = forms.CharField(
        label="Note (why; kept on the internal record)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    silent = forms.BooleanField(
        label="Withhold without saying so: saying it was withheld would itself put the child at risk",
        required=False,
    )


class MentionForm(forms.Form):
    """The decision about one person found in an item (a form per person, prefixed with its id).
    Every field is optional here: the service says what is missing, by the person's name."""

    decision = forms.ChoiceField(
        label="Decision",
        choices=[
            (MentionDecision.DISCLOSE, "Disclose"),
            (MentionDecision.REDACT, "Redact wherever they are named"),
        ],
        widget=forms.RadioSelect,
        required=False,
    )
    reason = forms.ChoiceField(
        label="Why they may be disclosed",
        choices=[("", "—")] + list(DisclosureReason.choices),
        required=False,
    )
    note = forms.CharField(label="Note", max_length=500, required=False)

    def __init__(self, *args: Any, mention: ThirdPartyMention, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mention = mention
        decision = self.fields["decision"]
        reason = self.fields["reason"]
        assert isinstance(decision, forms.ChoiceField) and isinstance(reason, forms.ChoiceField)
        if mention.field:
            decision.choices = [
                (MentionDecision.DISCLOSE, "Disclose the field"),
                (
                    MentionDecision.REDACT,
                    "Replace the field with “Withheld: third-party information”",
                ),
            ]
        if not mention.is_professional:
            reason.choices = [("", "—")] + [
                c for c in DisclosureReason.choices if c[0] != DisclosureReason.PROFESSIONAL_ROLE
            ]

    def has_choice(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("decision"))


def mention_forms(data: Any, mentions: list[ThirdPartyMention]) -> list[MentionForm]:
    return [
        MentionForm(
            data,
            mention=m,
            prefix=f"mention-{m.pk}",
            initial={
                "decision": m.decision if m.decision != MentionDecision.PENDING else None,
                "reason": m.reason,
                "note": m.note,
            },
        )
        for m in mentions
    ]


class PassageForm(forms.Form):
    """One passage to redact. Every field is optional here: a row left empty is no passage, and
    the service says what a half-filled row still needs."""

    passage = forms.CharField(
        label="Passage, copied exactly from the record",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    exemption = forms.ChoiceField(
        label="Exemption for this passage",
        choices=[("", "—")] + list(Exemption.choices),
        required=False,
    )
    exemption_other = forms.CharField(
        label="The exemption, stated (for “Other”)", max_length=300, required=False
    )
    opinion_from = forms.CharField(
        label="For serious harm: whose opinion it rests on", max_length=300, required=False
    )
    note = forms.CharField(
        label="Why the exemption applies to this passage",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    widen = forms.BooleanField(
        label="Widen it to whole words, and over a possessive or a relationship word beside it "
        "(“’s mum”, “her partner”), so nothing left says who it was",
        required=False,
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(str(data.get(name) or "").strip() for name in self.fields if name != "widen")


# Enough rows for the passages already chosen and two more; a longer list grows on each save.
PASSAGE_ROWS_SPARE = 2
PASSAGE_ROWS_MAX = 60


def passage_formset(data: Any = None, *, initial: list[dict[str, str]]) -> Any:
    formset_class = forms.formset_factory(
        PassageForm,
        extra=max(PASSAGE_ROWS_SPARE, 3 - len(initial)),
        max_num=PASSAGE_ROWS_MAX,
        absolute_max=PASSAGE_ROWS_MAX,
        validate_max=True,
    )
    return formset_class(data, initial=initial, prefix="passages")


class CheckForm(forms.Form):
    accept = forms.TypedChoiceField(
        label="Your check",
        choices=[("yes", "The review is right: ready for the Lead"), ("no", "Send it back")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SentForm(forms.Form):
    how = forms.ChoiceField(
        label="How it was sent",
        choices=[c for c in SentHow.choices if c[0] != SentHow.EMAIL_LINK],
        widget=forms.RadioSelect,
    )
