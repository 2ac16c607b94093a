"""The Lead approves or declines sharing decisions in the admin screen.

Everything the Lead needs to judge is on the change page: the decision, the linked entries
decrypted (their reads audited), the consent history of the child's carers and the child's other
decisions. Nothing is editable: no add, change or delete. Approve and Decline go to a page that asks
for the rationale; only the Lead (or the Deputy while acting Lead) sees them, and the service checks
again. Querysets come from consent.policy, so a superuser with no staff profile sees no decision.

The admin needs ``is_staff`` on the user: the Lead's and the Deputy's accounts have it (records.services).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.http import signed_in_user
from records.selectors import log_reads

from . import policy, selectors, services
from .forms import RationaleForm
from .models import LeadDecision, SharingDecision

VERDICTS = {
    "approve": (LeadDecision.APPROVED, "Approve", services.approve_sharing_decision),
    "decline": (LeadDecision.DECLINED, "Decline", services.decline_sharing_decision),
}


def _name(staff: Any) -> str:
    return staff.full_name if staff is not None else "—"


@admin.register(SharingDecision)
class SharingDecisionAdmin(admin.ModelAdmin):
    change_form_template = "admin/consent/sharingdecision/change_form.html"
    list_display = [
        "ref",
        "child_name",
        "decision",
        "recipient_kind",
        "level",
        "state",
        "lead_decision",
        "proposed_by",
        "proposed_at",
        "due",
    ]
    list_filter = ["lead_decision", "state", "level", "recipient_kind", "retrospective", "decision"]
    search_fields = ["child__first_name", "child__last_name"]
    ordering = ["-proposed_at"]
    actions = ["approve_selected", "decline_selected"]
    list_select_related = ["child", "author"]
    fieldsets = [
        (
            "The decision",
            {
                "fields": [
                    "ref",
                    "child_name",
                    "decision",
                    "state",
                    "lead_decision",
                    "level",
                    "retrospective",
                    "review_due_at",
                    "proposed_by",
                    "proposed_at",
                    "replaces",
                ]
            },
        ),
        (
            "Recipient and purpose",
            {"fields": ["recipient_kind", "recipient_organisation", "recipient_person", "purpose"]},
        ),
        ("The information", {"fields": ["summary"]}),
        ("People concerned", {"fields": ["other_people_concerned", "other_people"]}),
        (
            "Why, and on what basis",
            {
                "fields": [
                    "lawful_basis",
                    "necessary_and_proportionate",
                    "consent",
                    "consent_relied_on",
                    "no_consent_reason",
                    "no_consent_explanation",
                    "service_agreement",
                    "lsp_procedures",
                    "advice_from",
                    "advice_given",
                ]
            },
        ),
        (
            "The Lead's decision",
            {"fields": ["decided_by_name", "decided_at", "rationale"]},
        ),
        (
            "Emergency and sharing",
            {
                "fields": [
                    "emergency_reason",
                    "shared_what",
                    "shared_at",
                    "shared_how",
                    "shared_by_name",
                ]
            },
        ),
        (
            "Family and referral",
            {
                "fields": [
                    "family_informed_at",
                    "family_informed_how",
                    "family_not_informed_reason",
                    "acknowledgement_due_at",
                    "acknowledged_at",
                    "outcome",
                    "outcome_at",
                    "outcome_notes",
                ]
            },
        ),
    ]

    # --- permissions: the one policy decides ----------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[SharingDecision]:
        return policy.visible_decisions(request.user).select_related(
            "child", "author", "decided_by", "shared_by", "supersedes", "consent_record"
        )

    # The Lead and the Deputy only: an IT superuser is refused outright (403).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return policy.can_use_decisions_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return policy.can_use_decisions_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A decision is never edited: a change is a new decision that replaces it.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return policy.approves_decisions(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for _, options in self.fieldsets for name in options["fields"]]

    # Shown even when empty: what the Lead must always see to judge.
    ALWAYS_SHOWN = frozenset(
        {
            "ref",
            "child_name",
            "decision",
            "state",
            "lead_decision",
            "level",
            "proposed_by",
            "proposed_at",
            "recipient_kind",
            "purpose",
            "summary",
            "lawful_basis",
            "necessary_and_proportionate",
            "consent",
            "service_agreement",
            "lsp_procedures",
        }
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        """Only what this decision has: empty steps (not yet shared, no emergency...) are left out,
        so the page stays one page."""
        if obj is None:
            return list(self.fieldsets)
        fieldsets = []
        for name, options in self.fieldsets:
            fields = [
                str(f)
                for f in options["fields"]
                if f in self.ALWAYS_SHOWN or self._has(obj, str(f))
            ]
            if fields:
                fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def _has(self, obj: SharingDecision, name: str) -> bool:
        value = getattr(self, name)(obj) if hasattr(self, name) else getattr(obj, name)
        return value not in (None, "", "—", False)

    # --- columns and read-only fields ---------------------------------------------------------------

    @admin.display(description="Child", ordering="child__last_name")
    def child_name(self, obj: SharingDecision) -> str:
        return obj.child.full_name

    @admin.display(description="Proposed by", ordering="author__full_name")
    def proposed_by(self, obj: SharingDecision) -> str:
        return _name(obj.author)

    @admin.display(description="Decided by")
    def decided_by_name(self, obj: SharingDecision) -> str:
        return _name(obj.decided_by)

    @admin.display(description="Shared by")
    def shared_by_name(self, obj: SharingDecision) -> str:
        return _name(obj.shared_by)

    @admin.display(description="Replaces")
    def replaces(self, obj: SharingDecision) -> str:
        if obj.supersedes_id is None:
            return "—"
        url = reverse(
            f"{self.admin_site.name}:consent_sharingdecision_change", args=[obj.supersedes_id]
        )
        return format_html('<a href="{}">decision {}</a>', url, str(obj.supersedes_id)[:8])

    @admin.display(description="Other people concerned (on our records)")
    def other_people_concerned(self, obj: SharingDecision) -> str:
        names = [c.full_name for c in obj.other_children.all()]
        names += [c.full_name for c in obj.other_carers.all()]
        return ", ".join(names) or "—"

    @admin.display(description="Consent relied on")
    def consent_relied_on(self, obj: SharingDecision) -> str:
        record = obj.consent_record
        if record is None:
            return "—"
        when = timezone.localtime(record.given_at).strftime("%d/%m/%Y")
        return f"{record.carer.full_name}: {record.get_status_display()} {record.get_how_display().lower()} on {when}"

    @admin.display(description="Due")
    def due(self, obj: SharingDecision) -> str:
        if obj.review_overdue():
            return "Review overdue"
        if obj.retrospective and obj.lead_decision == LeadDecision.PENDING:
            return "Review due " + timezone.localtime(obj.review_due_at).strftime("%d/%m %H:%M")
        if obj.acknowledgement_overdue():
            return "Referral acknowledgement overdue"
        return ""

    # --- the change page: everything on one page ----------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        decision = self.get_queryset(request).filter(pk=object_id).first()
        if decision is not None:
            user = signed_in_user(request)
            log_reads(user, [decision], request=request)
            extra_context["file"] = selectors.decision_file(user, decision, request=request)
            extra_context["can_decide"] = (
                decision.lead_decision == LeadDecision.PENDING
                and policy.can_approve(request.user, decision)
            )
            extra_context["own_proposal"] = (
                decision.lead_decision == LeadDecision.PENDING
                and self.has_approve_permission(request)
                and not policy.can_approve(request.user, decision)
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        custom = [
            path(
                "<uuid:object_id>/approve/",
                self.admin_site.admin_view(self.decide_view),
                {"verdict": "approve"},
                name=f"{prefix}_approve",
            ),
            path(
                "<uuid:object_id>/decline/",
                self.admin_site.admin_view(self.decide_view),
                {"verdict": "decline"},
                name=f"{prefix}_decline",
            ),
        ]
        return custom + super().get_urls()

    def decide_view(
        self, request: HttpRequest, object_id: UUID | str, verdict: str
    ) -> HttpResponse:
        """The page between the button and the decision: it asks for the rationale."""
        if not self.has_approve_permission(request):
            raise PermissionDenied
        decision = self.get_queryset(request).filter(pk=object_id).first()
        if decision is None:
            raise Http404("No such sharing decision")
        _, label, service = VERDICTS[verdict]
        change_url = reverse(
            f"{self.admin_site.name}:consent_sharingdecision_change", args=[decision.pk]
        )
        form = RationaleForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                service(
                    decision=decision,
                    approver=request.user,
                    rationale=form.cleaned_data["rationale"],
                    request=request,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        for error in errors:
                            form.add_error(field if field in form.fields else None, error)
                else:
                    for message in exc.messages:
                        form.add_error(None, message)
            except PermissionDenied:
                raise
            else:
                done = "approved" if verdict == "approve" else "declined"
                self.message_user(
                    request, f"The decision was {done}; your rationale is kept with it."
                )
                return HttpResponseRedirect(change_url)
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": decision,
            "decision": decision,
            "form": form,
            "verdict": verdict,
            "label": label,
            "change_url": change_url,
            "title": f"{label} sharing decision {decision.ref}",
        }
        return TemplateResponse(
            request, "admin/consent/sharingdecision/decide.html", context, status=status
        )

    # --- actions: one decision at a time, each with its own rationale ------------------------

    def _one(self, request: HttpRequest, queryset: QuerySet[SharingDecision], verdict: str) -> Any:
        if queryset.count() != 1:
            self.message_user(
                request,
                "Choose one decision at a time: each needs its own rationale.",
                level=messages.ERROR,
            )
            return None
        decision = queryset.get()
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:consent_sharingdecision_{verdict}", args=[decision.pk])
        )

    @admin.action(description="Approve the selected decision…", permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[SharingDecision]) -> Any:
        return self._one(request, queryset, "approve")

    @admin.action(description="Decline the selected decision…", permissions=["approve"])
    def decline_selected(self, request: HttpRequest, queryset: QuerySet[SharingDecision]) -> Any:
        return self._one(request, queryset, "decline")
