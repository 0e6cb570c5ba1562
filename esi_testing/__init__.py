"""Test ESI and EVE SSO offline: a fake ESI, a fake SSO, fixtures and factories.

Usable without pytest::

    from esi_testing import FakeESI

    with FakeESI() as fake:
        ...  # requests to https://esi.evetech.net and https://login.eveonline.com are answered

Names are imported on first use, so loading the pytest plugin (which imports this
package) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esi_testing.fake import DropConnection, HoldConnection
    from esi_testing.fake.faked import FakeESI, parse_duration
    from esi_testing.fake.inprocess import InProcessTransport
    from esi_testing.fake.server import FakeESIServer
    from esi_testing.fake.sso import FakeSSO, mint_access_token

__all__ = [
    "DropConnection",
    "FakeESI",
    "FakeESIServer",
    "FakeSSO",
    "HoldConnection",
    "InProcessTransport",
    "mint_access_token",
    "parse_duration",
]

_WHERE = {
    "DropConnection": "esi_testing.fake",
    "FakeESI": "esi_testing.fake.faked",
    "FakeESIServer": "esi_testing.fake.server",
    "FakeSSO": "esi_testing.fake.sso",
    "HoldConnection": "esi_testing.fake",
    "InProcessTransport": "esi_testing.fake.inprocess",
    "mint_access_token": "esi_testing.fake.sso",
    "parse_duration": "esi_testing.fake.faked",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'esi_testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
