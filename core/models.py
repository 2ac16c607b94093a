"""The abstract base of our models."""

from __future__ import annotations

import uuid

from django.db import models


class UUIDModel(models.Model):
    # Keys made in Python, so encrypted fields can bind to the row before the INSERT.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.ref}"

    @property
    def ref(self) -> str:
        return str(self.id).split("-")[0]
