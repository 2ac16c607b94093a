from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DateField, DateTimeField
from records.forms import (
    DATETIME_FORMATS,
    ByNameMultipleChoiceField,
    DateInput,
    DateTimeLocalInput,
)
from records.models import Child, Staff

from .models import (
    AllegationKind,
    AllegationOutcome,
    DbsReferral,
    IcoDecision,
    PeopleTold,
    Risk,
    Suspension,
)


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


# --- allegations against staff -----------------------------------------------------------------


class ColleagueField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} ({obj.get_role_display()})"


class AllegationForm(forms.Form):
    accused = ColleagueField(
        label="Who it is about", queryset=Staff.objects.none(), empty_label="Choose…"
    )
    kind = forms.ChoiceField(
        label="What it is", choices=AllegationKind.choices, widget=forms.RadioSelect
    )
    what_alleged = forms.CharField(
        label="What happened or what was said (in the words you heard or saw, with who was there)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=8000,
    )
    occurred_on = DateField(label="When it happened, if known", widget=DateInput(), required=False)
    serious_harm = forms.BooleanField(
        label="It is an allegation of serious harm or abuse of a child", required=False
    )
    children = ByNameMultipleChoiceField(
        label="Children it names (they get a placeholder that says nothing of this)",
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, colleagues: Any, children: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accused = self.fields["accused"]
        assert isinstance(accused, forms.ModelChoiceField)
        accused.queryset = colleagues
        named = self.fields["children"]
        assert isinstance(named, forms.ModelMultipleChoiceField)
        named.queryset = children


class LadoForm(forms.Form):
    referred_at = DateTimeField(
        label="When it was referred to the LADO",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
    )
    reference = forms.CharField(label="The LADO's reference", max_length=60, required=False)
    advice = forms.CharField(
        label="The LADO's advice", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class StrategyForm(forms.Form):
    outcome = forms.CharField(
        label="What the strategy discussion decided",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    suspension = forms.ChoiceField(
        label="Suspension", choices=Suspension.choices, widget=forms.RadioSelect
    )
    suspension_note = forms.CharField(
        label="If not suspended: what keeps the children safe meanwhile",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class OfstedForm(forms.Form):
    told_at = DateTimeField(
        label="When Ofsted was told", widget=DateTimeLocalInput(), input_formats=DATETIME_FORMATS
    )
    reference = forms.CharField(label="Ofsted's reference", max_length=60, required=False)


class ConcludeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="The outcome", choices=AllegationOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="How it was reached", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    dbs_referral = forms.ChoiceField(
        label="The DBS",
        choices=[("", "Not applicable"), *DbsReferral.choices],
        widget=forms.RadioSelect,
        required=False,
    )
    dbs_referred_at = DateTimeField(
        label="When the DBS referral was made",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        required=False,
    )
    accused_pension_on = DateField(
        label="The member of staff's normal pension age (date), if known: the record is kept until "
        "then when that is later than 10 years from now",
        widget=DateInput(),
        required=False,
    )
