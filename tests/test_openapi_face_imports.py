"""A site that never uses the OpenAPI face pays nothing for it: pydantic is imported on its first call only.

Each check runs in a fresh interpreter (``sys.modules`` of this one has seen everything).
"""

from __future__ import annotations

import json
import os

from tests.test_import_graph import REPO, _python

_PRELUDE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django
django.setup()
def loaded():
    return sorted(m for m in ("pydantic", "pydantic_core") if m in sys.modules)
"""


def _run(body: str) -> dict[str, list[str]]:
    out = _python(_PRELUDE + body, {**os.environ, "PYTHONPATH": str(REPO)})
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_django_start_up_and_a_bravado_era_call_import_no_pydantic() -> None:
    found = _run(
        """
after_setup = loaded()
import esi.decorators, esi.tasks, esi.views, esi.admin, esi.urls, esi.errors
from esi.clients import EsiClientProvider
from esi_testing import FakeESI
with FakeESI() as fake, fake.override_settings():
    EsiClientProvider().client.Status.get_status().result()
print(json.dumps({"after_setup": after_setup, "after_call": loaded()}))
"""
    )
    assert found == {"after_setup": [], "after_call": []}


def test_importing_the_openapi_face_imports_no_pydantic_and_its_first_call_does() -> None:
    found = _run(
        """
import esi.openapi_clients, esi.exceptions, esi.stubs, esi.rate_limiting, esi.helpers, esi.tests.factories_2
from esi.openapi_clients import ESIClientProvider
provider = ESIClientProvider("2025-12-16", "App", "1.0")
after_import = loaded()
from esi_testing import FakeESI
with FakeESI(snapshot="2025-12-16") as fake, fake.override_settings():
    provider.client.Status.GetStatus().result()
print(json.dumps({"after_import": after_import, "after_call": loaded()}))
"""
    )
    assert found == {"after_import": [], "after_call": ["pydantic", "pydantic_core"]}
