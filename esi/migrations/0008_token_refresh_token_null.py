"""Make sure ``esi_token.refresh_token`` allows NULL, as in django-esi 2.x.

``0007_sso_v2`` allows it from its first operation on; a database that ran an
earlier ``0007_sso_v2`` (before that operation was added) still has the column
NOT NULL, and this migration fixes it. Elsewhere it does nothing.

Named unlike 2.x's ``0008_nullable_refresh_token``, which databases migrated by
django-esi 2.x-8.x have recorded as applied: the same name would be taken as
applied while our ``0007_sso_v2`` is not, and ``migrate`` would refuse the
history as inconsistent.
"""

import copy

from django.db import migrations


def allow_null(apps, schema_editor):
    Token = apps.get_model("esi", "Token")
    field = Token._meta.get_field("refresh_token")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, Token._meta.db_table)
    if next(c for c in columns if c.name == field.column).null_ok:
        return
    not_null = copy.copy(field)
    not_null.null = False
    schema_editor.alter_field(Token, not_null, field)


class Migration(migrations.Migration):
    dependencies = [
        ("esi", "0007_sso_v2"),
    ]

    operations = [
        migrations.RunPython(allow_null, migrations.RunPython.noop, elidable=True),
    ]
