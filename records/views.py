"""Thin views: fetch through a selector, validate with a form, call a service, say what happened."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit import checks as audit_checks
from audit.models import DEPLOYMENT_CHAIN
from core import tenancy
from core.http import (
    AuthenticatedHttpRequest,
    apply_service,
    confirm_first,
    page_errors,
    require,
)

from . import audit_page, body_map, importing, leaving, policy, retention, selectors, services
from .forms import (
    ActingLeadForm,
    AmendmentForm,
    AttachmentForm,
    BodyMarkFormSet,
    BreakGlassForm,
    CarerForm,
    ChildForm,
    ChildSearchForm,
    ChooseSettingForm,
    EndFlagForm,
    EntryForm,
    FamilyForm,
    FlagForm,
    GrantForm,
    GroupColleagueForm,
    HoldForm,
    ImportConfirmForm,
    ImportFileForm,
    InformedForm,
    LeavingChecklistForm,
    LeavingForm,
    LiftHoldForm,
    NewStaffForm,
    NotInformedForm,
    ReviewForm,
    RuleChangeForm,
    StaffForm,
    StaffRecordForm,
    TermForm,
)
from .middleware import SESSION_KEY
from .models import Carer, Child, RecordEntry
from .timeline import build_timeline


@login_required
def child_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_list_children(request.user))
    form = ChildSearchForm(request.GET or None)
    search, leavers = "", False
    if form.is_valid():
        search = form.cleaned_data["q"]
        leavers = form.cleaned_data["leavers"]
    children = selectors.children_for_list(request.user, search=search, include_leavers=leavers)
    page = Paginator(children, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "records/child_list.html",
        {
            "form": form,
            "page": page,
            "children": page.object_list,
            "search": search,
            "can_add": policy.can_manage_register(request.user),
        },
    )


@login_required
def child_detail(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    user = request.user
    child = selectors.get_child_for_user(user, child_id)
    filtered = selectors.chronology_filter(user, child, request.GET)
    # Filtered only when a filter has a value (not for any query string at all).
    filtering = any(request.GET.get(name) for name in filtered.filters)
    span = selectors.chronology_span(user, child, request.GET, filtering=filtering)
    entries = selectors.chronology(user, child, request=request, filtered=filtered, span=span)
    return render(
        request,
        "records/child_detail.html",
        {
            "child": child,
            "entries": entries,
            "filter": filtered,
            "filtering": filtering,
            "span": span,
            # From the same list, so the strip shows nothing the list does not.
            "timeline": build_timeline(entries, now=timezone.now()),
            "can_write": policy.can_write_entry(user, child),
            "can_grant": policy.can_manage_grants(user),
            "can_break_glass": policy.can_break_glass(user, child),
            "can_print": policy.can_print_chronology(user, child),
            "can_audit": policy.can_view_audit(user),
            "can_edit_register": policy.can_manage_register(user),
            "can_record_leaving": policy.can_record_leaving(user),
            # The Lead and Deputy keep the file until it is destroyed: they see until when.
            "file_kept": retention.keep_child_file(child)
            if policy.can_record_leaving(user)
            else None,
            "reads_entries": policy.entry_q(user) is not None,
            "flags": selectors.child_flags(user, child, request=request, current_only=True),
            "restricted": selectors.restricted_count(child),
        },
    )


@login_required
def child_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_register(request.user))
    return _child_form(request, None)


@login_required
def child_edit(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    child = selectors.get_child_for_user(request.user, child_id)
    require(policy.can_manage_register(request.user))
    return _child_form(request, child)


def _child_form(request: AuthenticatedHttpRequest, child: Child | None) -> HttpResponse:
    initial = {}
    if child is not None:
        initial = {f: getattr(child, f) for f in ChildForm.base_fields}
    form = ChildForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = apply_service(
            form, lambda: services.save_child(by=request.user, child=child, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(request, "The register was updated.")
            return redirect("records:child_detail", child_id=saved.pk)
    return render(request, "records/child_form.html", {"form": form, "child": child})


@login_required
def import_children(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Children, families and carers from a CSV file (records.importing): checked and shown row
    by row first; imported whole, from the file kept at the check, once confirmed."""
    user = request.user
    require(policy.can_manage_register(user))
    step = request.POST.get("step", "") if request.method == "POST" else None
    form = ImportFileForm(*((request.POST, request.FILES) if step == "check" else ()))
    if step is None:
        return _import_page(request, form)
    if step == "check" and form.is_valid():
        try:
            text = importing.read_upload(form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
            return _import_page(request, form, status=400)
        plan = importing.plan_import(text, by=user)
        if not plan.problems:
            token = importing.keep_draft(request.session, user, text)
            confirm = ImportConfirmForm(initial={"token": token})
            return _import_page(request, ImportFileForm(), plan=plan, confirm=confirm)
        return _import_page(request, form, plan=plan, status=400)
    if step == "confirm":
        confirm = ImportConfirmForm(request.POST)
        token = confirm.cleaned_data["token"] if confirm.is_valid() else ""
        kept = importing.draft_text(request.session, user, token)
        if kept is None:
            return _import_page(request, form, errors=[IMPORT_NOT_WAITING], status=400)
        plan = importing.plan_import(kept, by=user)
        if plan.problems:
            return _import_page(request, form, plan=plan, status=400)
        try:
            done = importing.import_register(by=user, plan=plan)
        except ValidationError as exc:
            return _import_page(request, form, errors=exc.messages, status=400)
        importing.drop_draft(request.session)
        messages.success(
            request,
            f"{done.children} children in {done.families} families, with {done.carers} carers, "
            "were added to the register.",
        )
        return redirect("records:child_list")
    errors = [] if step == "check" else ["Choose the CSV file, then press “Check the file”."]
    return _import_page(request, form, errors=errors, status=400)


IMPORT_NOT_WAITING = (
    "No checked file is waiting to be imported (it was imported already, or another file was "
    "checked since): check the file again."
)


def _import_page(
    request: AuthenticatedHttpRequest,
    form: Form,
    *,
    plan: importing.Plan | None = None,
    confirm: Form | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "plan": plan, "confirm": confirm}
    context.update(page_errors=errors or [], columns=importing.SPEC)
    return render(request, "records/import_children.html", context, status=status)


@login_required
def family_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_register(request.user))
    form = FamilyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        family = apply_service(
            form, lambda: services.save_family(by=request.user, **form.cleaned_data)
        )
        if family is not None:
            messages.success(request, f"The {family.name} family was added.")
            return redirect("records:child_create")
    return render(request, "records/family_form.html", {"form": form})


@login_required
def carer_create(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    child = selectors.get_child_for_user(request.user, child_id)
    require(policy.can_manage_register(request.user))
    return _carer_form(request, child, None)


@login_required
def carer_edit(
    request: AuthenticatedHttpRequest, child_id: UUID | str, carer_id: UUID | str
) -> HttpResponse:
    child = selectors.get_child_for_user(request.user, child_id)
    require(policy.can_manage_register(request.user))
    carer = selectors.get_carer_of_child(child, carer_id)
    return _carer_form(request, child, carer)


def _carer_form(
    request: AuthenticatedHttpRequest, child: Child, carer: Carer | None
) -> HttpResponse:
    initial = {}
    if carer is not None:
        initial = {f: getattr(carer, f) for f in CarerForm.base_fields}
        initial["parental_responsibility"] = "yes" if carer.parental_responsibility else "no"
    form = CarerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = apply_service(
            form,
            lambda: services.save_carer(
                by=request.user, child=child, carer=carer, **form.cleaned_data
            ),
        )
        if saved is not None:
            messages.success(request, "The carer's details were saved.")
            return redirect("records:child_contacts", child_id=child.pk)
    return render(
        request, "records/carer_form.html", {"form": form, "child": child, "carer": carer}
    )


FLAG_STEPS = ("add", "end")


@login_required
def child_flags(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """The flags on the child (a plan, a social worker, SEND, EAL…): those this person may know
    of, and, for whoever may, adding one or ending one."""
    user = request.user
    child = selectors.get_child_for_user(user, child_id)
    require(policy.entry_q(user) is not None)
    kinds = policy.flag_kinds_for(user, child)
    step = request.POST.get("step", "") if request.method == "POST" else None
    require(step is None or bool(kinds))
    unknown = step is not None and step not in FLAG_STEPS
    post = request.POST if step is not None else None
    add = FlagForm(post if step == "add" or unknown else None, kinds=kinds)
    end = EndFlagForm(post if step == "end" else None)
    if unknown:
        add.is_valid()
        add.add_error(None, "Choose one of the steps on this page.")
    elif step == "add" and add.is_valid():
        made = apply_service(
            add, lambda: services.add_flag(child=child, by=user, **add.cleaned_data)
        )
        if made is not None:
            messages.success(request, f"Flag added: {made.label}.")
            return redirect("records:child_flags", child_id=child.pk)
    elif step == "end" and end.is_valid():
        flag = selectors.get_flag_for_user(user, child, request.POST.get("flag", ""))
        if flag is None:
            end.add_error(None, "That flag is not on this child's file: choose one below.")
        else:
            ended = apply_service(
                end, lambda: services.end_flag(flag=flag, by=user, **end.cleaned_data)
            )
            if ended is not None:
                messages.success(request, f"Flag ended: {ended.label}.")
                return redirect("records:child_flags", child_id=child.pk)
    return render(
        request,
        "records/child_flags.html",
        {
            "child": child,
            "flags": selectors.child_flags(user, child, request=request),
            "form": add,
            "end_form": end,
            "kinds": kinds,
            "today": timezone.localdate(),
            "errors": [f for f in (add, end) if f.errors],
        },
        status=400 if step is not None else 200,
    )


@login_required
def child_contacts(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    child = selectors.get_child_for_user(request.user, child_id)
    require(policy.can_see_contacts(request.user, child))
    carers = selectors.carers_of(child)
    return render(
        request,
        "records/child_contacts.html",
        {"child": child, "carers": carers, "can_edit": policy.can_manage_register(request.user)},
    )


@login_required
def entry_create(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    user = request.user
    child = selectors.get_child_for_user(user, child_id)
    require(policy.can_write_entry(user, child))
    form = EntryForm(request.POST or None, request.FILES or None)
    # A post without the body map's fields (an older page, a script) simply has no marks.
    has_marks = request.method == "POST" and "mark-TOTAL_FORMS" in request.POST
    marks: Any = BodyMarkFormSet(request.POST if has_marks else None, prefix="mark")
    if request.method == "POST" and "add_mark" in request.POST:
        # Without JavaScript, "Add another mark" comes back here: the same form, one more row.
        # Nothing is checked yet: the person has not finished.
        unchecked = EntryForm(initial=request.POST.dict())
        return _entry_form_page(request, child, unchecked, _with_another_row(marks))
    if request.method == "POST" and form.is_valid() and (not has_marks or marks.is_valid()):
        data = form.cleaned_data
        entry = apply_service(
            form,
            lambda: services.record_entry(
                child=child,
                author=user,
                category=data["category"],
                level=data["level"],
                occurred_at=data["occurred_at"],
                text=data["text"],
                parent_informed_now=data["parent_informed_now"],
                informed_how=data["informed_how"],
                attachments=[data["attachment"]] if data["attachment"] else [],
                urgent=data["urgent"],
                parent_said=data["parent_said"],
                serious=data["serious"],
                significant=data["significant"],
                body_map_marks=marks.marks() if has_marks else [],
            ),
        )
        if entry is not None:
            messages.success(request, "The entry was recorded.")
            return redirect("records:child_detail", child_id=child.pk)
    return _entry_form_page(request, child, form, marks)


def _posted_rows(marks: Any) -> list[dict[str, Any]]:
    """The body map's rows as posted, unchecked: region, note, x and y of each."""
    return [
        {k: marks.data.get(f"mark-{i}-{k}", "") for k in ("region", "note", "x", "y")}
        for i in range(min(marks.total_form_count(), body_map.MAX_MARKS))
    ]


def _with_another_row(marks: Any) -> Any:
    """The marks filled in so far, unchecked, and one blank row after them."""
    rows = [row for row in _posted_rows(marks) if row["region"] or row["note"]]
    return BodyMarkFormSet(initial=rows, prefix="mark")


def _entry_form_page(
    request: AuthenticatedHttpRequest, child: Child, form: Form, marks: Any
) -> HttpResponse:
    shown = _marks_shown(marks)
    return render(
        request,
        "records/entry_form.html",
        {
            "child": child,
            "form": form,
            "marks": marks,
            "body_map_categories": sorted(body_map.BODY_MAP_CATEGORIES),
            "front": body_map.figure("front", shown, interactive=True),
            "back": body_map.figure("back", shown, interactive=True),
        },
    )


def _marks_shown(marks: Any) -> list[body_map.Mark]:
    """The marks of a re-displayed form, drawn where they were placed."""
    rows = _posted_rows(marks) if marks.is_bound else list(marks.initial or [])
    shown = []
    for number, row in enumerate(rows, start=1):
        part = body_map.PARTS.get(row.get("region") or "")
        if part is None:
            continue
        try:
            x, y = float(row.get("x") or ""), float(row.get("y") or "")
        except (TypeError, ValueError):
            x, y = part.centre
        shown.append(body_map.Mark(number, part.key, x, y, ""))
    return shown


@login_required
def entry_detail(request: AuthenticatedHttpRequest, entry_id: UUID | str) -> HttpResponse:
    entry = selectors.get_entry_for_user(request.user, entry_id, request=request)
    return _entry_page(request, entry)


@login_required
def entry_amend(request: AuthenticatedHttpRequest, entry_id: UUID | str) -> HttpResponse:
    user = request.user
    entry = selectors.get_entry_for_user(user, entry_id, request=request)
    require(policy.can_amend_entry(user, entry))
    form = AmendmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.amend_entry(
                entry=entry, author=user, text=data["text"], reason=data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, "The amendment was added; the original entry is kept.")
            return redirect("records:entry_detail", entry_id=entry.pk)
    return render(request, "records/entry_amend.html", {"entry": entry, "form": form})


@login_required
@require_POST
def attachment_add(request: AuthenticatedHttpRequest, entry_id: UUID | str) -> HttpResponse:
    user = request.user
    entry = selectors.get_entry_for_user(user, entry_id, request=request)
    require(policy.can_amend_entry(user, entry))
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        done = apply_service(
            form,
            lambda: services.add_attachment(
                entry=entry, by=user, upload=form.cleaned_data["attachment"]
            ),
        )
        if done is not None:
            messages.success(request, "The file was attached.")
            return redirect("records:entry_detail", entry_id=entry.pk)
    return _entry_page(request, entry, attachment_form=form)


def _entry_page(
    request: AuthenticatedHttpRequest, entry: RecordEntry, **forms: Form
) -> HttpResponse:
    """The entry page; a form passed in (with its errors) replaces the blank one."""
    user = request.user
    marks = body_map.marks_of(entry.body_map)
    context: dict[str, Any] = {
        "entry": entry,
        "child": entry.child,
        "body_marks": marks,
        "body_front": body_map.figure("front", marks) if marks else "",
        "body_back": body_map.figure("back", marks) if marks else "",
        "can_amend": policy.can_amend_entry(user, entry),
        "can_mark_informed": policy.can_mark_informed(user, entry),
        "can_decide_not_to_inform": policy.can_decide_not_to_inform(user),
        "informed_form": InformedForm(),
        "not_informed_form": NotInformedForm(),
        "attachment_form": AttachmentForm(),
        "retention": retention.entry_retention(entry),
        "can_hold": policy.can_manage_holds(user),
        "notes": selectors.entry_notes(entry, user),
    }
    context.update(forms)
    context["page_errors"] = page_errors(*forms.values())
    return render(request, "records/entry_detail.html", context, status=400 if forms else 200)


@login_required
@require_POST
def entry_informed(request: AuthenticatedHttpRequest, entry_id: UUID | str) -> HttpResponse:
    user = request.user
    entry = selectors.get_entry_for_user(user, entry_id, request=request)
    require(policy.can_mark_informed(user, entry))
    form = InformedForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.mark_parent_informed(
                entry=entry, by=user, informed_at=data["informed_at"], how=data["how"]
            ),
        )
        if done is not None:
            messages.success(request, "Recorded that the parent was told.")
            return redirect("records:entry_detail", entry_id=entry.pk)
    return _entry_page(request, entry, informed_form=form)


@login_required
@require_POST
def entry_not_informed(request: AuthenticatedHttpRequest, entry_id: UUID | str) -> HttpResponse:
    user = request.user
    entry = selectors.get_entry_for_user(user, entry_id, request=request)
    require(policy.can_decide_not_to_inform(user))
    form = NotInformedForm(request.POST)
    if form.is_valid():
        done = apply_service(
            form,
            lambda: services.decide_not_to_inform(
                entry=entry, lead=user, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, "Recorded your decision not to tell the parent, and why.")
            return redirect("records:entry_detail", entry_id=entry.pk)
    return _entry_page(request, entry, not_informed_form=form)


@login_required
def attachment_download(
    request: AuthenticatedHttpRequest, attachment_id: UUID | str
) -> HttpResponse:
    attachment = selectors.get_attachment_for_user(request.user, attachment_id, request=request)
    response = HttpResponse(attachment.content, content_type=attachment.content_type)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[
        attachment.content_type
    ]
    response["Content-Disposition"] = (
        f'attachment; filename="attachment-{attachment.ref}.{extension}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def grant_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_grants(request.user))
    grants = selectors.grants_for_manager(request.user)
    return render(request, "records/grant_list.html", {"grants": grants[:200]})


@login_required
def grant_create(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    user = request.user
    require(policy.can_manage_grants(user))
    child = selectors.get_child_for_user(user, child_id)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grant = apply_service(
            form,
            lambda: services.give_grant(
                child=child,
                grantee=data["grantee"],
                level=data["level"],
                reason=data["reason"],
                ends_at=data["ends_at"],
                granted_by=user,
            ),
        )
        if grant is not None:
            messages.success(
                request, f"{grant.grantee.full_name} may now see this child's records."
            )
            return redirect("records:child_detail", child_id=child.pk)
    return render(request, "records/grant_form.html", {"child": child, "form": form})


@login_required
@require_POST
def grant_revoke(request: AuthenticatedHttpRequest, grant_id: UUID | str) -> HttpResponse:
    grant = selectors.get_grant_for_manager(request.user, grant_id)
    asking = confirm_first(
        request,
        title=f"Revoke {grant.grantee.full_name}'s grant?",
        explanation=(
            f"{grant.grantee.full_name} will stop seeing {grant.child.full_name}'s "
            f"{grant.get_level_display().lower()} records at once. To let them see the records "
            "again you would give a new grant, with a reason."
        ),
        button="Revoke the grant",
        back_url=reverse("records:grant_list"),
    )
    if asking:
        return asking
    try:
        services.revoke_grant(grant=grant, revoked_by=request.user)
        messages.success(request, "The grant was revoked; it stopped working at once.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("records:grant_list")


@login_required
def break_glass_open(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    user = request.user
    child = selectors.get_child_for_user(user, child_id)
    require(policy.can_break_glass(user, child))
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        access = apply_service(
            form,
            lambda: services.open_break_glass(
                child=child, by=user, reason=form.cleaned_data["reason"], request=request
            ),
        )
        if access is not None:
            messages.warning(
                request,
                "Emergency access is open for 4 hours. It is on the Lead's and Deputy's dashboards now, "
                "and they are emailed.",
            )
            return redirect("records:child_detail", child_id=child.pk)
    return render(request, "records/break_glass.html", {"child": child, "form": form})


@login_required
def break_glass_review(request: AuthenticatedHttpRequest, access_id: UUID | str) -> HttpResponse:
    access = selectors.get_break_glass_for_reviewer(request.user, access_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = apply_service(
            form,
            lambda: services.review_break_glass(
                access=access, reviewer=request.user, note=form.cleaned_data["note"]
            ),
        )
        if done is not None:
            messages.success(request, "Review recorded.")
            return redirect("home:dashboard")
    return render(
        request,
        "records/break_glass_review.html",
        {"access": access, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_staff(request.user))
    staff = selectors.staff_for_manager(request.user)
    acting = selectors.acting_leads_now(request.user)
    context = {
        "staff": staff,
        "acting": acting,
        "can_add_from_group": policy.can_add_post_from_group(request.user),
    }
    return render(request, "records/staff_list.html", context)


@login_required
def staff_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_manage_staff(request.user))
    form = NewStaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = apply_service(
            form,
            lambda: services.create_staff(
                created_by=request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                role=data["role"],
                rooms=data["rooms"],
                password=data["password"],
                job_title=data["job_title"],
            ),
        )
        if result is not None:
            staff, code = result
            return render(request, "records/enrolment_code.html", {"staff": staff, "code": code})
    return render(request, "records/staff_form.html", {"form": form, "new": True})


@login_required
def staff_from_group(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The Lead gives a post here to someone who works in another setting of the group."""
    require(policy.can_add_post_from_group(request.user))
    form = GroupColleagueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        staff = apply_service(
            form,
            lambda: services.add_post_from_group(
                by=request.user,
                username=data["username"],
                role=data["role"],
                rooms=data["rooms"],
                job_title=data["job_title"],
            ),
        )
        if staff is not None:
            messages.success(
                request,
                f"{staff.full_name} now works here too, as {staff.get_role_display()}. They "
                "choose where to work after signing in.",
            )
            return redirect("records:staff_list")
    return render(request, "records/staff_from_group.html", {"form": form})


@login_required
def staff_edit(request: AuthenticatedHttpRequest, staff_id: UUID | str) -> HttpResponse:
    staff = selectors.get_staff_for_manager(request.user, staff_id)
    initial = {
        "full_name": staff.full_name,
        "role": staff.role,
        "rooms": selectors.rooms_of(staff),
        "job_title": staff.job_title,
    }
    form = StaffForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.update_staff(
                staff=staff,
                by=request.user,
                full_name=data["full_name"],
                role=data["role"],
                rooms=data["rooms"],
                job_title=data["job_title"],
            ),
        )
        if done is not None:
            messages.success(request, "Saved.")
            return redirect("records:staff_list")
    return render(request, "records/staff_form.html", {"form": form, "staff": staff})


@login_required
@require_POST
def staff_deactivate(request: AuthenticatedHttpRequest, staff_id: UUID | str) -> HttpResponse:
    staff = selectors.get_staff_for_manager(request.user, staff_id)
    asking = confirm_first(
        request,
        title=f"Turn off {staff.full_name}'s account?",
        explanation=(
            f"{staff.full_name} will be signed out everywhere at once and will not be able to "
            "sign in again. Their records and what they wrote are kept."
        ),
        button="Turn off the account",
        back_url=reverse("records:staff_edit", args=[staff.pk]),
    )
    if asking:
        return asking
    try:
        services.deactivate_staff(staff=staff, by=request.user)
        messages.success(
            request,
            f"{staff.full_name} no longer works here, and every session of theirs ended."
            if selectors.works_elsewhere(staff)
            else f"{staff.full_name}'s account is off and every session ended.",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("records:staff_list")


@login_required
@require_POST
def staff_enrolment_code(request: AuthenticatedHttpRequest, staff_id: UUID | str) -> HttpResponse:
    staff = selectors.get_staff_for_manager(request.user, staff_id)
    try:
        code = services.issue_enrolment_code(staff=staff, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("records:staff_edit", staff.pk)
    return render(request, "records/enrolment_code.html", {"staff": staff, "code": code})


@login_required
def staff_records(request: AuthenticatedHttpRequest, staff_id: UUID | str) -> HttpResponse:
    require(policy.can_read_staff_records(request.user))
    staff = selectors.get_staff_for_manager(request.user, staff_id)
    form = StaffRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.record_staff_record(staff=staff, by=request.user, **data),
        )
        if done is not None:
            messages.success(request, "The record was added.")
            return redirect("records:staff_records", staff_id=staff.pk)
    records = selectors.staff_records(request.user, staff, request=request)
    return render(
        request, "records/staff_records.html", {"staff": staff, "records": records, "form": form}
    )


@login_required
def my_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A member of staff's own supervision and training records."""
    require(policy.has_own_staff_records(request.user))
    records = selectors.my_staff_records(request.user, request=request)
    return render(request, "records/my_records.html", {"records": records})


@login_required
def acting_lead(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_appoint_acting_lead(request.user))
    form = ActingLeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = apply_service(
            form,
            lambda: services.appoint_acting_lead(
                deputy=data["deputy"],
                appointed_by=request.user,
                reason=data["reason"],
                ends_at=data["ends_at"],
            ),
        )
        if done is not None:
            messages.success(request, "The Deputy is acting Lead until the time you gave.")
            return redirect("records:staff_list")
    appointments = selectors.acting_lead_appointments(request.user)[:20]
    return render(request, "records/acting_lead.html", {"form": form, "appointments": appointments})


@login_required
@require_POST
def acting_lead_end(request: AuthenticatedHttpRequest, appointment_id: UUID | str) -> HttpResponse:
    appointment = selectors.get_acting_lead_appointment(request.user, appointment_id)
    asking = confirm_first(
        request,
        title=f"End {appointment.deputy.full_name}'s time as acting Lead now?",
        explanation=(
            f"{appointment.deputy.full_name} will lose the Lead's approvals and access at once. "
            "To give them back you would appoint them again, with a reason."
        ),
        button="End it now",
        back_url=reverse("records:acting_lead"),
    )
    if asking:
        return asking
    try:
        services.end_acting_lead(appointment=appointment, by=request.user)
        messages.success(request, "The acting Lead period has ended.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("records:acting_lead")


@login_required
def audit_child(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    require(policy.can_view_audit(request.user))
    child = selectors.get_child_for_user(request.user, child_id)
    audit_filter, page = audit_page.page_for(request.user, request.GET, child=child)
    return render(
        request,
        "records/audit_child.html",
        {"child": child, "filter": audit_filter, "page": page, "query": _audit_query(request)},
    )


def _audit_query(request: AuthenticatedHttpRequest) -> str:
    """The filters of this page, for its own links (the keyset cursors are added to them)."""
    query = request.GET.copy()
    for cursor in ("before", "after"):
        query.pop(cursor, None)
    return query.urlencode()


@login_required
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    require(policy.can_view_audit(request.user))
    audit_filter, page = audit_page.page_for(request.user, request.GET)
    # The chains of the events this page shows: the setting's own, and the deployment's (the
    # sign-ins of its people; everything before the group, for a setting on its own).
    working = tenancy.working_setting()
    shown = [DEPLOYMENT_CHAIN] + ([working] if working is not None else [])
    chain = audit_checks.status_of(shown)
    now = timezone.now()
    return render(
        request,
        "records/audit_log.html",
        {
            "filter": audit_filter,
            "page": page,
            "query": _audit_query(request),
            "chain": chain,
            "chain_today": chain is not None
            and timezone.localdate(chain.checked_at) == timezone.localdate(now),
            "chain_stale": chain is not None and chain.checked_at + audit_checks.STALE_AFTER < now,
        },
    )


@login_required
@require_POST
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The rows the filters select, as CSV: the export itself is in the audit log, with the
    filters it used."""
    require(policy.can_view_audit(request.user))
    audit_filter, lines = audit_page.export_rows(request.user, request.POST)
    if not audit_filter.is_valid():
        messages.error(request, "Correct the filters before exporting.")
        return redirect("records:audit_log")
    services.record_audit_export(by=request.user, filters=audit_page.filters_used(audit_filter))
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="confide-audit-{stamp}.csv"'
    return response


@login_required
def choose_setting(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where a person with posts in several settings chooses where to work (kept in the
    session); switching later comes back here."""
    posts = selectors.posts_to_choose(request.user)
    form = ChooseSettingForm(request.POST or None, posts=posts)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["setting"]
        request.session[SESSION_KEY] = chosen
        services.log_setting_chosen(user=request.user, setting_id=chosen)
        return redirect("home:dashboard")
    return render(request, "records/choose_setting.html", {"posts": posts, "form": form})


# --- a child leaves; the setting's terms -------------------------------------------------------


@login_required
def child_leaving(request: AuthenticatedHttpRequest, child_id: UUID | str) -> HttpResponse:
    """Record that a child leaves, then the Lead's checklist of what becomes of the file."""
    user = request.user
    child = selectors.get_child_for_user(user, child_id)
    require(policy.can_record_leaving(user))
    leaving_row = leaving.leaving_of(child)
    # Two forms on the page: the checklist's says so; anything else posted is the leaving.
    posted = None
    if request.method == "POST":
        checklist_step = request.POST.get("step") == "checklist" and leaving_row is not None
        posted = "checklist" if checklist_step else "leaving"
    initial: dict[str, Any] = {"left_on": child.left_on or timezone.localdate()}
    if leaving_row is not None:
        initial = {f: getattr(leaving_row, f) for f in LeavingForm.base_fields}
    form = LeavingForm(request.POST if posted == "leaving" else None, initial=initial)
    checklist_form = None
    if leaving_row is not None:
        checklist_form = LeavingChecklistForm(
            request.POST if posted == "checklist" else None,
            initial={
                "cp_file": leaving_row.cp_file,
                "general_file": leaving_row.general_file,
                "note": leaving_row.checklist_note,
            },
        )
    if posted == "leaving" and form.is_valid():
        saved = apply_service(
            form, lambda: leaving.record_leaving(by=user, child=child, **form.cleaned_data)
        )
        if saved is not None:
            messages.success(
                request,
                f"{child.full_name} leaves on {saved.left_on:%-d %B %Y}. Work through the "
                "checklist below.",
            )
            return redirect("records:child_leaving", child_id=child.pk)
    if (
        posted == "checklist"
        and checklist_form is not None
        and leaving_row is not None
        and checklist_form.is_valid()
    ):
        row, cleaned = leaving_row, checklist_form.cleaned_data
        done = apply_service(
            checklist_form,
            lambda: leaving.update_checklist(by=user, leaving=row, **cleaned),
        )
        if done is not None:
            messages.success(
                request,
                "The checklist is complete." if done.complete else "The checklist was saved.",
            )
            return redirect("records:child_leaving", child_id=child.pk)
    return render(
        request,
        "records/child_leaving.html",
        {
            "child": child,
            "form": form,
            "leaving": leaving_row,
            "checklist": leaving.checklist(leaving_row) if leaving_row is not None else None,
            "checklist_form": checklist_form,
        },
    )


@login_required
def terms(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The setting's term dates: the Lead and Deputy add and remove them."""
    user = request.user
    require(policy.can_manage_terms(user))
    form = TermForm(
        request.POST if request.method == "POST" and "remove" not in request.POST else None
    )
    if request.method == "POST" and "remove" in request.POST:
        term = leaving.term_by_id(request.POST["remove"])
        if term is None:
            raise Http404("No such term.")
        leaving.remove_term(by=user, term=term)
        messages.success(request, f"{term.name} was removed.")
        return redirect("records:terms")
    if request.method == "POST" and form.is_valid():
        added = apply_service(form, lambda: leaving.add_term(by=user, **form.cleaned_data))
        if added is not None:
            messages.success(request, f"{added.name} was added.")
            return redirect("records:terms")
    return render(
        request,
        "records/terms.html",
        {"form": form, "terms": leaving.terms(), "today": leaving.term_of(timezone.localdate())},
    )


@login_required
def retention_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The retention schedule (each line with its source) and the legal holds: the Lead's."""
    user = request.user
    require(policy.can_manage_holds(user))
    lifting = request.method == "POST" and "lift" in request.POST
    changing = request.method == "POST" and request.POST.get("step") == "rule"
    rule_form = RuleChangeForm(request.POST if changing else None, rules=retention.rules())
    if changing:
        if rule_form.is_valid():
            data = rule_form.cleaned_data
            changed = apply_service(
                rule_form,
                lambda: retention.change_rule(
                    by=user,
                    code=data["rule"],
                    years=data["years"],
                    months=data["months"],
                    reason=data["change_reason"],
                ),
            )
            if changed is not None:
                messages.success(request, f"{changed.applies_to}: now {changed.period}.")
                return redirect("records:retention")
        lifting = False
    form = HoldForm(
        request.POST if request.method == "POST" and not lifting and not changing else None,
        initial={"entry": request.GET.get("entry")} if "entry" in request.GET else None,
    )
    for_entry = retention.entry_by_id(request.GET.get("entry", ""))
    lift_form = LiftHoldForm(request.POST if lifting else None)
    lift_error_on = None
    if lifting:
        hold = retention.hold_by_id(request.POST["lift"])
        if hold is None:
            raise Http404("No such hold.")
        if lift_form.is_valid():
            reason = lift_form.cleaned_data["lift_reason"]
            lifted = apply_service(
                lift_form, lambda: retention.lift_hold(by=user, hold=hold, reason=reason)
            )
            if lifted is not None:
                messages.success(request, "The hold was lifted.")
                return redirect("records:retention")
        lift_error_on = hold.pk
    elif request.method == "POST" and not changing and form.is_valid():
        placed = apply_service(form, lambda: retention.place_hold(by=user, **form.cleaned_data))
        if placed is not None:
            messages.success(request, f"A legal hold now covers {placed.covers}.")
            return redirect("records:retention")
    return render(
        request,
        "records/retention.html",
        {
            "rules": retention.rules(),
            "holds": retention.holds(),
            "form": form,
            "lift_form": lift_form,
            "lift_error_on": lift_error_on,
            "for_entry": for_entry,
            "rule_form": rule_form,
        },
    )
