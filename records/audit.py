"""The audit trail, on django-auditlog.

Every model of ours and the user model are registered; encrypted fields are fully redacted in the
change diff (auditlog's default mask would keep half the value). Reads are logged here as ACCESS
entries — one bulk insert per page — because auditlog logs reads only when told to.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .fields import encrypted_fields

REDACTED = "[encrypted]"

# Models whose rows hold no personal content and change with every request.
UNAUDITED = {"records.UserSession"}


def redact(value: str) -> str:
    return REDACTED


def register_models() -> None:
    for app_label in ("records", "consent", "access_requests"):
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.label in UNAUDITED or auditlog.contains(model):
                continue
            masked = [f.name for f in encrypted_fields(model)]
            extra: dict[str, Any] = {}
            # Binary content (attachments) is never diffed; its hash and size are.
            excluded = [f.name for f in encrypted_fields(model) if f.empty_plain == b""]
            if model._meta.label == "records.EnrolmentCode":
                excluded.append("code_hash")
            if excluded:
                extra["exclude_fields"] = excluded
            auditlog.register(
                model,
                mask_fields=masked,
                mask_callable="records.audit.redact",
                m2m_fields={f.name for f in model._meta.many_to_many},
                **extra,
            )
    user_model = get_user_model()
    if not auditlog.contains(user_model):
        auditlog.register(user_model, exclude_fields=["password", "last_login"])


def client_address(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def _entry(
    *,
    actor: Any,
    obj: models.Model | None,
    event: str,
    request: Any = None,
    detail: dict[str, Any] | None = None,
    content_type: ContentType | None = None,
) -> LogEntry:
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    if content_type is None:
        content_type = ContentType.objects.get_for_model(
            obj if obj is not None else get_user_model()
        )
    data: dict[str, Any] = {"event": event}
    if detail:
        data.update(detail)
    return LogEntry(
        content_type=content_type,
        object_pk=str(obj.pk) if obj is not None else "",
        object_id=None,
        object_repr=str(obj) if obj is not None else event,
        action=LogEntry.Action.ACCESS,
        actor=actor_user,
        actor_email=getattr(actor_user, "email", None) or None,
        remote_addr=client_address(request),
        additional_data=data,
    )


def log_access(
    *,
    actor: Any,
    objects: Iterable[models.Model],
    request: Any = None,
    event: str = "read",
    detail: dict[str, Any] | None = None,
) -> int:
    """One ACCESS row per object shown, in one bulk insert."""
    rows = [
        _entry(actor=actor, obj=o, event=event, request=request, detail=detail) for o in objects
    ]
    if rows:
        LogEntry.objects.bulk_create(rows)
    return len(rows)


def log_event(
    *,
    actor: Any,
    event: str,
    obj: models.Model | None = None,
    request: Any = None,
    detail: dict[str, Any] | None = None,
) -> LogEntry:
    entry = _entry(actor=actor, obj=obj, event=event, request=request, detail=detail)
    entry.save()
    return entry


def record_decryption_failure(instance: models.Model, field: str, message: str) -> None:
    """A tampered ciphertext is never shown as an empty field: it fails loudly, and is audited."""
    from auditlog.context import auditlog_value

    try:
        actor = auditlog_value.get().get("actor")
    except LookupError:
        actor = None
    log_event(
        actor=actor,
        obj=instance,
        event="decryption_failed",
        detail={"field": field, "error": message},
    )
