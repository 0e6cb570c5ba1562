"""The models of django-esi: scopes, SSO tokens, and pending logins."""

from __future__ import annotations

import datetime
import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, ClassVar

try:
    import fcntl
except ImportError:  # Windows: SQLite processes fall back to INVALID_GRANT_GRACE
    fcntl = None  # type: ignore[assignment]

from django.conf import settings
from django.db import DatabaseError, connections, models, router, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import signals, sso
from .app_settings import app_settings
from .errors import (
    IncompleteResponseError,
    InvalidGrant,
    InvalidJWT,
    NotRefreshableTokenError,
    SSOError,
    TokenExpiredError,
    TokenInvalidError,
)
from .managers import CallbackRedirectManager, TokenManager

if TYPE_CHECKING:
    from bravado.client import SwaggerClient

__all__ = ["CallbackRedirect", "Scope", "Token", "default_expiry"]

logger = logging.getLogger(__name__)

#: What SSO v1 tokens lived, and what a token made by hand is assumed to live.
ASSUMED_TOKEN_LIFETIME = datetime.timedelta(seconds=1170)


def default_expiry() -> datetime.datetime:
    """Return the expiry of a token whose real expiry is unknown (one made by hand)."""
    return timezone.now() + ASSUMED_TOKEN_LIFETIME


class Scope(models.Model):
    """An access scope granted by EVE SSO."""

    name = models.CharField(max_length=100, unique=True, help_text="The official EVE name for the scope.")
    help_text = models.TextField(help_text="The official EVE description of the scope.")

    def __str__(self) -> str:
        return self.name

    @property
    def friendly_name(self) -> str:
        """Return the readable part of the name: ``read_skills`` for ``esi-skills.read_skills.v1``."""
        return self.friendly_name_of(self.name)

    @staticmethod
    def friendly_name_of(name: str) -> str:
        """Return the readable part of a scope name."""
        try:
            return re.sub("_", " ", name.split(".")[1]).strip()
        except IndexError:
            return name


class _RefreshLocks:
    """One lock per token row, for the threads of this process and, on SQLite, other processes.

    Threads queue on a :class:`threading.Lock` per row; the locks are dropped
    when no thread holds or waits for them, so the table does not grow with
    the number of tokens ever refreshed. Processes sharing an SQLite file
    (which has no row locks) queue on a one-byte POSIX record lock at offset
    ``pk`` of a lock file beside the database.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, int], tuple[threading.Lock, int]] = {}
        # one descriptor per lock file, never closed: closing any descriptor of
        # a file drops every POSIX lock the process holds on it
        self._files: dict[str, int | None] = {}

    @contextmanager
    def hold(self, db: str, pk: int, across_processes: bool) -> Iterator[bool]:
        """Hold the lock of row ``pk``; yield whether other processes are locked out too."""
        key = (db, pk)
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                fd = self._lock_file(db) if across_processes else None
                if fd is None:
                    yield False
                    return
                fcntl.lockf(fd, fcntl.LOCK_EX, 1, pk)
                try:
                    yield True
                finally:
                    fcntl.lockf(fd, fcntl.LOCK_UN, 1, pk)
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)

    def _lock_file(self, db: str) -> int | None:
        """Return the lock file of an SQLite database file, or None (no fcntl, in-memory, unwritable)."""
        name = str(connections[db].settings_dict.get("NAME") or "")
        if fcntl is None or not name or name == ":memory:" or "mode=memory" in name:
            return None
        path = f"{name}.esi-refresh-lock"
        with self._guard:
            if path not in self._files:
                try:
                    self._files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError as exc:
                    logger.warning("No refresh lock file %s (%s): processes may refresh at once", path, exc)
                    self._files[path] = None
            return self._files[path]


_refresh_locks = _RefreshLocks()

#: Seconds an ``invalid_grant`` is doubted when other processes may refresh at once (see ``Token.refresh``).
INVALID_GRANT_GRACE = 2.0
_INVALID_REASONS = {
    "invalid_grant": "SSO refused its refresh token",
    "owner_changed": "its character changed owner",
    "character_changed": "SSO answered for another character",
}
#: The fields a refresh writes; they are saved together in one UPDATE.
_REFRESHED_FIELDS = ("access_token", "refresh_token", "expiry", "character_name", "character_owner_hash")


class Token(models.Model):
    """An EVE SSO token: the character, its scopes, and the access and refresh tokens.

    Rows from SSO v1 (django-esi 2.x) keep working: their access token is
    refreshed on first use.
    """

    created = models.DateTimeField(auto_now_add=True)
    access_token = models.TextField(help_text="The access token granted by SSO.", editable=False)
    # null=True as in 2.x: its rows and its callers may hold None (a token that cannot refresh)
    refresh_token = models.TextField(
        blank=True,
        null=True,
        default="",
        help_text="A re-usable token to generate new access tokens upon expiry.",
        editable=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        blank=True,
        null=True,
        help_text="The user to whom this token belongs.",
    )
    character_id = models.BigIntegerField(
        db_index=True, help_text="The ID of the EVE character who authenticated by SSO."
    )
    character_name = models.CharField(
        max_length=100, help_text="The name of the EVE character who authenticated by SSO."
    )
    token_type = models.CharField(
        max_length=100,
        choices=(("Character", "Character"), ("Corporation", "Corporation")),
        default="Character",
        help_text="The applicable range of the token.",
    )
    character_owner_hash = models.CharField(
        max_length=254,
        help_text=(
            "The unique string identifying this character and its owning EVE "
            "account. Changes if the owning account changes."
        ),
    )
    scopes = models.ManyToManyField(Scope, blank=True, help_text="The access scopes granted by this token.")
    expiry = models.DateTimeField(
        default=default_expiry,
        db_index=True,
        editable=False,
        help_text="When the access token expires (the JWT's exp).",
    )

    objects: ClassVar[TokenManager] = TokenManager()

    def __str__(self) -> str:
        return f"{self.character_name} - {', '.join(sorted(s.name for s in self.scopes.all()))}"

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}(id={self.pk}): {self.character_id}, {self.character_name}>"

    @property
    def can_refresh(self) -> bool:
        """Return whether the token has a refresh token."""
        return bool(self.refresh_token)

    @property
    def expires(self) -> datetime.datetime:
        """Return when the access token expires (2.x name of :attr:`expiry`)."""
        return self.expiry

    @property
    def expired(self) -> bool:
        """Return whether the access token expired, or will within ``ESI_TOKEN_REFRESH_LEEWAY`` seconds."""
        return self._is_expired(self.expiry)

    @sensitive_variables()
    def valid_access_token(self) -> str:
        """Return an access token good for an ESI call, refreshing it first when needed.

        Example::

            skills = esi.client.Skills.get_characters_character_id_skills(
                character_id=token.character_id, token=token.valid_access_token()
            ).results()

        Raise :class:`~esi.errors.TokenExpiredError` when the token expired and
        has no refresh token, :class:`~esi.errors.TokenInvalidError` when SSO
        refused the refresh (the token is then deleted), and
        :class:`~esi.errors.SSOUnavailable` when SSO could not be reached
        (the token is kept).
        """
        if self.expired:
            if not self.can_refresh:
                raise TokenExpiredError(f"{self!r} expired and has no refresh token")
            self.refresh()
        return self.access_token

    @sensitive_variables()
    def refresh(self, session: Any = None, auth: Any = None) -> None:
        """Get a new access token from SSO and save it with the rotated refresh token.

        Safe to call from many threads and processes at once: exactly one of
        them calls SSO, the others wait and take its result.

        - Threads of one process queue on a per-row lock, so only the first
          calls SSO.
        - Across processes, on databases that lock rows (PostgreSQL, MySQL,
          Oracle) the row is read ``SELECT ... FOR UPDATE`` in a transaction
          that lasts until the new tokens are saved, so other processes wait
          for the row and then see the new tokens.
        - SQLite has no row locks, and holding its database-wide write lock
          over an HTTP call would stall every writer, so there processes queue
          on a POSIX record lock (one byte per row) in a file beside the
          database instead.
        - The write is always a compare-and-swap: ``UPDATE ... WHERE
          refresh_token = <the one sent>``. Where neither lock exists (SQLite
          on Windows, or a lock file that cannot be created) that is what keeps
          the token safe: two processes may then both call SSO; the loser's
          lost swap, or its ``invalid_grant`` (believed only if the row still
          holds the refresh token sent after :data:`INVALID_GRANT_GRACE`
          seconds, time for the winner to save), is recognised because the row
          changed, and it takes the winner's tokens. Nothing is lost, at the
          cost of an extra SSO call.

        Whoever holds the lock first re-reads the row: when its access token
        differs from this instance's, another worker refreshed meanwhile and
        its result is used without calling SSO.

        ``session`` and ``auth`` are accepted for django-esi 2.x compatibility
        and ignored. Raise :class:`~esi.errors.NotRefreshableTokenError`,
        :class:`~esi.errors.TokenInvalidError` (the token was deleted, and
        ``token_invalidated`` sent) or :class:`~esi.errors.SSOError` /
        :class:`~esi.errors.SSOUnavailable` (the token was kept).
        """
        if not self.can_refresh:
            raise NotRefreshableTokenError(f"{self!r} has no refresh token")
        db = router.db_for_write(Token, instance=self)
        row_locks = connections[db].features.has_select_for_update
        error: Exception | None = None
        with _refresh_locks.hold(db, self.pk, across_processes=not row_locks) as file_locked:
            with transaction.atomic(using=db) if row_locks else nullcontext():
                rows = Token.objects.using(db).filter(pk=self.pk)
                current = (
                    (rows.select_for_update() if row_locks else rows)
                    .values("character_id", *_REFRESHED_FIELDS)
                    .first()
                )
                if current is None:
                    outcome = "gone"
                elif current["access_token"] != self.access_token and not self._is_expired(current["expiry"]):
                    outcome = "adopt"  # another worker refreshed meanwhile
                else:
                    try:
                        outcome = self._refresh_from_sso(db, current, row_locks or file_locked)
                    except (SSOError, DatabaseError) as exc:
                        # raised outside the transaction, so the rotated refresh token stays saved
                        error, outcome = exc, "failed"
            if outcome == "adopt":
                self._adopt(db)
        if error is not None:
            raise error
        if outcome == "refreshed":
            logger.debug("Refreshed %r", self)
            signals.token_refreshed.send(sender=Token, token=self)
        elif outcome == "gone":
            raise TokenInvalidError(f"{self!r} no longer exists")
        elif outcome != "adopt":
            logger.info("Deleted %r: %s", self, outcome)
            signals.token_invalidated.send(sender=Token, token=self, reason=outcome)
            raise TokenInvalidError(f"{self!r} was deleted: {_INVALID_REASONS[outcome]} ({outcome})")

    @staticmethod
    def _is_expired(expiry: datetime.datetime) -> bool:
        return expiry <= timezone.now() + datetime.timedelta(seconds=app_settings.ESI_TOKEN_REFRESH_LEEWAY)

    @sensitive_variables()
    def _refresh_from_sso(self, db: str, current: dict[str, Any], serialized: bool) -> str:
        """Call SSO with the row's refresh token and store the result.

        Return "refreshed", "adopt" (another process won the race), or the
        reason the token was deleted ("invalid_grant", "owner_changed",
        "character_changed"). Once SSO has answered, its rotated refresh token
        is saved whatever else fails (a malformed answer, a database error),
        because the one sent is dead from then on.
        """
        sent = current["refresh_token"]
        rows = Token.objects.using(db).filter(pk=self.pk, refresh_token=sent)
        try:
            new = sso.refresh(sent)
        except InvalidGrant:
            if not serialized and self._saved_by_another_process(rows):
                return "adopt"
            return self._invalidate(db, sent, "invalid_grant")
        except SSOError as exc:
            self._keep_rotated(db, rows, sent, getattr(exc, "rotated_refresh_token", None))
            logger.warning("Refresh of %r failed, token kept: %s", self, exc)
            raise
        if new.character_id != current["character_id"]:
            # SSO says this grant is another character's: never store it under this
            # row, and end that grant rather than leave it live and unowned.
            logger.error("Refresh of %r answered for character %d: token deleted", self, new.character_id)
            _revoke_quietly(new.refresh_token)
            return self._invalidate(db, sent, "character_changed")
        if new.character_owner_hash != current["character_owner_hash"]:
            return self._invalidate(db, sent, "owner_changed")
        values = {
            "access_token": new.access_token,
            "refresh_token": new.refresh_token or sent,
            "expiry": new.expiry,
            "character_name": new.character_name,
            "character_owner_hash": new.character_owner_hash,
        }
        try:
            with transaction.atomic(using=db):  # a savepoint: a failed write leaves the row writable
                updated = rows.update(**values)
        except DatabaseError:
            self._keep_rotated(db, rows, sent, new.refresh_token)
            raise
        if not updated:
            return "adopt"  # another process swapped first (SQLite); its tokens win
        for name, value in values.items():
            setattr(self, name, value)
        return "refreshed"

    @sensitive_variables()
    def _keep_rotated(self, db: str, rows: models.QuerySet, sent: str, rotated: str | None) -> None:
        """Save the rotated refresh token alone, when the full refresh could not be saved."""
        if not rotated or rotated == sent:
            return
        with transaction.atomic(using=db):
            if rows.update(refresh_token=rotated):
                self.refresh_token = rotated

    @staticmethod
    def _saved_by_another_process(rows: models.QuerySet) -> bool:
        """Return True when the row stops holding the refresh token sent, within a grace period.

        Without row locks (SQLite) another process may have used the same refresh
        token a moment earlier; SSO then answers us ``invalid_grant`` before that
        process has saved what it got. Give it a moment before believing SSO.
        """
        deadline = time.monotonic() + INVALID_GRANT_GRACE
        while rows.exists():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    @sensitive_variables()
    def _adopt(self, db: str) -> None:
        """Take the tokens another worker stored."""
        current = Token.objects.using(db).filter(pk=self.pk).values(*_REFRESHED_FIELDS).first()
        if current is None:
            raise TokenInvalidError(f"{self!r} was invalidated by another worker")
        for name, value in current.items():
            setattr(self, name, value)

    @sensitive_variables()
    def _invalidate(self, db: str, sent: str, reason: str) -> str:
        """Delete the token if it still holds ``sent``; return the reason, or "adopt" when it changed."""
        deleted, _ = Token.objects.using(db).filter(pk=self.pk, refresh_token=sent).delete()
        return reason if deleted else "adopt"

    @sensitive_variables()
    def revoke(self) -> None:
        """Revoke the refresh token at SSO; the row is kept (delete it yourself).

        Raise :class:`~esi.errors.SSOUnavailable` or :class:`~esi.errors.SSOError`
        when SSO did not confirm.
        """
        if self.refresh_token:
            sso.revoke(self.refresh_token)
            logger.info("Revoked the refresh token of %r", self)

    def get_esi_client(self, **kwargs: Any) -> SwaggerClient:
        """Return an ESI client authenticated with this token.

        ``kwargs`` go to :func:`esi.clients.esi_client_factory` (versions, ``spec_file``...).
        """
        from .clients import esi_client_factory

        return esi_client_factory(token=self, **kwargs)

    @classmethod
    def get_token_data(cls, access_token: str) -> dict[str, Any] | None:
        """Return the claims of an access token checked against SSO's keys, or None when invalid.

        As in django-esi 8.x the claims carry ``character_id`` (int) and
        ``token_type`` (``"character"``) besides the JWT's own (``name``,
        ``owner``, ``scp``...); the keys of 2.x's verify endpoint
        (``CharacterID``, ``CharacterName``, ``CharacterOwnerHash``,
        ``TokenType``, ``Scopes``) are there too. Raise
        :class:`~esi.errors.SSOUnavailable` when the keys cannot be fetched.
        """
        try:
            claims = dict(sso.validate_jwt(access_token))
        except InvalidJWT as exc:
            logger.warning("Token data not valid: %s", exc)
            return None
        kind, _, character = str(claims.get("sub", "")).partition(":EVE:")
        if not character.isdigit():
            logger.warning("Token data not valid: subject is not CHARACTER:EVE:<id>")
            return None
        scopes = claims.get("scp") or []
        claims.update(
            character_id=int(character),
            token_type=kind.lower(),
            CharacterID=int(character),
            CharacterName=claims.get("name", ""),
            CharacterOwnerHash=claims.get("owner", ""),
            TokenType=kind.capitalize(),
            Scopes=" ".join([scopes] if isinstance(scopes, str) else scopes),
        )
        return claims

    def update_token_data(self, commit: bool = True) -> None:
        """Refresh the token if expired, then set character and owner from its access token's claims.

        Saved unless ``commit=False``. Raise (as 2.x-8.x did, and as Alliance
        Auth's ownership check expects) :class:`~esi.errors.TokenExpiredError`
        when it expired and cannot refresh, :class:`~esi.errors.TokenInvalidError`
        when SSO refused the refresh (the token is then deleted), and
        :class:`~esi.errors.IncompleteResponseError` when SSO could not tell
        (an outage, keys that do not check): the token is kept and unchanged.
        """
        logger.debug("Updating token data for %r", self)
        try:
            if self.expired:
                if not self.can_refresh:
                    raise TokenExpiredError(f"{self!r} expired and has no refresh token")
                self.refresh()
            data = self.get_token_data(self.access_token)
        except SSOError as exc:
            raise IncompleteResponseError(f"could not check {self!r} with EVE SSO: {exc}") from exc
        if data is None or not data.get("owner") or not data.get("name"):
            raise IncompleteResponseError(f"the access token of {self!r} did not validate: kept, unchanged")
        self.character_id = data["character_id"]
        self.character_name = data["name"]
        self.character_owner_hash = data["owner"]
        self.token_type = data["TokenType"]
        if commit:
            self.save()

    @classmethod
    def get_token(cls, character_id: int, scopes: Any) -> Token | bool:
        """Return a token of the character carrying all ``scopes``, or False when there is none."""
        return cls.objects.filter(character_id=character_id).require_scopes(scopes).first() or False


@sensitive_variables()
def _revoke_quietly(refresh_token: str | None) -> None:
    """Revoke a refresh token at SSO, logging (not raising) a failure."""
    if refresh_token:
        try:
            sso.revoke(refresh_token)
        except SSOError as exc:
            logger.warning("Could not revoke a refresh token at SSO: %s", exc)


class CallbackRedirect(models.Model):
    """A login in progress: its state, where to go back to, and the token it produced."""

    session_key = models.CharField(
        max_length=254,
        unique=True,
        help_text="Session key identifying the session this redirect was created for.",
    )
    url = models.TextField(default="/", help_text="The internal URL to redirect this callback towards.")
    state = models.CharField(max_length=128, help_text="OAuth2 state string representing this session.")
    code_verifier = models.CharField(
        max_length=128,
        blank=True,
        default="",
        editable=False,
        help_text="PKCE code verifier of this login (empty without PKCE).",
    )
    created = models.DateTimeField(auto_now_add=True)
    token = models.ForeignKey(
        Token,
        on_delete=models.CASCADE,
        blank=True,
        null=True,
        help_text="Token generated by a completed code exchange from callback processing.",
    )

    objects: ClassVar[CallbackRedirectManager] = CallbackRedirectManager()

    def __str__(self) -> str:
        # the session key is a secret: show only enough of it to tell logins apart
        return f"{self.session_key[:5]}…: {self.url}"

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}(pk={self.pk}): {self.session_key[:5]}… to {self.url}>"
