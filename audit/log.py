"""The audit trail, on django-auditlog: which models it follows, and the events and reads written
to it.

Each app names its own models in its ``AppConfig.ready()`` (``follow``), so this app never lists
the apps above it; encrypted fields are fully redacted in the change diff (auditlog's default mask
would keep half the value). Reads are logged here as ACCESS entries — one bulk insert per page —
because auditlog logs reads only when told to. Every entry is sealed into the hash chain
(audit.chain) in the transaction that writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import AppConfig
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from core import tenancy
from core.fields import encrypted_fields

from .chain import SETTING_STAMP, bulk_insert, insert_values, seal_entries
from .events import Event
from .models import ReadItem

REDACTED = "[encrypted]"
# A personal field kept in clear in its table (a child's name, a carer's telephone number) is
# never copied into the log: the log outlives the record it describes (a destroyed record leaves
# its audit rows behind, sealed into the chain). A model names its personal fields in
# ``confide_personal``.
PERSONAL = "[personal]"


# An event that must not be listed on the setting's audit pages (an allegation against a member of
# staff, and anything about its placeholders): it is in the chain like every event, and shown on
# the allegation's own page to whoever handles it. Its value is the allegation's id.
HELD_APART = "held_apart"


def redact(value: str) -> str:
    return REDACTED


def _withhold(model: type[models.Model], fields: Iterable[str]) -> None:
    if fields:
        _personal_by_model[model] = frozenset(fields)


# The personal fields of each followed model (its ``confide_personal``; the user model's here).
_personal_by_model: dict[type[models.Model], frozenset[str]] = {}


def follow(
    app_config: AppConfig,
    *,
    skip: Iterable[str] = (),
    exclude_fields: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """Log every change to the models of ``app_config`` (called from its ``ready()``).

    ``skip`` names models whose rows hold no personal content and change with every request;
    ``exclude_fields`` names, per model, fields never to diff (a secret's hash, say). Encrypted
    fields are masked whole; binary ones (attachments) are never diffed: their hash and size are.
    """
    excluded_by_model = {name: list(fields) for name, fields in (exclude_fields or {}).items()}
    for model in app_config.get_models():
        _withhold(model, getattr(model, "confide_personal", ()))
        if model.__name__ in skip or auditlog.contains(model):
            continue
        encrypted = encrypted_fields(model)
        excluded = [f.name for f in encrypted if f.empty_plain == b""]
        excluded += excluded_by_model.get(model.__name__, [])
        extra: dict[str, Any] = {"exclude_fields": excluded} if excluded else {}
        auditlog.register(
            model,
            mask_fields=[f.name for f in encrypted],
            mask_callable="audit.log.redact",
            m2m_fields={f.name for f in model._meta.many_to_many},
            **extra,
        )


def follow_user_model() -> None:
    """Accounts: changes to a user are logged, never the password hash or the last sign-in."""
    user_model = get_user_model()
    _withhold(user_model, ("first_name", "last_name", "email"))
    if not auditlog.contains(user_model):
        auditlog.register(user_model, exclude_fields=["password", "last_login"])


def client_address(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


SETTING_KEY = SETTING_STAMP


def _stamp_setting(data: dict[str, Any]) -> None:
    """Every event written while a setting is worked in says which (core.tenancy): its audit
    pages show its own events, and nobody else's."""
    working = tenancy.working_setting()
    if working is not None and SETTING_KEY not in data:
        data[SETTING_KEY] = str(working)


def _mask_personal(instance: LogEntry) -> None:
    if not instance.content_type_id:
        return
    model = ContentType.objects.get_for_id(instance.content_type_id).model_class()
    personal = _personal_by_model.get(model) if model is not None else None
    changes = instance.changes
    if not personal or not isinstance(changes, dict):
        return
    for name in personal & set(changes):
        changes[name] = _masked(changes[name])
    instance.changes = changes
    if instance.changes_text:
        instance.changes_text = ""


def _masked(change: Any) -> Any:
    """The same shape with every value withheld: [old, new], or a many-to-many change's dict."""
    if isinstance(change, list | tuple):
        return [PERSONAL if value not in (None, "None", "") else value for value in change]
    return PERSONAL


def stamp_change_row(sender: Any, *, instance: LogEntry, **kwargs: Any) -> None:
    """auditlog's own change rows are stamped as ours are (pre_save of LogEntry), and their
    personal fields are withheld."""
    if instance.pk is None:
        _mask_personal(instance)
        data = instance.additional_data if isinstance(instance.additional_data, dict) else {}
        _stamp_setting(data)
        if data:
            instance.additional_data = data


def _entry(
    *,
    actor: Any,
    obj: models.Model | None,
    event: str,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> LogEntry:
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    content_type = ContentType.objects.get_for_model(obj if obj is not None else get_user_model())
    data: dict[str, Any] = {"event": str(event)}
    if detail:
        data.update(detail)
    _stamp_setting(data)
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


def _access_rows(
    *,
    actor: Any,
    objects: Iterable[models.Model],
    event: str,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> list[LogEntry]:
    """Unsaved ACCESS rows, one per object, as ``_entry`` makes them, all stamped with the same
    time. What they share is worked out once, from one row made by ``_entry``; the others are
    built the way Django builds the rows it reads (values in column order), which is several
    times faster than keyword arguments on a page of a few hundred rows."""
    shared = _entry(actor=actor, obj=None, event=event, request=request, detail=detail)
    shared.timestamp = timezone.now()
    columns = [f.attname for f in LogEntry._meta.concrete_fields]
    base = [getattr(shared, attname) for attname in columns]
    at_content_type = columns.index("content_type_id")
    at_object_pk = columns.index("object_pk")
    at_object_repr = columns.index("object_repr")
    content_type_ids: dict[type[models.Model], int] = {}
    rows = []
    for obj in objects:
        model = type(obj)
        if model not in content_type_ids:
            content_type_ids[model] = ContentType.objects.get_for_model(model).pk
        values = base.copy()
        values[at_content_type] = content_type_ids[model]
        values[at_object_pk] = str(obj.pk)
        values[at_object_repr] = str(obj)
        rows.append(LogEntry(*values))
    return rows


def log_access(
    *,
    actor: Any,
    objects: Iterable[models.Model],
    request: HttpRequest | None = None,
    event: str = Event.READ,
    detail: dict[str, Any] | None = None,
) -> int:
    """One ACCESS row per object shown, in one bulk insert."""
    rows = _access_rows(actor=actor, objects=objects, event=event, request=request, detail=detail)
    if rows:
        # A bulk insert sends no post_save: the seals follow in one more insert, same transaction.
        with transaction.atomic(savepoint=False):
            bulk_insert(rows)
            user = actor if getattr(actor, "is_authenticated", False) else None
            seal_entries(rows, usernames={user.pk: user.get_username()} if user else None)
    return len(rows)


# The key of a page read event's additional_data that lists the ids of the items it showed.
READ_ITEMS = "read_items"


def log_page_read(
    *,
    actor: Any,
    objects: Sequence[models.Model],
    request: HttpRequest | None = None,
    event: str = Event.READ,
    detail: dict[str, Any] | None = None,
) -> LogEntry | None:
    """One read event for a page of items of one model (DESIGN.md allows one event per page):
    its LogEntry names the model and lists the items' ids in its sealed data, so every item read
    stays attributable to who read it, when and from where; the index rows (ReadItem) answer
    "who read this item" without reading every event's list. One row and one seal in place of
    one of each per item: on a 500-entry chronology the audit trail's share of the page fell
    from about a fifth to a twentieth (make bench, chronology)."""
    if not objects:
        return None
    entry, items = page_read_row(
        actor=actor, objects=objects, request=request, event=event, detail=detail
    )
    # The event, its seal (post_save) and its index rows commit together.
    with transaction.atomic(savepoint=False):
        entry.save()
        insert_values(ReadItem, ("entry_id", "object_pk"), [(entry.pk, pk) for pk in items])
    return entry


def page_read_row(
    *,
    actor: Any,
    objects: Sequence[models.Model],
    request: HttpRequest | None = None,
    event: str = Event.READ,
    detail: dict[str, Any] | None = None,
) -> tuple[LogEntry, list[str]]:
    """The unsaved read event log_page_read writes for these items (one model, at least one), and
    the ids it lists (one index row each); make bench-data inserts such rows in bulk."""
    model = type(objects[0])
    assert all(type(o) is model for o in objects), "a page read event covers one model"
    items = [str(o.pk) for o in objects]
    entry = _entry(
        actor=actor,
        obj=None,
        event=event,
        request=request,
        detail=(detail or {}) | {READ_ITEMS: items},  # the list a caller cannot replace
    )
    entry.content_type = ContentType.objects.get_for_model(model)
    if len(items) == 1:
        # Read alone: named as any row about one object (with its index row too, so a page
        # costs the same queries whatever it shows).
        entry.object_pk, entry.object_repr = items[0], str(objects[0])
    else:
        entry.object_repr = f"{len(items)} {model._meta.verbose_name_plural}"
    return entry, items


LISTED_AT_MOST = 20_000


def rows_about(model: type[models.Model], pks: Iterable[Any]) -> Q:
    """A filter of the LogEntry rows about these objects of ``model``: each one's own rows, and
    the page read events that listed one of them."""
    keys = [str(pk) for pk in pks]
    if not keys:
        return Q(pk__in=[])
    about = Q(content_type=ContentType.objects.get_for_model(model), object_pk__in=keys)
    # The page events' ids are read first (the index on the items' ids) and given as values: as
    # a subquery, PostgreSQL walked the whole log backwards by id testing it row by row (seconds
    # on a child with few audit rows in a large log), where a list lets it combine two indexes.
    # Past LISTED_AT_MOST events (a child read every day for years) the subquery is used: a
    # longer list would pass the number of values SQLite takes in one statement.
    pages = ReadItem.objects.filter(object_pk__in=keys).values_list("entry_id", flat=True)
    on_a_page = list(pages.distinct()[: LISTED_AT_MOST + 1])
    if len(on_a_page) > LISTED_AT_MOST:
        return about | Q(pk__in=pages)
    return about | Q(pk__in=on_a_page) if on_a_page else about


def listed_items(entry: LogEntry) -> list[str]:
    """The ids a read event (log_page_read) listed: what its index rows (ReadItem) repeat."""
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    items = data.get(READ_ITEMS)
    return [str(pk) for pk in items] if isinstance(items, list) else []


def log_event(
    *,
    actor: Any,
    event: str,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> LogEntry:
    entry = _entry(actor=actor, obj=obj, event=event, request=request, detail=detail)
    # The entry and its seal (post_save) commit together.
    with transaction.atomic(savepoint=False):
        entry.save()
    return entry


def record_decryption_failure(
    sender: Any, *, instance: models.Model, field: str, message: str, **kwargs: Any
) -> None:
    """A tampered ciphertext is never shown as an empty field: it fails loudly, and is audited.

    The reader is filled in by auditlog's middleware, which stamps the actor on every LogEntry
    saved during a request. (Reading auditlog's context variable here instead would name the last
    request's user outside a request: auditlog never resets it.) Connected to
    core.signals.decryption_failed.
    """
    log_event(
        actor=None,
        obj=instance,
        event=Event.DECRYPTION_FAILED,
        detail={"field": field, "error": message},
    )


def record_row_tampering(
    sender: Any, *, instance: models.Model, field: str, message: str, **kwargs: Any
) -> None:
    """A row that grants access failed its seal (core.integrity): it granted nothing, and the
    attempt is on the record. Connected to core.signals.row_tampered."""
    log_event(
        actor=None,
        obj=instance,
        event=Event.ROW_SEAL_FAILED,
        detail={"field": field, "error": message},
    )
