"""Signals of django-esi. Every signal is sent with ``sender=Token``."""

from django.dispatch import Signal

__all__ = ["token_created", "token_invalidated", "token_refreshed"]

# A login stored a token: a new row, or an equivalent token updated in place.
# Arguments: token (Token), user (the user or None), created (bool: a new row).
token_created = Signal()

# A token was refreshed: a new access token (and rotated refresh token) is saved.
# Sent once per call to SSO, by the worker that made it.
# Arguments: token (Token).
token_refreshed = Signal()

# A token was invalidated and deleted: SSO answered invalid_grant ("invalid_grant"),
# the character changed owner ("owner_changed"), a refresh answered for another
# character ("character_changed"), or it was revoked ("revoked").
# Network errors and SSO outages never send it.
# Arguments: token (Token, no longer in the database), reason (str).
token_invalidated = Signal()
