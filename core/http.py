"""What every app's thin views share: the typed request, 404 for what a person may not know of,
service ValidationErrors shown on the form that was submitted, and "are you sure?" pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

# Whoever a request is from: the policy answers for anyone, signed in or not.
type AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind ``login_required``: its user is a signed-in ``User``."""

    user: User


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a request that is not typed as one (the admin's, a sign-in step's)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in first.")
    return user


def uuid_or_404(value: Any) -> UUID:
    """A record's id from a URL or a form; anything that is not one is a 404, like an unknown id."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("No such record") from None


def uuid_or_none(value: Any) -> UUID | None:
    """A record's id from a query string or a form, or None for anything that is not one (empty
    included): for a choice the page answers as a mistake, not a 404."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def require(allowed: bool) -> None:
    """In a view: pages for a role someone does not have are not confirmed to exist (404)."""
    if not allowed:
        raise Http404("Not found")


def apply_service(forms: Form | list[Form], action: Callable[[], Any]) -> Any:
    """Run a service and return its result; on a ValidationError return None with the errors put
    on the form (with several forms, on the first that has the field), so it re-displays."""
    forms = forms if isinstance(forms, list) else [forms]
    try:
        return action()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = next((f for f in forms if field in f.fields), None)
                for error in errors:
                    if target is None:
                        forms[0].add_error(None, error)
                    else:
                        target.add_error(field, error)
        else:
            for message in exc.messages:
                forms[0].add_error(None, message)
    except PermissionDenied:
        raise Http404("Not found") from None
    return None


def page_errors(*forms: Form | None) -> list[str]:
    """Every error of the bound forms a page was given back with, for the summary at its top
    (includes/page_errors.html): a refusal is never a page that says nothing, even when the form
    it belongs to is not shown in the request's present state (a second click, say)."""
    found: list[str] = []
    for form in forms:
        if form is None or not form.is_bound or not form.errors:
            continue
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                text = f"{label}: {error}" if label else str(error)
                if text not in found:
                    found.append(text)
    return found


def confirm_first(
    request: HttpRequest,
    *,
    title: str,
    explanation: str,
    button: str,
    back_url: str,
    back_text: str = "No, go back",
) -> HttpResponse | None:
    """For what cannot be undone: the first POST shows a page asking "are you sure?", whose
    button posts again with ``confirm=yes``. Returns that page, or None once confirmed."""
    if request.POST.get("confirm") == "yes":
        return None
    return render(
        request,
        "includes/confirm.html",
        {
            "title": title,
            "explanation": explanation,
            "button": button,
            "back_url": back_url,
            "back_text": back_text,
        },
    )


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    """A PDF to download: never sniffed as something else, never kept by a cache."""
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
