"""Ciphertexts are bound to the columns that decide who may read them: a row moved to another
child or downgraded in the database fails to decrypt, loudly and audited; the same change made
through the application re-encrypts in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from consent.models import Confidentiality, DiscloserKind, Disclosure
from core import crypto
from core.access import access_columns
from core.reencrypt import encrypted_models
from records.models import Category, Level, RecordEntry

from ..factories import make_entry


def raw(model: type[models.Model], pk: Any, field: str) -> str:
    return str(model._base_manager.filter(pk=pk).values_list(field, flat=True).get())


def failures_for(obj: models.Model) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(object_pk=str(obj.pk), additional_data__event="decryption_failed")
    )


def test_every_model_with_encrypted_fields_names_the_columns_that_decide_access():
    # A model added later with ciphertext but no access columns would only be bound to its row.
    missing = [m.__name__ for m in encrypted_models() if not access_columns(m)]
    assert missing == []
    for model in encrypted_models():
        names = {f.attname for f in model._meta.concrete_fields}
        assert set(access_columns(model)) <= names, model.__name__


@pytest.mark.django_db
def test_a_child_protection_entry_downgraded_in_the_database_is_refused_to_room_staff(
    people, client_for
):
    entry = make_entry(
        people.child,
        people.keyperson1,
        category=Category.CONCERN,
        level=Level.CHILD_PROTECTION,
        text="Said an adult at home hurt her.",
    )
    # Behind the application's back: the row now looks general, so room staff would be let in.
    RecordEntry.objects.filter(pk=entry.pk).update(level=Level.GENERAL, category=Category.GENERAL)

    response = client_for("practitioner").get(reverse("records:entry_detail", args=[entry.pk]))

    assert response.status_code == 500
    body = response.content.decode()
    assert "failed its integrity check" in body
    assert "hurt her" not in body
    # The first field the page reads (the body map) stops it: nothing after it is opened.
    [failure] = failures_for(entry)
    assert failure.additional_data["field"] in {"body_map", "text"}
    assert failure.actor == people.practitioner.user
    # The child's page lists the entry's title only; nothing of the text leaks there either.
    child_page = client_for("practitioner").get(
        reverse("records:child_detail", args=[people.child.pk])
    )
    assert "hurt her" not in child_page.content.decode()


@pytest.mark.django_db
def test_an_entry_moved_to_another_child_in_the_database_fails_to_decrypt(people, client_for):
    entry = make_entry(people.child, people.keyperson1, text="Told me about the new baby.")
    RecordEntry.objects.filter(pk=entry.pk).update(child=people.other_child)

    response = client_for("keyperson2").get(reverse("records:entry_detail", args=[entry.pk]))

    assert response.status_code == 500
    assert "new baby" not in response.content.decode()
    assert len(failures_for(entry)) == 1


@pytest.mark.django_db
def test_an_entry_given_another_author_in_the_database_fails_to_decrypt(people):
    entry = make_entry(people.child, people.keyperson1, text="Quiet all morning.")
    RecordEntry.objects.filter(pk=entry.pk).update(author=people.practitioner)
    with pytest.raises(crypto.DecryptionError):
        RecordEntry.objects.get(pk=entry.pk).text  # noqa: B018
    assert len(failures_for(entry)) == 1


@pytest.mark.django_db
def test_a_disclosure_downgraded_or_moved_in_the_database_fails_to_decrypt(people):
    told = Disclosure(
        child=people.child,
        author=people.keyperson1,
        level=Level.CHILD_PROTECTION,
        discloser_kind=DiscloserKind.RELATIVE,
        discloser_name="A fictional neighbour",
        received_by=people.keyperson1,
        disclosed_at=timezone.now(),
        what="Heard shouting every night.",
        confidentiality=Confidentiality.YES,
    )
    told.save()
    Disclosure.objects.filter(pk=told.pk).update(level=Level.GENERAL)
    with pytest.raises(crypto.DecryptionError):
        Disclosure.objects.get(pk=told.pk).what  # noqa: B018
    Disclosure.objects.filter(pk=told.pk).update(level=Level.CHILD_PROTECTION)
    assert Disclosure.objects.get(pk=told.pk).what == "Heard shouting every night."
    Disclosure.objects.filter(pk=told.pk).update(child=people.other_child)
    with pytest.raises(crypto.DecryptionError):
        Disclosure.objects.get(pk=told.pk).what  # noqa: B018
    assert len(failures_for(told)) == 2


@pytest.mark.django_db
def test_changing_the_level_through_the_application_re_encrypts_in_the_same_save(people):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN, text="Bruise.")
    before = raw(RecordEntry, entry.pk, "text")

    entry.level = Level.CHILD_PROTECTION
    entry.save()

    after = raw(RecordEntry, entry.pk, "text")
    assert after != before
    reread = RecordEntry.objects.get(pk=entry.pk)
    assert (reread.level, reread.text) == (Level.CHILD_PROTECTION, "Bruise.")
    assert failures_for(entry) == []


@pytest.mark.django_db(transaction=True)
def test_a_level_change_that_fails_afterwards_leaves_row_and_ciphertext_as_they_were(people):
    entry = make_entry(people.child, people.keyperson1, category=Category.CONCERN, text="Bruise.")
    before = raw(RecordEntry, entry.pk, "text")

    with pytest.raises(RuntimeError), transaction.atomic():
        entry.level = Level.CHILD_PROTECTION
        entry.save()
        raise RuntimeError("the next step of the change failed")

    reread = RecordEntry.objects.get(pk=entry.pk)
    assert raw(RecordEntry, entry.pk, "text") == before
    assert (reread.level, reread.text) == (Level.SENSITIVE, "Bruise.")


@pytest.mark.django_db
def test_moving_an_entry_to_another_child_through_the_application_re_encrypts(people):
    entry = make_entry(people.child, people.keyperson1, text="Filed on the wrong child.")
    entry.child = people.other_child
    entry.save()
    assert RecordEntry.objects.get(pk=entry.pk).text == "Filed on the wrong child."
