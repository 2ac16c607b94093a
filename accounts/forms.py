"""Sign-in and two-factor forms: they validate input; accounts.signin applies the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest

from .signin import normalise_code, normalise_enrolment_code

SIGN_IN_HELP = (
    "If you have forgotten your password, ask the Lead Practitioner or your IT administrator to "
    "reset it."
)


class SignInForm(AuthenticationForm):
    """Django's form, which authenticates through axes with the request."""

    error_messages = {
        # One message whether or not the username exists, and for a deactivated account too.
        "invalid_login": (
            "The username or password is not right. Check them and try again: both are "
            "case-sensitive. " + SIGN_IN_HELP
        ),
        "inactive": "This account is not active. Ask the Lead Practitioner.",
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


def _code_widget(**attrs: str) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
            "class": "input-code",
            **attrs,
        }
    )


class CodeForm(forms.Form):
    """A code from the authenticator app, or a backup code."""

    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text=(
            "The 6-digit code your authenticator app shows now, or one of your 10-digit backup "
            "codes."
        ),
        widget=_code_widget(inputmode="numeric"),
        error_messages={"required": "Enter the code from your authenticator app."},
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code or len(code) > 16:
            raise forms.ValidationError(
                "Enter the 6-digit code from your authenticator app, or a backup code."
            )
        return code


class SetupCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        max_length=20,
        help_text="The 6-digit code your app shows for Confide after you have scanned the QR code.",
        widget=_code_widget(inputmode="numeric", pattern="[0-9 ]*"),
        error_messages={"required": "Enter the 6-digit code your app shows."},
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError("Enter the 6 digits your app shows, like 123456.")
        return code


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(
        label="Enrolment code",
        max_length=40,
        help_text="The code the Lead Practitioner gave you with your account, like A1B2-C3D4-E5F6.",
        widget=_code_widget(autocapitalize="characters"),
        error_messages={"required": "Enter the enrolment code the Lead Practitioner gave you."},
    )

    def clean_code(self) -> str:
        code = normalise_enrolment_code(self.cleaned_data["code"])
        if len(code) != 14:
            raise forms.ValidationError(
                "Enter the 12 letters and numbers of the code, like A1B2-C3D4-E5F6."
            )
        return code


class ConfirmPasswordForm(AuthenticationForm):
    """The signed-in person's own password again, checked through axes, before a sensitive change."""

    error_messages = {
        "invalid_login": "That password is not right. Enter the password you sign in with.",
        "inactive": "This account is not active.",
    }

    def __init__(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        del self.fields["username"]
        self.fields["password"].label = "Your password"
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def clean(self) -> dict[str, Any]:
        assert self.request is not None
        self.cleaned_data["username"] = self.request.user.get_username()
        return super().clean()
