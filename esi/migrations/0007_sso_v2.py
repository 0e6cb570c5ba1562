"""EVE SSO v2: the real expiry of access tokens, PKCE, wider character ids, indexes.

Rows from 2.x get ``expiry = created + 1170 s`` (what 2.x assumed), so they
read as expired and are refreshed on first use.

``refresh_token`` may be NULL first, as 2.x's own ``0008_nullable_refresh_token``
made it: the operations after it rebuild the table on SQLite, which copies a
2.x database's NULL refresh tokens only into a column that allows them.
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


class Migration(migrations.Migration):
    dependencies = [
        ("esi", "0001_initial_squashed_0006"),
    ]

    operations = [
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
