"""Run the demo site: ``python -m demo [--port 8000] [--live]`` (``make demo`` runs it).

Offline (the default) it starts a fake ESI and a fake EVE SSO on loopback, points
django-esi at them, migrates the demo's SQLite database and serves the site on
http://127.0.0.1:8000/. Nothing reaches the network and no credentials are needed.

The site signs sessions with a secret key generated on the first run and kept in
the demo's data directory (:mod:`demo.datadir`). It serves loopback only:
another ``--host`` needs ``--allow-remote`` as well, and then runs without
``DEBUG``, as ``--live`` always does.

``--live`` serves the same site against the real ESI and EVE SSO; it needs the
``ESI_SSO_CLIENT_ID``, ``ESI_SSO_CLIENT_SECRET`` and ``ESI_SSO_CALLBACK_URL``
of an application registered at https://developers.eveonline.com/ (the callback
URL is ``http://127.0.0.1:8000/sso/callback/`` for the default port).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

LIVE_ENV = ("ESI_SSO_CLIENT_ID", "ESI_SSO_CLIENT_SECRET", "ESI_SSO_CALLBACK_URL")
#: The host names the site answers to besides the one it serves on.
LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"]


class _DeferredApp:
    """A WSGI app set after the socket is bound, so the callback URL can name the real port."""

    def __init__(self) -> None:
        self.app: Callable[..., Iterable[bytes]] | None = None
        self.ready = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        self.ready.wait()
        assert self.app is not None
        return self.app(environ, start_response)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m demo",
        description="Serve the django-esi demo site: offline against a fake ESI and fake EVE SSO, or --live.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1; one beyond loopback needs --allow-remote)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve on a --host other machines can reach (DEBUG off; names in $DEMO_ALLOWED_HOSTS)",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port of the site (default 8000; 0 picks a free one)"
    )
    parser.add_argument(
        "--live", action="store_true", help="talk to the real ESI and EVE SSO (needs credentials)"
    )
    parser.add_argument("--db", help="SQLite database file (default demo/db.sqlite3)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serving_settings(args: argparse.Namespace, *, live: bool) -> dict[str, Any]:
    """Return ``DEBUG`` and ``ALLOWED_HOSTS`` for where the site serves; exit if the host needs a flag."""
    if is_loopback(args.host):
        return {"DEBUG": not live, "ALLOWED_HOSTS": [*LOOPBACK_NAMES, "testserver"]}
    if not args.allow_remote:
        sys.exit(
            f"--host {args.host} serves the demo beyond this machine; add --allow-remote if you mean it "
            "(the demo is no production site)"
        )
    extra = [h.strip() for h in os.environ.get("DEMO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    named = [] if args.host in ("0.0.0.0", "::") else [args.host]
    print(
        f"warning: serving on {args.host}, reachable from other machines; DEBUG is off. "
        f"The site answers to {', '.join(LOOPBACK_NAMES + named + extra)} (more: DEMO_ALLOWED_HOSTS=name,...)",
        file=sys.stderr,
    )
    return {"DEBUG": False, "ALLOWED_HOSTS": [*LOOPBACK_NAMES, *named, *extra]}


def live_settings(site_url: str) -> dict[str, Any]:
    """Return the settings of ``--live``; exit with the reason when credentials are missing."""
    missing = [name for name in LIVE_ENV if not os.environ.get(name)]
    if missing:
        sys.exit(
            f"--live needs {', '.join(missing)} in the environment: register an application at "
            f"https://developers.eveonline.com/ with the callback URL {site_url}/sso/callback/"
        )
    callback = os.environ["ESI_SSO_CALLBACK_URL"]
    if not callback.startswith(site_url):
        print(f"warning: ESI_SSO_CALLBACK_URL={callback} is not on this site ({site_url})", file=sys.stderr)
    return {
        "DEMO_MODE": "live",
        "ESI_SSO_CLIENT_ID": os.environ["ESI_SSO_CLIENT_ID"],
        "ESI_SSO_CLIENT_SECRET": os.environ["ESI_SSO_CLIENT_SECRET"],
        "ESI_SSO_CALLBACK_URL": callback,
        "ESI_SPEC_OFFLINE": False,
    }


def start_fake(site_url: str) -> tuple[Any, dict[str, Any]]:
    """Start the fake ESI + fake SSO in server mode and return it with the settings that use it."""
    callback = f"{site_url}/sso/callback/"
    from esi_testing import FakeESI

    fake = FakeESI(mode="server", callback_url=callback)
    fake.start()
    overrides = dict(fake.settings())
    overrides.update(
        {
            "DEMO_MODE": "offline",
            "DEMO_FAKE_URL": fake.url,
            "DEMO_FAKE_SSO_URL": fake.sso_url,
            "ESI_SSO_CALLBACK_URL": callback,
        }
    )
    return fake, overrides


def _interrupt(signum: int, frame: Any) -> None:
    # The first Ctrl-C or SIGTERM stops the demo; later ones (make passes a SIGTERM on as
    # well) are ignored, so they cannot break the clean-up with a traceback.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    """Start the fake (unless ``--live``), migrate, and serve the demo site until Ctrl-C."""
    args = parse_args(argv)
    serving = serving_settings(args, live=args.live)
    from werkzeug.serving import make_server

    from demo.datadir import secret_key_file

    app = _DeferredApp()
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except OSError as exc:
        sys.exit(f"cannot serve on {args.host}:{args.port} ({exc.strerror}); pick another port with --port")
    site_url = f"http://{args.host}:{server.port}"

    fake = None
    if args.live:
        overrides = live_settings(site_url)
    else:
        fake, overrides = start_fake(site_url)
    overrides.update(serving)
    # The key itself stays out of the environment: settings.py reads the file.
    os.environ["DEMO_SECRET_FILE"] = str(secret_key_file())
    if args.db:
        os.environ["DEMO_DB"] = args.db
    os.environ["DEMO_SETTINGS"] = json.dumps(overrides, default=str)
    os.environ["DJANGO_SETTINGS_MODULE"] = "demo.settings"

    import django
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    app.app = StaticFilesHandler(get_wsgi_application())
    app.ready.set()
    if args.quiet:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    signal.signal(signal.SIGTERM, _interrupt)  # before the URL is printed: a stop may follow at once
    signal.signal(signal.SIGINT, _interrupt)
    try:
        print(
            "django-esi demo",
            "(live ESI and EVE SSO)" if args.live else "(offline: fake ESI and fake EVE SSO)",
        )
        if fake is not None:
            print(f"  fake ESI:  {fake.url}")
            print(f"  fake SSO:  {fake.sso_url}")
        print(f"Demo site: {site_url}/", flush=True)
        print("Open it in a browser; Ctrl-C stops everything.", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if fake is not None:
            fake.stop()


if __name__ == "__main__":
    main()
