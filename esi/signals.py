"""Signals of django-esi. The token signals are sent with ``sender=Token``."""

from django.dispatch import Signal

__all__ = ["esi_request_statistics", "token_created", "token_invalidated", "token_refreshed"]

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

# An ESI call of either face got its answer (sent by the HTTP layer, as in django-esi 10.x).
# Sender: esi.http.EsiRequestsClient.
# Arguments: operation (str, the operation id), status_code (int; 0 when served from the
# cache), headers (the response headers), latency (float seconds), bucket (str, the
# operation's rate-limit group or "").
esi_request_statistics = Signal()
