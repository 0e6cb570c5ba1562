"""A migration of django-esi 2.x-10.x by name only: there it made ``sso_version`` default to 2.

The names of django-esi 2.x-10.x stay in the graph, in their order, so that the
migrations of other apps that depend on them (Alliance Auth 5 depends on
``0012_fix_token_type_choices``) resolve, and a database migrated by any of those
releases has a consistent history here. What they changed, ``0007_sso_v2`` does
(or adopts) for every database, so this one does nothing.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("esi", "0009_set_old_tokens_to_sso_v1"),
    ]

    operations = []
