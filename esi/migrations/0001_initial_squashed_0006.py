"""The schema of django-esi 2.x (its migrations 0001 to 0006), as one migration.

A fresh database runs this; a database migrated by django-esi 2.x already has
every migration it replaces, so Django marks it applied and goes on to 0007.
The 2.x scope seeding (its 0002) is left out: scopes are created on login.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("esi", "0001_initial"),
        ("esi", "0002_scopes_20161208"),
        ("esi", "0003_hide_tokens_from_admin_site"),
        ("esi", "0004_remove_unique_access_token"),
        ("esi", "0005_remove_token_length_limit"),
        ("esi", "0006_remove_url_length_limit"),
    ]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Scope",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The official EVE name for the scope.", max_length=100, unique=True
                    ),
                ),
                ("help_text", models.TextField(help_text="The official EVE description of the scope.")),
            ],
        ),
        migrations.CreateModel(
            name="Token",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "access_token",
                    models.TextField(editable=False, help_text="The access token granted by SSO."),
                ),
                (
                    "refresh_token",
                    models.TextField(
                        blank=True,
                        default="",
                        editable=False,
                        help_text="A re-usable token to generate new access tokens upon expiry.",
                    ),
                ),
                (
                    "character_id",
                    models.IntegerField(help_text="The ID of the EVE character who authenticated by SSO."),
                ),
                (
                    "character_name",
                    models.CharField(
                        help_text="The name of the EVE character who authenticated by SSO.", max_length=100
                    ),
                ),
                (
                    "token_type",
                    models.CharField(
                        choices=[("Character", "Character"), ("Corporation", "Corporation")],
                        default="Character",
                        help_text="The applicable range of the token.",
                        max_length=100,
                    ),
                ),
                (
                    "character_owner_hash",
                    models.CharField(
                        help_text=(
                            "The unique string identifying this character and its owning EVE account. "
                            "Changes if the owning account changes."
                        ),
                        max_length=254,
                    ),
                ),
                (
                    "scopes",
                    models.ManyToManyField(
                        blank=True, help_text="The access scopes granted by this token.", to="esi.scope"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="The user to whom this token belongs.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="CallbackRedirect",
            fields=[
                (
                    "id",
                    models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                ),
                (
                    "url",
                    models.TextField(
                        default="/", help_text="The internal URL to redirect this callback towards."
                    ),
                ),
                (
                    "session_key",
                    models.CharField(
                        help_text="Session key identifying the session this redirect was created for.",
                        max_length=254,
                        unique=True,
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        help_text="OAuth2 state string representing this session.", max_length=128
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "token",
                    models.ForeignKey(
                        blank=True,
                        help_text="Token generated by a completed code exchange from callback processing.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="esi.token",
                    ),
                ),
            ],
        ),
    ]
