"""Command line of esi_testing: ``python -m esi_testing <command> ...``.

Commands:

* ``serve``: run the fake ESI and fake EVE SSO on one loopback port until Ctrl-C;
  with ``--record-from URL`` it forwards what it has no data for to that ESI and
  keeps the answers in a data pack (``--record-to``).
* ``cassettes-to-data``: turn vcrpy cassettes into a data pack the fake serves.

A command is a function ``add_<name>(subparsers)`` that adds its parser and sets
``handler`` (a function of the parsed arguments returning the exit status) with
``set_defaults``; list it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pprint import pformat
from typing import Any
from urllib.parse import urlsplit

__all__ = ["COMMANDS", "DEFAULT_SITE_CALLBACK", "build_parser", "main"]

#: The callback ``serve`` registers unless told otherwise: django-esi's callback on ``runserver``.
DEFAULT_SITE_CALLBACK = "http://127.0.0.1:8000/sso/callback/"


def add_serve(subparsers: Any) -> None:
    """Add ``serve``: the fake ESI and SSO on a loopback server."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the fake ESI and fake EVE SSO over HTTP",
        description="Serve the fake ESI and the fake EVE SSO on one port until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8080, help="port to bind, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--snapshot",
        action="append",
        metavar="ROUTE_OR_DATE",
        help="spec to serve: a Swagger route (latest, v4, ...) or a compatibility date (2025-12-16); "
        "repeat to serve several (default: latest and the newest date)",
    )
    parser.add_argument(
        "--data", metavar="PATH", help="data pack (directory or JSON file) instead of the default one"
    )
    parser.add_argument(
        "--strict", action="store_true", help="answer 404 for anything the data pack does not record"
    )
    parser.add_argument("--latency", default=None, help="delay added to every answer, e.g. 50ms or 0.2s")
    parser.add_argument("--page-size", type=int, default=None, help="items per page of paged lists")
    parser.add_argument(
        "--error-limit",
        type=_error_limit,
        default=100,
        metavar="N|off",
        help="errors allowed per window before ESI answers 420; off for a fuzzer or a load test "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--error-window", type=float, default=60.0, metavar="SECONDS", help="error-limit window (default: 60)"
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=None,
        metavar="TOKENS/WINDOW|off",
        help="budget of every x-rate-limit group, e.g. 150/15m or 10/60s; off: never 429 "
        "(default: each group's budget from the spec)",
    )
    parser.add_argument(
        "--callback-url",
        default=DEFAULT_SITE_CALLBACK,
        metavar="URL",
        help="your site's SSO callback (ESI_SSO_CALLBACK_URL) the fake SSO redirects back to "
        "(default: %(default)s, the one of Django's runserver)",
    )
    parser.add_argument(
        "--record-from",
        metavar="URL",
        help="forward what the data pack lacks to this ESI (e.g. https://esi.evetech.net) and keep "
        "the answers (implies --strict)",
    )
    parser.add_argument(
        "--record-to",
        metavar="PACK",
        default="recorded-pack.json",
        help="where --record-from keeps the answers: a .json file or a directory (default: %(default)s)",
    )
    parser.set_defaults(handler=serve)


def serve(
    args: argparse.Namespace,
    *,
    ready: Callable[[Any], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run the fake until Ctrl-C, SIGTERM or ``stop`` is set; print where it answers first."""
    from esi_testing.fake.faked import FakeESI, parse_duration

    snapshot: Any = None
    if args.snapshot:
        snapshot = args.snapshot[0] if len(args.snapshot) == 1 else args.snapshot
    callback = urlsplit(args.callback_url)
    if callback.scheme not in ("http", "https") or not callback.netloc:
        print(
            f"esi_testing serve: --callback-url must be an http(s) URL such as {DEFAULT_SITE_CALLBACK}, "
            f"not {args.callback_url!r}",
            file=sys.stderr,
        )
        return 2
    options: dict[str, Any] = {}
    if args.page_size is not None:
        options["page_size"] = args.page_size
    if args.rate_limit == "off":
        options["rate_limited"] = False
    elif args.rate_limit is not None:
        options["rate_limits"] = {"*": args.rate_limit}
    try:
        fake = FakeESI(
            snapshot,
            mode="server",
            data=args.data,
            strict=args.strict or bool(args.record_from),
            latency=parse_duration(args.latency),
            host=args.host,
            port=args.port,
            error_limit=args.error_limit,
            error_window=args.error_window,
            callback_url=args.callback_url,
            **options,
        )
        if args.record_from:
            from esi_testing.cassettes import RecordingProxy

            fake.wrap(lambda app: RecordingProxy(fake, args.record_from, args.record_to, inner=app))
        fake.start()
    except (ValueError, OSError) as exc:
        print(f"esi_testing serve: {exc}", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        print(f"Fake ESI:       {fake.url}/", flush=True)
        print(
            f"Fake EVE SSO:   {fake.sso_url}/  (metadata: {fake.sso_url}/.well-known/oauth-authorization-server)"
        )
        print(f"Control:        {fake.url}/_fake/  and  {fake.sso_url}/_fake/sso/")
        print("Django settings for django-esi:")
        print(pformat(fake.settings(), sort_dicts=False, width=100))
        print("Ctrl-C stops.", flush=True)
        if ready is not None:
            ready(fake)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0


_WINDOW_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def _error_limit(text: str) -> int | None:
    """Return the error budget of ``--error-limit`` (None: off)."""
    if text.strip().lower() == "off":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of errors or 'off', not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1 error, or 'off', not {text!r}")
    return value


def _rate_limit(text: str) -> tuple[int, float] | str:
    """Return (tokens, window seconds) of ``--rate-limit`` (``"off"``: no rate limit)."""
    text = text.strip().lower()
    if text == "off":
        return "off"
    tokens, _, window = text.partition("/")
    unit = window.lstrip("0123456789.")
    number = window[: len(window) - len(unit)]
    try:
        budget, seconds = int(tokens), float(number) * _WINDOW_UNITS[unit]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(
            f"expected TOKENS/WINDOW (150/15m, 10/60s) or 'off', not {text!r}"
        ) from None
    if budget < 1 or seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive budget and window, not {text!r}")
    return budget, seconds


def add_cassettes_to_data(subparsers: Any) -> None:
    """Add ``cassettes-to-data``: recordings become a data pack."""
    parser = subparsers.add_parser(
        "cassettes-to-data",
        help="turn vcrpy cassettes into a data pack the fake serves",
        description="Turn the ESI answers recorded in vcrpy cassettes into a data pack "
        "(SSO exchanges are left out).",
    )
    parser.add_argument("cassettes", nargs="+", metavar="CASSETTE", help="cassette files (.yaml or .json)")
    parser.add_argument("--out", required=True, metavar="PACK", help="a .json file, or a directory")
    parser.add_argument(
        "--snapshot",
        action="append",
        metavar="ROUTE_OR_DATE",
        help="what names the operations (default: latest and the newest compatibility date)",
    )
    parser.set_defaults(handler=cassettes_to_data)


def cassettes_to_data(args: argparse.Namespace) -> int:
    """Write the data pack of the cassettes; print what was kept and left out."""
    from esi_testing.cassettes import cassettes_to_pack

    snapshot: Any = None
    if args.snapshot:
        snapshot = args.snapshot[0] if len(args.snapshot) == 1 else args.snapshot
    try:
        pack, report = cassettes_to_pack(args.cassettes, snapshot=snapshot)
    except (OSError, ValueError) as exc:
        print(f"esi_testing cassettes-to-data: {exc}", file=sys.stderr)
        return 2
    path = pack.save(args.out)
    print(report)
    print(f"Data pack: {path}")
    return 0


#: The subcommands, in the order ``--help`` lists them.
COMMANDS: list[Callable[[Any], None]] = [add_serve, add_cassettes_to_data]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``python -m esi_testing``."""
    parser = argparse.ArgumentParser(prog="python -m esi_testing", description="django-esi's test kit.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
