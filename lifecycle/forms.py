from __future__ import annotations

from django import forms


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
