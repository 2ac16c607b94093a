"""Operations for migrations that move a model from one app to another, keeping its table.

A model's content type is renamed in place (its id kept), so the audit log's entries about the
model — and the seals of the hash chain, which cover the content type's id — stay as they were and
name the model in its new app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import migrations


def move_content_types(old_app: str, new_app: str, models: Iterable[str]) -> migrations.RunPython:
    names = [name.lower() for name in models]

    def rename(apps: Any, schema_editor: Any, source: str, target: str) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        rows = content_type.objects.using(schema_editor.connection.alias)
        for name in names:
            # On a new database the content types are made after the migrations, in the new app.
            if not rows.filter(app_label=target, model=name).exists():
                rows.filter(app_label=source, model=name).update(app_label=target)

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, schema_editor, old_app, new_app),
        lambda apps, schema_editor: rename(apps, schema_editor, new_app, old_app),
    )
