"""The columns that decide who may read a row (a model's ``confide_access``: level, child,
author...), read as the encrypted fields bind their ciphertexts to them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps

Access = tuple[tuple[str, str], ...]
_UNLOADED = object()


def _real_model(model: Any) -> Any:
    """The model itself, or, for a migration's historical model (which has neither the class
    attributes nor the methods of ours), the installed model of the same name."""
    if hasattr(model, "confide_access"):
        return model
    try:
        return apps.get_model(model._meta.label)
    except LookupError:
        return None


# Asked for every row read or written: worked out once per model class (a migration's historical
# models are classes of their own).
_columns: dict[Any, tuple[str, ...]] = {}
_owners: dict[Any, Callable[[Any], Any] | None] = {}


def access_columns(model: Any) -> tuple[str, ...]:
    found = _columns.get(model)
    if found is None:
        real = _real_model(model)
        found = _columns[model] = (
            tuple(getattr(real, "confide_access", ())) if real is not None else ()
        )
    return found


def owner_function(model: Any) -> Callable[[Any], Any] | None:
    """The model's ``confide_owner``, callable with a historical instance too."""
    if model not in _owners:
        real = _real_model(model)
        _owners[model] = getattr(real, "confide_owner", None) if real is not None else None
    return _owners[model]


def access_of(instance: Any, *, load: bool = True) -> Access | None:
    """The row's values of those columns, as strings; None when one was not loaded and ``load``
    is off (reading a deferred column would cost a query), or when a historical model does not
    have one of them yet."""
    values = instance.__dict__
    columns = access_columns(type(instance))
    # Asked once per encrypted field of a row: the strings are made once for the values the row
    # holds (a UUID's str() is most of the cost), and again only when one of them changes.
    memo = values.get("_confide_access_memo")
    if memo is not None:
        raw = tuple(values.get(attname, _UNLOADED) for attname in columns)
        if memo[0] == raw:
            found: Access = memo[1]
            return found
    out = []
    for attname in columns:
        if attname not in values:
            if not load:
                return None
            try:
                getattr(instance, attname)  # a deferred column: loaded as Django would
            except AttributeError:
                return None
            if attname not in instance.__dict__:
                return None
        value = values[attname]
        out.append((attname, "" if value is None else str(value)))
    access = tuple(out)
    values["_confide_access_memo"] = (tuple(values[attname] for attname in columns), access)
    return access
