"""Rows read from the database become instances without ``Model.__init__`` (core.models
``UUIDModel._from_row``): the instance must be the one Django's own ``from_db`` makes, deferred
columns and all, and Django's path must still be taken while anything listens for the signals
``__init__`` sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.models.fetch_modes import FETCH_ONE
from django.db.models.signals import post_init, pre_init

from records.models import Category, Child, RecordEntry

from ..factories import make_entry


def columns(instance: models.Model) -> dict[str, Any]:
    return {
        f.attname: instance.__dict__[f.attname]
        for f in type(instance)._meta.concrete_fields
        if f.attname in instance.__dict__
    }


def by_django(instance: models.Model, only: tuple[str, ...] = ()) -> models.Model:
    """The same row, made by Django's own Model.from_db from the same converted values."""
    model = type(instance)
    names = [f.attname for f in model._meta.concrete_fields if not only or f.name in only]
    values = model._base_manager.filter(pk=instance.pk).values_list(*names).get()
    # As a queryset reads rows (its default fetch mode).
    from_db = models.Model.from_db.__func__  # type: ignore[attr-defined]
    return from_db(model, "default", names, values, fetch_mode=FETCH_ONE)


@pytest.mark.django_db
def test_a_row_read_is_the_instance_django_would_make(people: Any) -> None:
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN, text="A worry.")
    ours = RecordEntry.objects.get(pk=entry.pk)
    django_made = by_django(entry)
    assert columns(ours) == columns(django_made)
    assert ours._state.adding is False and ours._state.db == "default"
    assert ours.get_deferred_fields() == django_made.get_deferred_fields() == set()
    assert ours.text == "A worry."  # decrypted, bound to its row's columns
    assert ours.child == people.child  # a relation loads as before


def state(instance: models.Model) -> dict[str, Any]:
    """Everything on the instance but what reading it caches (decrypted values, access memos)."""
    return {
        "dict": sorted(k for k in vars(instance) if not k.startswith(("_plain_", "_confide_"))),
        "state": {k: v for k, v in vars(instance._state).items() if k != "fields_cache"},
    }


@pytest.mark.django_db
def test_nothing_else_differs_from_djangos_instance(people: Any) -> None:
    # A Django upgrade that sets more in __init__ shows here.
    entry = make_entry(people.child, people.keyperson1)
    ours, django_made = RecordEntry.objects.get(pk=entry.pk), by_django(entry)
    assert state(ours) == state(django_made)
    raw = RecordEntry.objects.raw("SELECT * FROM records_recordentry WHERE id = %s", [entry.pk.hex])
    assert state(next(iter(raw))) == state(django_made)


@pytest.mark.django_db
def test_related_rows_read_with_a_join_are_made_the_same_way(people: Any) -> None:
    entry = make_entry(people.child, people.keyperson1, text="Sang at circle time.")
    ours = RecordEntry.objects.select_related("child", "author").get(pk=entry.pk)
    django_child = by_django(people.child)
    assert columns(ours.child) == columns(django_child)
    assert state(ours.child) == state(django_child)
    assert ours.author.full_name == people.keyperson1.full_name
    assert ours.text == "Sang at circle time."


@pytest.mark.django_db
def test_deferred_columns_stay_deferred_and_load_on_reading(people: Any) -> None:
    entry = make_entry(people.child, people.keyperson1, text="Painted a rainbow.")
    ours = RecordEntry.objects.only("id", "child", "level").get(pk=entry.pk)
    django_made = by_django(entry, only=("id", "child", "level"))
    assert ours.get_deferred_fields() == django_made.get_deferred_fields()
    assert "text" in ours.get_deferred_fields()
    assert ours.text == "Painted a rainbow."  # loaded when read, as Django does
    assert "text" not in ours.get_deferred_fields()


@pytest.mark.django_db
def test_a_listener_for_init_signals_gets_djangos_own_path(people: Any) -> None:
    heard: list[tuple[str, Any]] = []

    def before(sender: Any, **kwargs: Any) -> None:
        heard.append(("pre", sender))

    def after(sender: Any, instance: Any, **kwargs: Any) -> None:
        heard.append(("post", instance.pk))

    for signal, receiver in ((pre_init, before), (post_init, after)):
        signal.connect(receiver, sender=Child)
        try:
            heard.clear()
            child = Child.objects.get(pk=people.child.pk)
            assert heard, f"{signal} was not sent"
            assert child.first_name == people.child.first_name
        finally:
            signal.disconnect(receiver, sender=Child)
    heard.clear()
    Child.objects.get(pk=people.child.pk)
    assert heard == []  # disconnected: the quick path again


@pytest.mark.django_db
def test_the_quick_path_calls_no_init(people: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []
    original = Child.__init__

    def counting(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Child, "__init__", counting)
    children = list(Child.objects.filter(pk=people.child.pk))
    assert len(children) == 1 and made == []
