from __future__ import annotations

from typing import Any

from django import forms

from core.forms import DateField, DateTimeField
from records.forms import DATETIME_FORMATS, ByNameChoiceField, DateInput, DateTimeLocalInput
from records.models import Staff

from .models import NextStep


class AcknowledgeForm(forms.Form):
    next_step = forms.ChoiceField(
        label="The next step", choices=NextStep.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label="Why (needed for no further action), or what happens next",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
    )


class ActionForm(forms.Form):
    what = forms.CharField(
        label="What is to be done", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    assignee = ByNameChoiceField(
        label="Who does it", queryset=Staff.objects.none(), empty_label="Choose…"
    )
    due_on = DateField(label="Due by", widget=DateInput())

    def __init__(self, *args: Any, assignees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = assignees


class CompleteForm(forms.Form):
    note = forms.CharField(
        label="What was done", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class OfstedNoticeForm(forms.Form):
    ofsted_told_at = DateTimeField(
        label="When Ofsted was told",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        required=False,
    )
    ofsted_reference = forms.CharField(label="Ofsted's reference", max_length=60, required=False)
    agencies_apply = forms.ChoiceField(
        label="Must the local child protection agencies be told too?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect,
        required=False,
    )
    agencies_told_at = DateTimeField(
        label="When the agencies were told",
        widget=DateTimeLocalInput(),
        input_formats=DATETIME_FORMATS,
        required=False,
    )


class PeriodForm(forms.Form):
    """The period of a report: an academic year (term by term) or one of its terms. The choices
    are the setting's own (safeguarding.reports.calendar)."""

    period = forms.ChoiceField(label="Period")

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["period"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
