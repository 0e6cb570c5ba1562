"""``manage.py generate_esi_stubs``: write the OpenAPI face's type stub for a compatibility date."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

import esi


class Command(BaseCommand):
    help = "Write esi/stubs.pyi (or --output) for the spec of a compatibility date, for type checkers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--compatibility-date",
            default=None,
            help="YYYY-MM-DD (default: ESI_COMPATIBILITY_DATE, else the newest snapshot)",
        )
        parser.add_argument(
            "--output", default=None, help="file to write, '-' for stdout (default: esi/stubs.pyi)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from esi.app_settings import app_settings
        from esi.openapi_clients import snapshot_date
        from esi.openapi_clients.stubgen import render_stubs
        from esi.spec import SpecRequest, get_spec

        date = options["compatibility_date"] or str(app_settings.ESI_COMPATIBILITY_DATE or "newest")
        prepared = get_spec(SpecRequest(compatibility_date=date if date == "newest" else snapshot_date(date)))
        text = render_stubs(prepared.spec.spec_dict, prepared.label)
        output = options["output"] or str(Path(esi.__file__).parent / "stubs.pyi")
        if output == "-":
            self.stdout.write(text, ending="")
            return
        Path(output).write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {output} ({prepared.label})")
