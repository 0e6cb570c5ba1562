"""``manage.py esi_snapshot``: the same commands as ``python -m spec_snapshots``.

Run with Django settings, so ``ESI_SPEC_SNAPSHOT_DIRS`` gives the snapshot
directories. ``manage.py esi_snapshot --help`` lists the commands;
``manage.py esi_snapshot diff --help`` describes one.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from spec_snapshots.cli import CliError, build_parser, execute


class Command(BaseCommand):
    help = (
        "Manage ESI spec snapshots: list, import FILE, update, diff A B, derive-report, derive. "
        "Same as `python -m spec_snapshots`; `esi_snapshot COMMAND --help` for details."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="COMMAND and its options")

    def handle(self, *args: Any, **options: Any) -> None:
        argv = [*args, *options["arguments"]]
        if not argv:
            build_parser("manage.py esi_snapshot").print_help(self.stdout)
            return
        try:
            execute(argv, stdout=self.stdout, prog="manage.py esi_snapshot")
        except CliError as exc:
            raise CommandError(str(exc), returncode=2) from None
