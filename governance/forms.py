from __future__ import annotations

from django import forms

from core.forms import DateField, DateTimeField
from records.forms import DATETIME_FORMATS, DateInput, DateTimeLocalInput

from .models import IcoDecision, PeopleTold, Risk


class ReportForm(forms.Form):
    aware_at = DateTimeField(
        label="When the setting became aware of it",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
    )
    what_happened = forms.CharField(
        label="What happened (what was lost, sent or seen, and how)",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
    )


class AssessForm(forms.Form):
    data_affected = forms.CharField(
        label="What data it touched", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    people_affected = forms.IntegerField(
        label="How many people", min_value=0, max_value=100000, required=False
    )
    risk = forms.ChoiceField(label="The risk", choices=Risk.choices, widget=forms.RadioSelect)
    risk_reasoning = forms.CharField(
        label="Why you judge the risk so",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="The ICO", choices=IcoDecision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="The reasons", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    ico_reported_at = DateTimeField(
        label="When it was reported to the ICO",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        required=False,
    )
    ico_reference = forms.CharField(label="The ICO's reference", max_length=60, required=False)


class PeopleToldForm(forms.Form):
    told = forms.ChoiceField(
        label="The people affected", choices=PeopleTold.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="When and how they were told, or why they need not be",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class CloseForm(forms.Form):
    actions = forms.CharField(
        label="What was done, so it does not happen again",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )


class PolicyForm(forms.Form):
    number = forms.CharField(label="Number", max_length=20)
    title = forms.CharField(label="Title", max_length=200)
    review_every_months = forms.IntegerField(
        label="Reviewed every (months)", min_value=1, max_value=60, initial=24
    )
    text = forms.CharField(
        label="The text as adopted", widget=forms.Textarea(attrs={"rows": 8}), max_length=100000
    )
    adopted_on = DateField(label="Adopted on", widget=DateInput())
    approved_by = forms.CharField(label="Approved by (for the trustees)", max_length=200)
    review_due_on = DateField(
        label="Next review due (leave empty to count it from the adoption)",
        widget=DateInput(),
        required=False,
    )


class PolicyReviewForm(forms.Form):
    text = forms.CharField(
        label="The text as now adopted (unchanged, or as changed)",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=100000,
    )
    adopted_on = DateField(label="Adopted on", widget=DateInput())
    approved_by = forms.CharField(label="Approved by (for the trustees)", max_length=200)
    note = forms.CharField(label="What changed", max_length=2000, required=False)
    review_due_on = DateField(
        label="Next review due (leave empty to count it from the adoption)",
        widget=DateInput(),
        required=False,
    )


class AccessReviewForm(forms.Form):
    confirmed = forms.BooleanField(
        label="I have checked every line, and ended what is no longer needed",
        error_messages={"required": "Tick the box to confirm the review."},
    )
    note = forms.CharField(label="Note (optional)", max_length=2000, required=False)
