"""EVE SSO v2: the real expiry of access tokens, PKCE, wider character ids, indexes.

Rows from 2.x get ``expiry = created + 1170 s`` (what 2.x assumed), so they
read as expired and are refreshed on first use.

``refresh_token`` may be NULL first, as 2.x's own ``0008_nullable_refresh_token``
made it: the operations after it rebuild the table on SQLite, which copies a
2.x database's NULL refresh tokens only into a column that allows them.

It comes after the names of 2.x-10.x's migrations ``0007``-``0013`` (empty
here, see ``0007_fix_mysql_8_migration``). A database migrated by django-esi
4.x-10.x is adopted first: its index on ``character_id`` is dropped (ours, of the same name, is
created below), its ``sso_version`` column (NOT NULL, which our inserts leave
out) gets the database default 2 (SQLite's rebuild drops the column instead),
and its lower-case ``token_type`` values read as ours.
"""

import datetime

from django.db import migrations, models
from django.db.models import F

import esi.models


def backfill_expiry(apps, schema_editor):
    Token = apps.get_model("esi", "Token")
    Token.objects.using(schema_editor.connection.alias).update(
        expiry=F("created") + datetime.timedelta(seconds=1170)
    )


def adopt_8x_schema(apps, schema_editor):
    Token = apps.get_model("esi", "Token")
    table = Token._meta.db_table
    connection = schema_editor.connection
    quote = schema_editor.quote_name
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    for name, info in constraints.items():
        if info["columns"] == ["character_id"] and info["index"] and not (info["unique"] or info["primary_key"]):
            schema_editor.execute(schema_editor.sql_delete_index % {"table": quote(table), "name": quote(name)})
    if "sso_version" in columns and connection.vendor in ("postgresql", "mysql"):
        schema_editor.execute(f"ALTER TABLE {quote(table)} ALTER COLUMN {quote('sso_version')} SET DEFAULT 2")
    tokens = Token.objects.using(connection.alias)
    for kind in ("Character", "Corporation"):
        tokens.filter(token_type=kind.lower()).update(token_type=kind)


class Migration(migrations.Migration):
    dependencies = [
        # after the names of 2.x-10.x's migrations (see 0007_fix_mysql_8_migration)
        ("esi", "0013_squashed_0012_fix_token_type_choices"),
    ]

    operations = [
        migrations.RunPython(adopt_8x_schema, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="token",
            name="refresh_token",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                help_text="A re-usable token to generate new access tokens upon expiry.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="token",
            name="expiry",
            field=models.DateTimeField(null=True, editable=False),
        ),
        migrations.RunPython(backfill_expiry, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="token",
            name="expiry",
            field=models.DateTimeField(
                db_index=True,
                default=esi.models.default_expiry,
                editable=False,
                help_text="When the access token expires (the JWT's exp).",
            ),
        ),
        migrations.AlterField(
            model_name="token",
            name="character_id",
            field=models.BigIntegerField(
                db_index=True, help_text="The ID of the EVE character who authenticated by SSO."
            ),
        ),
        migrations.AddField(
            model_name="callbackredirect",
            name="code_verifier",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                help_text="PKCE code verifier of this login (empty without PKCE).",
                max_length=128,
            ),
        ),
    ]
