"""Rows read from the database become instances without ``Model.__init__`` (core.models
``UUIDModel._from_row``): the instance must be the one Django's own ``from_db`` makes, deferred
columns and all, and Django's path must still be taken while anything listens for the signals
``__init__`` sends."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
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
    return models.Model.from_db.__func__(model, "default", names, values)  # type: ignore[attr-defined]


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
