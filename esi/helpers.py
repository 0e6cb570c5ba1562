"""Helpers of django-esi 10.x: :func:`get_token`, :func:`pascal_case_string`."""

from __future__ import annotations

from typing import Any

from esi.models import Token
from esi.openapi_clients import pascal_case_string

__all__ = ["get_token", "pascal_case_string"]


def get_token(character_id: int, scopes: Any) -> Token:
    """Return a valid token of the character that carries all ``scopes``.

    Raise ``Token.DoesNotExist`` when the character has none.
    """
    token = Token.objects.filter(character_id=character_id).require_scopes(scopes).require_valid().first()
    if token is None:
        raise Token.DoesNotExist(
            f"No valid token found for character_id={character_id} with required scopes."
        )
    return token
