"""``esi/stubs.pyi``: the OpenAPI face's types for type checkers, generated from the models the face builds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from tests.conftest import require_module

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "esi" / "stubs.pyi"


def test_the_shipped_stub_is_the_generated_stub_of_the_bundled_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "stubs.pyi"
    call_command("generate_esi_stubs", "--compatibility-date", "2025-12-16", "--output", str(out))
    assert out.read_text(encoding="utf-8") == SHIPPED.read_text(encoding="utf-8"), (
        "esi/stubs.pyi is stale: run manage.py generate_esi_stubs --compatibility-date 2025-12-16"
    )


USER_CODE = """\
from esi.openapi_clients import ESIClientProvider
from esi.stubs import CharacterID, CharactersDetail, UniverseFactionsGet


def name_of(character: CharactersDetail) -> str:
    return character.name


def players(provider: ESIClientProvider) -> int:
    return provider.client.Status.GetStatus().result().players


def factions(provider: ESIClientProvider) -> UniverseFactionsGet:
    return provider.client.Universe.GetUniverseFactions().result()


def wrong_type(character: CharactersDetail) -> int:
    return character.name


def no_such_field(character: CharactersDetail) -> None:
    character.no_such_field


def an_id() -> CharacterID:
    return "not an int"


async def async_players(provider: ESIClientProvider) -> int:
    client = await provider.client_async
    status = await client.Status.GetStatus().result()
    return int(status.players)
"""


def test_a_type_checker_sees_the_models_fields_and_the_operations_answers(tmp_path: Path) -> None:
    require_module("mypy", "the type checker this test runs")
    code = tmp_path / "user_code.py"
    code.write_text(USER_CODE, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(REPO)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--follow-imports=silent",
            "--ignore-missing-imports",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            os.devnull,
            str(code),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = sorted(line.split(":")[1] for line in out.stdout.splitlines() if ": error:" in line)
    assert errors == ["18", "22", "26"], out.stdout
