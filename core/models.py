"""The abstract base of our models."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

from .access import access_of


class UUIDModel(models.Model):
    # Keys made in Python, so encrypted fields can bind to the row before the INSERT.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    # The columns that decide who may read a row of a model with encrypted fields (core.fields);
    # each such model names its own. A migration's historical models have none: what they write
    # is in the first format, which `manage.py reencrypt` converts.
    confide_access: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.ref}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if getattr(type(self), "confide_access", None):
            self.__dict__["_confide_loaded_access"] = access_of(self, load=False)

    @property
    def ref(self) -> str:
        return str(self.id).split("-")[0]

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Any:
        if pre_init.has_listeners(cls) or post_init.has_listeners(cls):
            instance = super().from_db(db, field_names, values, **kwargs)
        else:
            instance = cls._from_row(db, field_names, values, kwargs.get("fetch_mode"))
        if getattr(cls, "confide_access", None):
            # What the row's ciphertexts are bound to, so a change made by the application
            # re-encrypts them (core.fields).
            instance.__dict__["_confide_loaded_access"] = access_of(instance, load=False)
        return instance

    @classmethod
    def _from_row(cls, db: Any, field_names: Any, values: Any, fetch_mode: Any) -> Any:
        """What Django's ``from_db`` makes, without ``__init__``: the row's values go straight
        into the instance's dictionary, by their attribute names, and a deferred column is simply
        absent, as there. ``__init__`` handles keyword arguments, defaults and descriptors value
        by value, none of which a row from the database needs: on a 500-entry chronology it was
        a third of the time spent reading the entries (make bench, chronology). Used only while
        nothing listens for the signals ``__init__`` sends."""
        instance = cls.__new__(cls)
        state = instance._state = ModelState()
        state.adding = False
        state.db = db
        if fetch_mode is not None:
            state.fetch_mode = fetch_mode
        instance.__dict__.update(zip(field_names, values, strict=True))
        return instance


class SealedRowModel(UUIDModel):
    """A row that grants access without holding a ciphertext: its deciding columns
    (``confide_sealed``) are sealed with a MAC on every save (core.integrity), and the policy uses
    the row only while the seal verifies."""

    confide_sealed: tuple[str, ...] = ()
    row_seal = models.CharField(max_length=100, blank=True, default="", editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        from . import integrity, keys  # they import this module (DataKey)

        if keys.ready():
            self.row_seal = integrity.seal_instance(self, self.confide_sealed)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "row_seal"}
        super().save(*args, **kwargs)

    def reseal(self) -> None:
        """After a conditional UPDATE of a deciding column: seal the row as it now is."""
        from . import integrity  # it imports this module (DataKey)

        self.refresh_from_db()
        self.row_seal = integrity.seal_instance(self, self.confide_sealed)
        type(self)._base_manager.filter(pk=self.pk).update(row_seal=self.row_seal)

    def is_intact(self) -> bool:
        from . import integrity  # it imports this module (DataKey)

        return integrity.instance_is_intact(self, self.confide_sealed)


class DataKeyQuerySet(models.QuerySet["DataKey"]):
    def live(self) -> DataKeyQuerySet:
        return self.filter(destroyed_at__isnull=True)


class DataKey(models.Model):
    """One data key of the hierarchy (core.keys), wrapped: a setting's under a master key, a
    child's or a member of staff's under their setting's key. The owner is named by its id:
    core names no model of ours."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    scope = models.CharField(max_length=10)
    owner = models.UUIDField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # For a setting's key: which of CONFIDE_ENCRYPTION_KEYS wraps it.
    master_key_id = models.CharField(max_length=64, blank=True)
    wrapped = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Crypto-shredding: the wrapped bytes are erased, the row kept as the proof.
    destroyed_at = models.DateTimeField(null=True, blank=True)

    objects = DataKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "owner"],
                condition=models.Q(destroyed_at__isnull=True),
                name="one_live_data_key_per_owner",
            )
        ]

    def __str__(self) -> str:
        return f"data key {str(self.id).split('-')[0]} ({self.scope})"


class ScheduledJob(models.Model):
    """A periodic job's state (core.schedules): when it last ran, how it ended, and its lease."""

    name = models.CharField(max_length=60, primary_key=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_message = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"scheduled job {self.name}"


class UnreferencedFile(models.Model):
    """An object of the file store that no row referred to when the daily sweep saw it
    (core.filestore.sweep), and since when: a later sweep deletes it if it is still unreferenced
    a day after, so a copy of a row loaded before its file was replaced cannot write back a
    reference to an object deleted under it."""

    name = models.CharField(max_length=100, primary_key=True)
    since = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
