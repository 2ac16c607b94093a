from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from core.forms import DateField
from records.forms import DateInput
from records.models import Carer, RecordEntry

from .models import ErasureException, PersonDecision, RightKind, RightsOutcome


class DecideForm(forms.Form):
    """The Lead's approval, or the second person's confirmation: a deliberate tick, never one
    click."""

    checked = forms.BooleanField(
        label="I have checked that these records are past their retention date, and that no "
        "inquiry, claim or request needs them",
        error_messages={"required": "Tick the box to say you have checked these records."},
    )


class CancelForm(forms.Form):
    cancel_reason = forms.CharField(
        label="Why these records are kept for now",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


# --- the child-protection file moves on -------------------------------------------------------


class StartTransferForm(forms.Form):
    receiving_setting = forms.CharField(
        label="The school or setting the child moves to", max_length=200
    )
    dsl_name = forms.CharField(label="Their designated safeguarding lead (name)", max_length=150)
    dsl_email = forms.EmailField(
        label="The safeguarding lead's email address",
        help_text="The one-time link goes here. Check it with the school by phone first.",
    )
    dsl_phone = forms.CharField(
        label="The safeguarding lead's telephone",
        max_length=40,
        required=False,
        help_text="To give the password, and to chase a confirmation.",
    )
    current_plan = forms.CharField(
        label="The current plan (for the cover sheet)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )


class ItemForm(forms.Form):
    included = forms.TypedChoiceField(
        label="Pass this record on",
        choices=[("yes", "Pass it on"), ("no", "Leave it out")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    left_out_reason = forms.CharField(label="Why it is left out", max_length=2000, required=False)


class PersonForm(forms.Form):
    decision = forms.ChoiceField(
        label="This person", choices=PersonDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why the receiving school needs to know who they are",
        max_length=2000,
        required=False,
    )


class CoverForm(forms.Form):
    professionals = forms.CharField(
        label="Professionals involved",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )
    current_plan = forms.CharField(
        label="The current plan",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,
    )


class ReceiptForm(forms.Form):
    received_name = forms.CharField(label="Your name", max_length=150)
    received_role = forms.CharField(label="Your role", max_length=100)
    received_on = DateField(label="The day you received the file", widget=DateInput())


class ConfirmForm(forms.Form):
    """A step that needs a deliberate tick (approving the file, sending it)."""

    checked = forms.BooleanField(
        label="I have reviewed this and it is right to go ahead",
        error_messages={"required": "Tick the box to go ahead."},
    )


# --- a parent's other rights -------------------------------------------------------------------


class RightsRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the parent asks for", choices=RightKind.choices, widget=forms.RadioSelect
    )
    requester = forms.ModelChoiceField(
        label="Who asks", queryset=Carer.objects.none(), empty_label=None
    )
    received_on = DateField(label="The day the request was received", widget=DateInput())
    statement = forms.CharField(
        label="What the parent says, in their words",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )
    entries = forms.ModelMultipleChoiceField(
        label="The entries it is about",
        queryset=RecordEntry.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, child: Any, entries: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        requester: Any = self.fields["requester"]
        requester.queryset = child.carers.all()
        requester.label_from_instance = lambda carer: carer.full_name
        chosen: Any = self.fields["entries"]
        chosen.queryset = entries
        chosen.label_from_instance = lambda e: (
            f"{e.category_label}, {timezone.localtime(e.occurred_at):%d %B %Y}"
        )


class RightsDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="The decision", choices=RightsOutcome.choices, widget=forms.RadioSelect
    )
    exception = forms.ChoiceField(
        label="An erasure refused: the Article 17(3) exception",
        choices=[("", "Not an erasure refused"), *ErasureException.choices],
        required=False,
    )
    reason = forms.CharField(
        label="The reasons (they go in the letter)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    correction = forms.CharField(
        label="A rectification granted: the correction added to each entry",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )


class LetterSentForm(forms.Form):
    sent_on = DateField(label="The day the letter was sent", widget=DateInput())


class TellForm(forms.Form):
    told_on = DateField(label="The day they were told", widget=DateInput())
    how = forms.CharField(label="How they were told", max_length=100)
