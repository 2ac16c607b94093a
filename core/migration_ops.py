"""Operations for migrations that move a model from one app to another, keeping its table.

A model's content type is renamed in place (its id kept), so the audit log's entries about the
model — and the seals of the hash chain, which cover the content type's id — stay as they were and
name the model in its new app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as django_apps
from django.db import migrations

from . import crypto, keys
from .access import access_columns


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


def encrypt_in_place(
    app_label: str, model_name: str, fields: Iterable[str]
) -> migrations.RunPython:
    """Encrypt, row by row, the values of columns that were plain text until this migration made
    them encrypted fields: each bound to its table, field and row, as the field itself would.
    Values already encrypted (a second run) are left as they are. Reversible."""
    names = list(fields)

    def _rows(apps: Any, schema_editor: Any) -> tuple[Any, Any, str, list[str]]:
        model = apps.get_model(app_label, model_name)
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        columns = [model._meta.get_field(name).column for name in names]
        return model, connection, quote(model._meta.db_table), columns

    def is_sealed(value: str) -> bool:
        key_id, sep, _ = value.partition(":")
        return bool(sep) and key_id in crypto.keyring().keys

    def forwards(apps: Any, schema_editor: Any) -> None:
        model, connection, table, columns = _rows(apps, schema_editor)
        label = f"{app_label}.{model.__name__}"
        quote = connection.ops.quote_name
        pk = quote(model._meta.pk.column)
        with connection.cursor() as cursor:
            for name, column in zip(names, columns, strict=True):
                cursor.execute(f"SELECT {pk}, {quote(column)} FROM {table}")  # noqa: S608
                for row_pk, value in cursor.fetchall():
                    if not value or is_sealed(value):
                        continue
                    aad = crypto.associated_data(label, name, model._meta.pk.to_python(row_pk))
                    sealed = crypto.encrypt_bytes(value.encode(), aad)
                    cursor.execute(
                        f"UPDATE {table} SET {quote(column)} = %s WHERE {pk} = %s",  # noqa: S608
                        [sealed, row_pk],
                    )

    def backwards(apps: Any, schema_editor: Any) -> None:
        model, connection, table, columns = _rows(apps, schema_editor)
        label = f"{app_label}.{model.__name__}"
        quote = connection.ops.quote_name
        pk = quote(model._meta.pk.column)
        # Values written since the key hierarchy are bound to the columns that decide access, as
        # the installed model names them; they are read here as the field itself would.
        real = django_apps.get_model(app_label, model_name)
        access = [f for f in real._meta.concrete_fields if f.attname in access_columns(real)]
        access.sort(key=lambda f: access_columns(real).index(f.attname))
        selected = ", ".join([pk, *(quote(f.column) for f in access)])
        with connection.cursor() as cursor:
            for name, column in zip(names, columns, strict=True):
                cursor.execute(f"SELECT {selected}, {quote(column)} FROM {table}")  # noqa: S608
                for row_pk, *values, value in cursor.fetchall():
                    if value and keys.is_sealed_v2(value):
                        row = real(pk=model._meta.pk.to_python(row_pk))
                        bound = tuple(
                            (f.attname, "" if v is None else str(f.to_python(v)))
                            for f, v in zip(access, values, strict=True)
                        )
                        field = real._meta.get_field(name)
                        plain = field.from_bytes(keys.decrypt(value, field.access_aad(row, bound)))
                        cursor.execute(
                            f"UPDATE {table} SET {quote(column)} = %s WHERE {pk} = %s",  # noqa: S608
                            [plain, row_pk],
                        )
                        continue
                    if not value or not is_sealed(value):
                        continue
                    aad = crypto.associated_data(label, name, model._meta.pk.to_python(row_pk))
                    plain = crypto.decrypt_bytes(value, aad).decode()
                    cursor.execute(
                        f"UPDATE {table} SET {quote(column)} = %s WHERE {pk} = %s",  # noqa: S608
                        [plain, row_pk],
                    )
            if connection.vendor == "postgresql":
                # The field's type changes next, in this transaction: PostgreSQL refuses to alter a
                # table with foreign-key checks still queued, so they run now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return migrations.RunPython(forwards, backwards)
