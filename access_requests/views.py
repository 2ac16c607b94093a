"""Thin views: fetch through a selector, validate with a form, call a service, say what happened.

Every page but the recording form and the public link is for the Lead and Deputy only; anyone
else gets a 404. The public link page (``sar_link``) needs no sign-in: its download is a POST, so
a mail scanner that opens the link cannot use it up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from audit.log import log_event
from core.http import (
    AuthenticatedHttpRequest,
    apply_service,
    confirm_first,
    page_errors,
    pdf_response,
    require,
)
from records.models import Level

from . import policy, selectors, services
from .events import Event
from .forms import (
    AskConsentForm,
    AskIdentityForm,
    CheckForm,
    CompileForm,
    ConsentReplyForm,
    ExtendForm,
    IdentityForm,
    ItemReviewForm,
    JoinForm,
    MentionForm,
    PauseForm,
    RefuseForm,
    RequestForm,
    ResumeForm,
    SentForm,
    mention_forms,
    passage_formset,
)
from .models import (
    CHILD_PROTECTION_EXEMPTIONS,
    Decision,
    Exemption,
    RenderState,
    Status,
    SubjectAccessRequest,
)

# The list's views: every request, or the open ones by the time they have left (as the Lead's
# summary counts them, whose links come here).
LIST_VIEWS = {
    "": "All",
    "open": "Open",
    "soon": f"Due within {selectors.DUE_SOON_DAYS} days",
    "overdue": "Overdue",
}


@login_required
def sar_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_handle_requests(request.user))
    child_id = request.GET.get("child") or None
    show = request.GET.get("show", "")
    if show not in LIST_VIEWS:
        show = ""
    requests: Any
    if show:
        time = "" if show == "open" else show
        requests = selectors.open_requests_with_time_left(request.user, time)
    else:
        requests = selectors.requests_for_list(request.user, child_id=child_id)[:200]
    return render(
        request,
        "access_requests/list.html",
        {
            "requests": requests,
            "child_id": child_id,
            "show": show,
            "show_label": LIST_VIEWS[show],
            "views": [
                (key, label, f"?show={key}" if key else "?") for key, label in LIST_VIEWS.items()
            ],
        },
    )


@login_required
def sar_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    require(policy.can_record_request(user))
    initial = {}
    if request.GET.get("child"):
        initial["child"] = request.GET["child"]
    form = RequestForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sar = apply_service(form, lambda: services.record_request(by=user, request=request, **data))
        if sar is not None:
            recorded = (
                f"The request was recorded as {sar.reference}, received {sar.received_on:%d/%m/%Y}."
            )
            if policy.waits_for_a_trustee(sar):
                who = "Its clock is running; the Lead's own records wait for the safeguarding trustee."
            elif policy.is_staff_request(sar):
                who = "A member of staff's records are handled by the Lead alone."
            else:
                who = "It is on the Lead's and the Deputy's lists."
            messages.success(request, f"{recorded} {who}")
            if policy.can_handle_request(user, sar):
                return redirect("access_requests:detail", request_id=sar.pk)
            return redirect("home:dashboard")
    return render(
        request, "access_requests/new.html", {"form": form}, status=400 if form.errors else 200
    )


FORMS: dict[str, type[Form]] = {
    "ask_identity_form": AskIdentityForm,
    "identity_form": IdentityForm,
    "pause_form": PauseForm,
    "resume_form": ResumeForm,
    "extend_form": ExtendForm,
    "refuse_form": RefuseForm,
    "compile_form": CompileForm,
    "check_form": CheckForm,
    "sent_form": SentForm,
    "join_form": JoinForm,
    "ask_consent_form": AskConsentForm,
}


def _form(name: str, data: Any, sar: SubjectAccessRequest) -> Form:
    """A form of the request page, bound to ``data``; a form that offers the request's own
    people (who may join it) is made for this request."""
    if name == "join_form":
        return JoinForm(data, sar=sar)
    return FORMS[name](data)


def _detail_page(
    request: AuthenticatedHttpRequest,
    sar: SubjectAccessRequest,
    *,
    reply_form: Form | None = None,
    reply_to: Any = None,
    **bound: Form,
) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {name: _form(name, None, sar) for name in FORMS}
    context.update(bound)
    rendering = services.current_rendering(sar)
    context.update(
        {
            "sar": sar,
            "counts": selectors.item_counts(sar),
            "searches": selectors.searches_note_for(sar),
            "professionals_waiting": selectors.professionals_waiting(sar),
            "general_unflagged": selectors.unflagged_general_count(sar),
            "third_party_decisions": selectors.third_party_decisions(sar),
            "people_found": selectors.people_found(sar),
            "reply_form": reply_form or ConsentReplyForm(),
            "reply_to": reply_to,
            "items": selectors.items_for_review(sar) if sar.compiled_at else [],
            "withheld": selectors.withheld_record(sar) if sar.compiled_at else [],
            "letters": selectors.letters_of(sar),
            "releases": selectors.releases_of(sar),
            "links": selectors.links_of(sar),
            "render_state": services.effective_render_state(sar),
            "rendering": rendering,
            "can_approve": policy.can_approve(user),
            "Status": Status,
            "RenderState": RenderState,
            "due_on": sar.due_on(),
            "days_left": sar.days_left(),
        }
    )
    invalid = bool(bound) or (reply_form is not None and bool(reply_form.errors))
    context["page_errors"] = page_errors(reply_form, *bound.values())
    return render(request, "access_requests/detail.html", context, status=400 if invalid else 200)


@login_required
def sar_detail(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    sar = selectors.get_request_for_user(request.user, request_id, request=request)
    return _detail_page(request, sar)


def _action(
    form_name: str | None,
    done_message: str,
    run: Callable[[AuthenticatedHttpRequest, Any, dict[str, Any]], Any],
    allowed: Callable[[User], bool] = policy.can_handle_requests,
) -> Callable[..., HttpResponse]:
    """A POST on a request: validate the form (if any), call the service, redirect; on an error,
    show the request's page again with the form's errors."""

    @login_required
    @require_POST
    def view(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
        sar = selectors.get_request_for_user(request.user, request_id, request=request)
        require(allowed(request.user))
        if form_name is None:
            try:
                run(request, sar, {})
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("access_requests:detail", request_id=sar.pk)
            except PermissionDenied:
                raise Http404("Not found") from None
            messages.success(request, done_message)
            return redirect("access_requests:detail", request_id=sar.pk)
        form = _form(form_name, request.POST, sar)
        if form.is_valid():
            data = form.cleaned_data
            result = apply_service(form, lambda: run(request, sar, data) or True)
            if result is not None:
                messages.success(request, done_message)
                return redirect("access_requests:detail", request_id=sar.pk)
        sar.refresh_from_db()
        return _detail_page(request, sar, **{form_name: form})

    return view


sar_ask_identity = _action(
    "ask_identity_form",
    "Recorded that proof of identity was asked for; the letter is below.",
    lambda r, sar, d: services.ask_for_identity(sar=sar, by=r.user, what=d["what"]),
)
sar_identity = _action(
    "identity_form",
    "Identity confirmed: the clock has started.",
    lambda r, sar, d: services.confirm_identity(sar=sar, by=r.user, **d),
)
sar_join = _action(
    "join_form",
    "They joined the request: what we hold about them is now theirs to receive too.",
    lambda r, sar, d: services.add_joint_requester(sar=sar, by=r.user, **d),
)
sar_ask_consent = _action(
    "ask_consent_form",
    "The letter asking for their consent is below: send it, then record their reply.",
    lambda r, sar, d: services.ask_third_party_consent(sar=sar, by=r.user, **d),
)
sar_pause = _action(
    "pause_form",
    "The clock is paused until the clarification arrives; the letter is below.",
    lambda r, sar, d: services.pause_for_clarification(sar=sar, by=r.user, **d),
)
sar_resume = _action(
    "resume_form",
    "The clock is running again.",
    lambda r, sar, d: services.resume_after_clarification(sar=sar, by=r.user, **d),
)
sar_extend = _action(
    "extend_form",
    "The deadline was extended; send the requester the letter below.",
    lambda r, sar, d: services.extend_deadline(sar=sar, by=r.user, reason=d["reason"]),
)
sar_refuse = _action(
    "refuse_form",
    "The request was refused; send the requester the letter below.",
    lambda r, sar, d: services.refuse_request(sar=sar, by=r.user, **d),
    allowed=policy.can_approve,
)
sar_compile = _action(
    "compile_form",
    "The bundle was compiled: review every item.",
    lambda r, sar, d: services.compile_bundle(sar=sar, by=r.user, **d),
)
sar_disclose_professionals = _action(
    None,
    "Every member of staff and professional found was disclosed, named in their professional "
    "role; redact any of them from its item if their role is not why they are named.",
    lambda r, sar, d: services.disclose_staff_in_their_role(sar=sar, by=r.user),
)
sar_submit = _action(
    None,
    "The review is ready for a second person to check.",
    lambda r, sar, d: services.submit_for_check(sar=sar, by=r.user),
)
sar_check = _action(
    "check_form",
    "Your check was recorded.",
    lambda r, sar, d: services.check_bundle(sar=sar, by=r.user, **d),
)
sar_render = _action(
    None,
    "The PDF is being made. This page shows its progress.",
    lambda r, sar, d: services.start_render(sar=sar, by=r.user),
)
sar_approve = _action(
    None,
    "Approved. Release a password-protected copy to send it.",
    lambda r, sar, d: services.approve_bundle(sar=sar, by=r.user),
    allowed=policy.can_approve,
)
sar_mark_sent = _action(
    "sent_form",
    "Recorded as sent.",
    lambda r, sar, d: services.mark_sent(sar=sar, by=r.user, how=d["how"]),
)
sar_close = _action(
    None,
    "The request is closed.",
    lambda r, sar, d: services.close_request(sar=sar, by=r.user),
)


def _show_review_errors(
    exc: ValidationError, form: Form, rows: list[Form], people: list[MentionForm]
) -> None:
    """A service error on the form that was submitted: ``passages.<n>.<field>`` on the n-th
    passage given (``rows``), ``mentions.<id>.<field>`` on that person's form, everything else
    on the item's form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    by_mention = {str(f.mention.pk): f for f in people}
    for key, errors in exc.error_dict.items():
        for error in errors:
            if key.startswith("passages."):
                _, n, field = key.split(".")
                if int(n) < len(rows):
                    rows[int(n)].add_error(field, error)
                    continue
            elif key.startswith("mentions."):
                _, mention_id, field = key.split(".")
                if mention_id in by_mention:
                    by_mention[mention_id].add_error(field, error)
                    continue
            if key in form.fields:
                form.add_error(key, error)
            else:
                form.add_error(None, error)


@login_required
@require_POST
def sar_disclose_general(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    """Every general entry in which nobody else was found, disclosed in one step, once the
    reviewer has seen how many."""
    sar = selectors.get_request_for_user(request.user, request_id, request=request)
    require(policy.can_handle_request(request.user, sar))
    count = selectors.unflagged_general_count(sar)
    asking = confirm_first(
        request,
        title=f"Disclose {count} general entr{'y' if count == 1 else 'ies'} at once?",
        explanation=(
            f"{count} entr{'y is' if count == 1 else 'ies are'} at the general level, still to "
            "decide, with nobody else found in them and nothing to read first. Each will be "
            "disclosed in full. Flagged, sensitive and child-protection items are not included: "
            "you decide those one by one."
        ),
        button=f"Disclose the {count}",
        back_url=reverse("access_requests:detail", args=[sar.pk]),
    )
    if asking:
        return asking
    try:
        done = services.disclose_unflagged_general_entries(sar=sar, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{done} general entr{'y was' if done == 1 else 'ies were'} disclosed."
        )
    return redirect("access_requests:detail", request_id=sar.pk)


@login_required
@require_POST
def sar_consent_reply(
    request: AuthenticatedHttpRequest, request_id: UUID | str, ask_id: UUID | str
) -> HttpResponse:
    ask = selectors.get_consent_ask_for_user(request.user, request_id, ask_id, request=request)
    form = ConsentReplyForm(request.POST)
    if form.is_valid():
        done = apply_service(
            form,
            lambda: services.record_third_party_reply(
                ask=ask, by=request.user, **form.cleaned_data
            ),
        )
        if done is not None:
            messages.success(request, f"{ask.name}'s reply was recorded.")
            return redirect("access_requests:detail", request_id=ask.request_id)
    return _detail_page(request, ask.request, reply_form=form, reply_to=ask.pk)


@login_required
def sar_item(
    request: AuthenticatedHttpRequest, request_id: UUID | str, item_id: UUID | str
) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, request_id, item_id, request=request)
    sar = item.request
    initial = {
        "decision": item.decision if item.decision != Decision.PENDING else None,
        "exemption": item.exemption,
        "exemption_other": item.exemption_other,
        "opinion_from": item.opinion_from,
        "note": item.note,
        "silent": item.silent,
    }
    chosen = selectors.passages_of(item)
    passage_initial = [
        {
            "passage": r.passage,
            "exemption": r.exemption,
            "exemption_other": r.exemption_other,
            "opinion_from": r.opinion_from,
            "note": r.note,
        }
        for r in chosen
    ]
    data = request.POST if request.method == "POST" else None
    form = ItemReviewForm(data, initial=initial)
    passages = passage_formset(data, initial=passage_initial)
    mentions = selectors.mentions_of(item)
    people = mention_forms(data, mentions)
    valid = request.method == "POST" and form.is_valid() and passages.is_valid()
    if valid and all(p.is_valid() for p in people):
        # Rows left empty are no passage; the n-th passage given is ``rows[n]``.
        rows = [row for row in passages.forms if not row.is_blank()]
        try:
            services.review_item(
                item=item,
                by=request.user,
                passages=[services.PassageRedaction(**row.cleaned_data) for row in rows],
                mentions={
                    str(p.mention.pk): services.MentionChoice(**p.cleaned_data)
                    for p in people
                    if p.has_choice()
                },
                **form.cleaned_data,
            )
        except PermissionDenied:
            raise Http404("Not found") from None
        except ValidationError as exc:
            _show_review_errors(exc, form, rows or passages.forms[:1], people)
        else:
            messages.success(request, "Your decision on the item was saved.")
            following = selectors.next_item_to_review(sar)
            if following is not None:
                return redirect("access_requests:item", request_id=sar.pk, item_id=following.pk)
            return redirect("access_requests:detail", request_id=sar.pk)
    has_errors = (
        bool(form.errors) or passages.total_error_count() > 0 or any(p.errors for p in people)
    )
    return render(
        request,
        "access_requests/item.html",
        {
            "sar": sar,
            "item": item,
            "form": form,
            "passages": passages,
            "people": people,
            "body_html": selectors.highlighted(item.body, mentions),
            "child_protection": item.level == Level.CHILD_PROTECTION,
            "police": "police" in item.body.lower(),
            "cp_exemptions": [Exemption(e).label for e in CHILD_PROTECTION_EXEMPTIONS],
            "chosen": chosen,
            "has_errors": has_errors,
            "editable": sar.status == Status.IN_REVIEW,
        },
        status=400 if has_errors else 200,
    )


@login_required
def sar_progress(request: AuthenticatedHttpRequest, request_id: UUID | str) -> JsonResponse:
    """Polled by the request page while the PDF is being made."""
    response = JsonResponse(selectors.render_status_for_user(request.user, request_id))
    response["Cache-Control"] = "no-store"
    return response


@login_required
def sar_draft(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    """The rendered bundle before its password, for the Lead and Deputy to read (audited)."""
    sar = selectors.get_request_for_user(request.user, request_id, request=request)
    rendering = services.current_rendering(sar)
    if rendering is None:
        raise Http404("No rendered bundle")
    log_event(
        actor=request.user,
        event=Event.SAR_DRAFT_DOWNLOADED,
        obj=sar,
        request=request,
        detail={"sha256": rendering.sha256},
    )
    return pdf_response(rendering.pdf, f"{sar.reference}-draft.pdf")


@login_required
@require_POST
def sar_release(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    sar = selectors.get_request_for_user(request.user, request_id, request=request)
    try:
        release, password = services.release_copy(sar=sar, by=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("access_requests:detail", request_id=sar.pk)
    # Shown once: the page is not stored by the browser (NoStoreMiddleware), and never again.
    return render(
        request,
        "access_requests/password.html",
        {"sar": sar, "release": release, "password": password},
    )


@login_required
def sar_download(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    sar = selectors.get_request_for_user(request.user, request_id, request=request)
    try:
        release = services.staff_download(sar=sar, by=request.user, request=request)
    except ValidationError:
        raise Http404("Nothing released") from None
    return pdf_response(release.pdf, f"{sar.reference}.pdf")


@login_required
@require_POST
def sar_send_link(request: AuthenticatedHttpRequest, request_id: UUID | str) -> HttpResponse:
    sar = selectors.get_request_for_user(request.user, request_id, request=request)

    def link_url(token: str) -> str:
        return request.build_absolute_uri(reverse("access_requests:link", args=[token]))

    try:
        link = services.send_link(sar=sar, by=request.user, link_url=link_url, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"A one-time link was emailed to the requester; it works once, until "
            f"{link.expires_at:%d/%m/%Y %H:%M}. Give them the password separately.",
        )
    return redirect("access_requests:detail", request_id=sar.pk)


@login_required
def sar_letter(
    request: AuthenticatedHttpRequest, request_id: UUID | str, letter_id: UUID | str
) -> HttpResponse:
    letter = selectors.get_letter_for_user(request.user, request_id, letter_id, request=request)
    return render(request, "access_requests/letter.html", {"sar": letter.request, "letter": letter})


@never_cache
def sar_link(request: HttpRequest, token: str) -> HttpResponse:
    """The requester's one-time link: a page on GET, the file on POST (once)."""
    if request.method == "POST":
        try:
            release = services.use_link(token=token, request=request)
        except services.LinkRefused as exc:
            return render(
                request, "access_requests/link.html", {"refused": str(exc)}, status=exc.status
            )
        return pdf_response(release.pdf, f"{release.request.reference}.pdf")
    try:
        services.check_rate(request)
    except services.LinkRefused as exc:
        return render(
            request, "access_requests/link.html", {"refused": str(exc)}, status=exc.status
        )
    link = services.find_link(token)
    if link is not None and link.used_at is not None:
        services.record_refused_look(link)
    if not services.link_is_usable(link):
        return render(
            request,
            "access_requests/link.html",
            {
                "refused": "This link has expired or has already been used. Ask the setting for a new one."
            },
            status=410,
        )
    assert link is not None
    services.opened(link)
    return render(request, "access_requests/link.html", {"link": link})
