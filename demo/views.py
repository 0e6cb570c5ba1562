"""Views of the demo site: each page shows one part of django-esi at work.

The views use django-esi exactly as a downstream site would: ``EsiClientProvider``,
the ``token_required`` / ``single_use_token`` decorators, ``result()``,
``results()`` and ``results_localized()``. Every ESI call goes through
:func:`call`, which times it and turns a failure into a message on the page, so
that a page shows what went wrong instead of a server error.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from esi.app_settings import app_settings
from esi.decorators import single_use_token, token_required

logger = logging.getLogger(__name__)

NOTIFICATIONS_SCOPE = "esi-characters.read_notifications.v1"
SKILLS_SCOPE = "esi-skills.read_skills.v1"
#: The scopes asked for at login, so that the character page can reuse the token.
LOGIN_SCOPES = ["publicData", NOTIFICATIONS_SCOPE]
#: The Forge (Jita's region) and Tritanium: a busy market, several pages of orders.
DEFAULT_REGION_ID = 10000002
DEFAULT_MARKET_TYPE_ID = 34
#: The Rifter; the type page also offers these, which the fake's data pack names in every language.
DEFAULT_TYPE_ID = 587
TYPE_EXAMPLES = {587: "Rifter", 34: "Tritanium", 35: "Pyerite", 44992: "PLEX"}
#: The spec choices the spec page offers besides every compatibility date found.
ROUTE_CHOICES = ("latest", "legacy", "v4")
SESSION_SPEC_KEY = "demo_spec"
ORDERS_SHOWN = 25
NOTIFICATIONS_SHOWN = 20


# --- the client ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecChoice:
    """The spec a visitor picked: a Swagger route, or an OpenAPI compatibility date."""

    route: str | None = "latest"
    compatibility_date: str | None = None

    @property
    def label(self) -> str:
        """Return how the header shows this choice."""
        if self.compatibility_date:
            return f"compatibility date {self.compatibility_date}"
        return f"route {self.route}"

    @property
    def value(self) -> str:
        """Return the form value of this choice."""
        return f"date:{self.compatibility_date}" if self.compatibility_date else f"route:{self.route}"

    @classmethod
    def parse(cls, value: str) -> SpecChoice:
        """Return the choice a form value names; raise ValueError for anything else."""
        kind, _, name = value.partition(":")
        if kind == "route" and (name in ROUTE_CHOICES or (name[:1] == "v" and name[1:].isdigit())):
            return cls(route=name)
        if kind == "date" and name:
            return cls(route=None, compatibility_date=name)
        raise ValueError(f"unknown spec choice {value!r}")


def spec_choice(request: HttpRequest) -> SpecChoice:
    """Return the spec this visitor's session uses (``latest`` until they pick another)."""
    try:
        return SpecChoice.parse(request.session.get(SESSION_SPEC_KEY, "route:latest"))
    except ValueError:
        return SpecChoice()


_build_lock = threading.Lock()
#: What building each spec's client warned about (a spec derived offline, ...), for the spec page.
build_warnings: dict[SpecChoice, list[str]] = {}


@functools.lru_cache(maxsize=16)
def _provider(choice: SpecChoice) -> Any:
    # One provider per spec for the whole process, as django-esi recommends.
    from esi.clients import EsiClientProvider

    if choice.compatibility_date:
        provider = EsiClientProvider(compatibility_date=choice.compatibility_date)
    else:
        provider = EsiClientProvider(version=choice.route)
    with _build_lock, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _ = provider.client  # build it now, so that the spec page can show what building said
    build_warnings[choice] = [
        str(w.message)
        for w in caught
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    return provider


def esi_client(request: HttpRequest) -> Any:
    """Return the (lazily built, shared) client of the visitor's spec choice."""
    return _provider(spec_choice(request)).client


@dataclass
class Call:
    """What one ESI call gave: its data, or why there is none, and how long it took."""

    data: Any = None
    response: Any = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Return True when the call returned data."""
        return self.error is None

    @property
    def milliseconds(self) -> int:
        """Return the time the call took, in whole milliseconds."""
        return round(self.seconds * 1000)

    def header(self, name: str) -> str | None:
        """Return a header of the response, if the call asked for the response."""
        headers = getattr(self.response, "headers", None) or {}
        return headers.get(name)


def call(request: HttpRequest, operation: Callable[[Any], Any]) -> Call:
    """Run ``operation(client)`` and return what it gave, timed; never raise.

    ``operation`` returns the data, or ``(data, response)`` when it set
    ``request_config.also_return_response``.
    """
    started = time.perf_counter()
    try:
        client = esi_client(request)
        started = time.perf_counter()  # time the call, not the client's first build
        outcome = operation(client)
    except Exception as exc:  # a demo page shows the failure instead of a 500
        logger.warning("ESI call failed: %s: %s", type(exc).__name__, exc)
        return Call(error=f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - started)
    seconds = time.perf_counter() - started
    if isinstance(outcome, tuple) and len(outcome) == 2:
        return Call(data=outcome[0], response=outcome[1], seconds=seconds)
    return Call(data=outcome, seconds=seconds)


def with_response(operation: Any) -> Any:
    """Ask an operation for ``(data, response)`` instead of data alone."""
    operation.request_config.also_return_response = True
    return operation


# --- pages ----------------------------------------------------------------------------------


def demo_context(request: HttpRequest) -> dict[str, Any]:
    """Add the demo's mode and the visitor's spec choice to every template."""
    return {
        "demo_mode": getattr(settings, "DEMO_MODE", "offline"),
        "demo_fake_url": getattr(settings, "DEMO_FAKE_URL", None),
        "demo_fake_sso_url": getattr(settings, "DEMO_FAKE_SSO_URL", None),
        "image_server_url": app_settings.ESI_IMAGE_SERVER_URL.rstrip("/"),
        "demo_spec": spec_choice(request) if hasattr(request, "session") else SpecChoice(),
    }


def index(request: HttpRequest) -> HttpResponse:
    """Show what the demo is and where each page leads."""
    return render(request, "demo/index.html")


def character_user(token: Any) -> Any:
    """Return the site's user of a token's character and owner, made on its first login.

    The user is keyed on the character's id and owner hash: a renamed character keeps
    its user, a sold one (new owner hash) gets a new one, and no user named like a
    character can take it over. The character's name is only shown (``first_name``).
    """
    owner = hashlib.sha256(token.character_owner_hash.encode()).hexdigest()[:16]
    user, _ = get_user_model().objects.get_or_create(username=f"eve-{token.character_id}-{owner}")
    if user.first_name != token.character_name[:150]:
        user.first_name = token.character_name[:150]
        user.save(update_fields=["first_name"])
    return user


@token_required(new=True, scopes=LOGIN_SCOPES)
def login_view(request: HttpRequest, token: Any) -> HttpResponse:
    """Log in with EVE Online: the character (and owner) of the new token becomes the site's user."""
    user = character_user(token)
    if token.user_id != user.pk:
        token.user = user
        token.save(update_fields=["user"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, f"Logged in as {token.character_name}.")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = reverse("demo:index")
    return redirect(target)


@login_required
@token_required(scopes=[NOTIFICATIONS_SCOPE])
def character(request: HttpRequest, token: Any) -> HttpResponse:
    """Show a character's public information and, through its token, its notifications."""
    character_id = token.character_id
    public = call(
        request, lambda c: c.Character.get_characters_character_id(character_id=character_id).result()
    )
    corporation = alliance = None
    if public.ok:
        corporation = call(
            request,
            lambda c: c.Corporation.get_corporations_corporation_id(
                corporation_id=public.data["corporation_id"]
            ).result(),
        )
        if public.data.get("alliance_id"):
            alliance = call(
                request,
                lambda c: c.Alliance.get_alliances_alliance_id(
                    alliance_id=public.data["alliance_id"]
                ).result(),
            )
    notifications = call(
        request,
        lambda c: c.Character.get_characters_character_id_notifications(
            character_id=character_id, token=token.valid_access_token()
        ).results(),
    )
    if notifications.ok:
        notifications.data = sorted(notifications.data, key=lambda n: n.get("timestamp") or 0, reverse=True)
    return render(
        request,
        "demo/character.html",
        {
            "token": token,
            "public": public,
            "corporation": corporation,
            "alliance": alliance,
            "notifications": notifications,
            "notifications_shown": NOTIFICATIONS_SHOWN,
            "scope": NOTIFICATIONS_SCOPE,
        },
    )


def _int_param(request: HttpRequest, name: str, default: int) -> tuple[int, str | None]:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default, None
    try:
        value = int(raw)
    except ValueError:
        return default, f"{name} must be a whole number, not {raw!r}; showing {default}."
    if value <= 0:
        return default, f"{name} must be positive, not {value}; showing {default}."
    return value, None


def market(request: HttpRequest) -> HttpResponse:
    """Fetch every page of a region's market orders with ``results()``, and time it."""
    region_id, region_error = _int_param(request, "region_id", DEFAULT_REGION_ID)
    orders = call(
        request,
        lambda c: with_response(
            c.Market.get_markets_region_id_orders(region_id=region_id, order_type="all")
        ).results(),
    )
    first_page = call(
        request,
        lambda c: with_response(
            c.Market.get_markets_region_id_orders(region_id=region_id, order_type="all", page=1)
        ).result(),
    )
    pages = orders.header("X-Pages") if orders.ok else None
    return render(
        request,
        "demo/market.html",
        {
            "region_id": region_id,
            "input_error": region_error,
            "orders": orders,
            "first_page": first_page,
            "pages": pages,
            "orders_shown": ORDERS_SHOWN,
            "shown": (orders.data or [])[:ORDERS_SHOWN] if orders.ok else [],
        },
    )


def type_info(request: HttpRequest) -> HttpResponse:
    """Show a type's name and description in every ESI language with ``results_localized()``."""
    type_id, type_error = _int_param(request, "type_id", DEFAULT_TYPE_ID)
    localized = call(
        request, lambda c: c.Universe.get_universe_types_type_id(type_id=type_id).results_localized()
    )
    rows = []
    if localized.ok:
        rows = [
            {"language": language, "name": data.get("name"), "description": data.get("description", "")}
            for language, data in localized.data.items()
        ]
    return render(
        request,
        "demo/type.html",
        {
            "type_id": type_id,
            "input_error": type_error,
            "localized": localized,
            "rows": rows,
            "examples": TYPE_EXAMPLES.items(),
        },
    )


@single_use_token(scopes=[SKILLS_SCOPE])
def single_use(request: HttpRequest, token: Any) -> HttpResponse:
    """Use a token from a fresh login once: read the character's skill points.

    The token belongs to the visitor's user when they are logged in, else to no user.
    """
    skills = call(
        request,
        lambda c: c.Skills.get_characters_character_id_skills(
            character_id=token.character_id, token=token.valid_access_token()
        ).result(),
    )
    return render(
        request,
        "demo/single_use.html",
        {"token": token, "skills": skills, "scope": SKILLS_SCOPE},
    )


def status(request: HttpRequest) -> HttpResponse:
    """Show ESI's server status and the caching headers it came with."""
    result = call(request, lambda c: with_response(c.Status.get_status()).result())
    headers = [
        (name, result.header(name)) for name in ("Expires", "Last-Modified", "ETag", "Content-Language")
    ]
    return render(
        request,
        "demo/status.html",
        {"status": result, "headers": [(n, v) for n, v in headers if v]},
    )


def _spec_summary(request: HttpRequest) -> dict[str, Any]:
    """Return the resources and operation count of the client the visitor's choice builds."""
    started = time.perf_counter()
    outcome = call(request, lambda c: c)
    outcome.seconds = time.perf_counter() - started  # here the build is what is timed
    if not outcome.ok:
        return {"call": outcome, "resources": []}
    swagger_spec = getattr(outcome.data, "swagger_spec", None)
    resources = getattr(swagger_spec, "resources", None) or {}
    rows = sorted((name, len(resource.operations)) for name, resource in resources.items())
    return {
        "call": outcome,
        "warnings": build_warnings.get(spec_choice(request), []),
        "resources": rows,
        "operations": sum(count for _, count in rows),
        "title": getattr(swagger_spec, "spec_dict", {}).get("info", {}).get("title"),
        "version": getattr(swagger_spec, "spec_dict", {}).get("info", {}).get("version"),
    }


@require_http_methods(["GET", "POST"])
def spec(request: HttpRequest) -> HttpResponse:
    """List the spec snapshots found, and switch the spec this session's client uses."""
    import spec_snapshots

    if request.method == "POST":
        try:
            choice = SpecChoice.parse(request.POST.get("spec", ""))
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            request.session[SESSION_SPEC_KEY] = choice.value
            messages.success(request, f"This session's client now uses the {choice.label}.")
        return redirect("demo:spec")

    snapshots = spec_snapshots.list_snapshots()
    dates = sorted({s.compatibility_date for s in snapshots if s.compatibility_date}, reverse=True)
    routes = list(ROUTE_CHOICES) + sorted(
        {s.route for s in snapshots if s.route and s.route not in ROUTE_CHOICES}, key=str
    )
    choices = [SpecChoice(route=r) for r in routes] + [
        SpecChoice(route=None, compatibility_date=d) for d in dates
    ]
    return render(
        request,
        "demo/spec.html",
        {"snapshots": snapshots, "choices": choices, "summary": _spec_summary(request)},
    )


JOURNAL_SHOWN = 40


def journal(request: HttpRequest) -> HttpResponse:
    """Show the requests the fake ESI answered, newest first (offline only).

    Read from the fake's control endpoint ``/_fake/journal``, which keeps no
    Authorization header: only the character of the token that came with a request.
    """
    if getattr(settings, "DEMO_MODE", "offline") == "live":
        return render(request, "demo/journal.html", {"live": True, "entries": []})
    import requests

    url = app_settings.ESI_API_URL.rstrip("/") + "/_fake/journal"
    try:
        answer = requests.get(url, timeout=10)
        answer.raise_for_status()
        raw = answer.json()["journal"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        return render(request, "demo/journal.html", {"error": f"{type(exc).__name__}: {exc}", "entries": []})
    entries = [
        {
            "time": datetime.fromtimestamp(e["time"], tz=timezone.utc),
            "method": e["method"],
            "path": e["path"],
            # Where a long path may wrap: after each "/", never inside a name or an id.
            "path_parts": [part + "/" for part in e["path"].split("/")[:-1]] + [e["path"].split("/")[-1]],
            "query": "&".join(
                f"{k}={v}"
                for k, values in sorted(e.get("query", {}).items())
                for v in values
                if k != "datasource"
            ),
            "status": e["status"],
            "operation": e.get("operation"),
            "snapshot": e.get("snapshot"),
            "source": e.get("source"),
            "character_id": e.get("character_id"),  # set when a valid token came with it
            "etag": e.get("etag"),  # the ETag the fake answered with
            "revalidated": any(k.lower() == "if-none-match" for k in e.get("headers", {})),
        }
        for e in reversed(raw)
    ]
    return render(
        request,
        "demo/journal.html",
        {"entries": entries[:JOURNAL_SHOWN], "total": len(entries), "shown": JOURNAL_SHOWN, "url": url},
    )
