"""Test ESI and EVE SSO offline: a fake ESI, a fake SSO, fixtures and factories."""

__all__: list[str] = []
