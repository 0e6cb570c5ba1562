"""``python -m spec_snapshots`` and ``manage.py esi_snapshot``: list, import, update, diff.

Both entry points call :func:`execute`, which raises :class:`CliError` for bad
input; :func:`main` prints it as ``error: ...`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from . import (
    _DATE_RE,
    _ROUTE_RE,
    Snapshot,
    SnapshotError,
    SnapshotNotFound,
    _configured_dirs,
    describe_spec,
    get,
    list_snapshots,
    pinned,
    read_spec_bytes,
)
from .derive import derive_report, derive_route
from .diff import diff_specs, format_diff
from .fetch import DEFAULT_API_URL, download_snapshot, openapi_url, route_url, today_compatibility_date
from .resolve import search_dirs
from .store import import_spec, write_snapshot

__all__ = ["CliError", "build_parser", "execute", "main"]


class Output(Protocol):
    """Where a command writes: ``sys.stdout``, a ``StringIO``, Django's ``OutputWrapper``."""

    def write(self, text: str, /) -> Any:
        """Write ``text``."""


class CliError(Exception):
    """A command cannot run: bad input, an unknown snapshot, a failed download."""


# --- helpers -------------------------------------------------------------------------


def _target_dir(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    configured = _configured_dirs()
    if not configured:
        raise CliError(
            "no snapshot directory to write to: pass --dir DIR, or set ESI_SPEC_SNAPSHOT_DIRS "
            "(Django setting or environment variable)"
        )
    return configured[0]


def _search(dirs: Sequence[str] | None) -> list[Path]:
    """Return where to look: ``--dir`` directories, else the configured ones (or the cache)."""
    return search_dirs(dirs if dirs else None)


def _read_file(path: Path) -> tuple[bytes, dict[str, Any]]:
    try:
        raw = read_spec_bytes(path)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    except SnapshotError as exc:
        raise CliError(str(exc)) from None
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}") from None
    try:
        describe_spec(spec)
    except SnapshotError as exc:
        raise CliError(f"{path} is refused: {exc}") from None
    return raw, spec


def _find(ref: str, dirs: list[Path]) -> tuple[str, dict[str, Any]]:
    """Return a label and the spec for a snapshot key, route, date or file path."""
    path = Path(ref).expanduser()
    if path.is_file():
        return str(path), _read_file(path)[1]
    try:
        if "@" in ref:
            snap = pinned(ref, dirs) or get(route=ref, dirs=dirs)
        elif _DATE_RE.match(ref) or ref == "newest":
            snap = get(compatibility_date=ref, dirs=dirs)
        elif _ROUTE_RE.match(ref):
            snap = get(route=ref, dirs=dirs)
        else:
            snaps = list_snapshots(dirs)
            matches = [s for s in snaps if s.key == ref]
            if not matches:
                if ref.endswith((".json", ".json.gz")):
                    _read_file(path)  # raises: cannot read
                known = ", ".join(sorted({s.key for s in snaps})[:20])
                raise CliError(
                    f"unknown snapshot {ref!r}: not a file, a route (latest, v3, ...), "
                    f"a compatibility date (YYYY-MM-DD) or a key; known keys: {known}"
                )
            snap = matches[0]
    except (SnapshotNotFound, ValueError) as exc:
        raise CliError(str(exc)) from None
    return snap.key, snap.load()


def _source_text(snap: Snapshot) -> str:
    src = snap.source
    kind = src.get("kind")
    if kind == "pypi":
        return f"pypi {src.get('package')}=={src.get('version')}:{src.get('path')}"
    if kind == "live":
        return str(src.get("url"))
    if kind == "derived":
        return f"derived from {src.get('from')}"
    if kind == "import":
        return str(src.get("origin") or src.get("file"))
    if "file" in src and len(src) == 1:  # a plain spec file: the directory column says where
        return Path(src["file"]).name
    return str(src.get("url") or src or "-")


def _table(rows: Sequence[Sequence[Any]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        out.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


def _print_json(data: Any, out: Output) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=False) + "\n")


# --- commands --------------------------------------------------------------------------


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    """List every snapshot found, the user's directories first."""
    snaps = list_snapshots(_search(args.dir))
    if args.json:
        _print_json(
            [{**s.manifest_entry(), "directory": str(s.directory), "bundled": s.bundled} for s in snaps], out
        )
        return 0
    rows = [
        [
            s.key,
            s.format,
            s.label,
            s.version,
            _source_text(s),
            s.sha256[:12],
            "yes" if s.derived else "no",
            "bundled" if s.bundled else str(s.directory),
        ]
        for s in snaps
    ]
    header = ["KEY", "FORMAT", "ROUTE/DATE", "VERSION", "SOURCE", "SHA256", "DERIVED", "DIRECTORY"]
    out.write(_table(rows, header))
    return 0


def cmd_import(args: argparse.Namespace, out: Output) -> int:
    """Validate a spec file and store it with its provenance."""
    path = Path(args.file).expanduser()
    raw, _ = _read_file(path)
    source: dict[str, Any] = {"kind": "import", "file": str(path.resolve())}
    if args.source:
        source["origin"] = args.source
    directory = _target_dir(args.dir)
    try:
        snap = import_spec(raw, directory, source=source, retrieved=args.retrieved)
    except SnapshotError as exc:
        raise CliError(f"{path} is refused: {exc}") from None
    out.write(f"imported {snap.key} ({snap.format} {snap.label}, version {snap.version}) into {directory}\n")
    return 0


def cmd_update(args: argparse.Namespace, out: Output) -> int:
    """Download route specs and compatibility-date specs from ESI into a snapshot directory."""
    routes = args.route or []
    dates = args.compatibility_date or []
    if not routes and not dates:
        routes, dates = ["latest"], [today_compatibility_date()]
    for route in routes:
        if not _ROUTE_RE.match(route) or route in ("meta", "_latest"):
            raise CliError(f"--route must be latest, legacy, dev or vN, not {route!r}")
    for d in dates:
        if not _DATE_RE.match(d):
            raise CliError(f"--compatibility-date must be YYYY-MM-DD, not {d!r}")
    directory = _target_dir(args.dir)
    jobs = [(route_url(r, args.api_url), {"route": r}) for r in routes]
    jobs += [(openapi_url(d, args.api_url), {"compatibility_date": d}) for d in dates]
    failures = []
    for url, expect in jobs:
        try:
            snap = download_snapshot(url, directory, **expect)
        except SnapshotError as exc:
            failures.append(str(exc))
            continue
        out.write(f"{snap.key} <- {url}\n")
    if failures:
        raise CliError("\n".join(failures))
    return 0


def cmd_diff(args: argparse.Namespace, out: Output) -> int:
    """Show what changed between two specs."""
    dirs = _search(args.dir)
    label_a, spec_a = _find(args.a, dirs)
    label_b, spec_b = _find(args.b, dirs)
    result = diff_specs(spec_a, spec_b, label_a, label_b, group_common=not args.all)
    if args.json:
        _print_json(result, out)
    else:
        out.write(format_diff(result))
    return 0


def _route_order(route: str) -> tuple[int, int]:
    named = {"latest": 0, "legacy": 1, "dev": 2}
    return (named[route], 0) if route in named else (3, int(route[1:]))


def _family(directory: Path, version: str | None) -> tuple[str, dict[str, dict[str, Any]]]:
    snaps = [
        s
        for s in list_snapshots([directory])
        if s.format == "swagger2" and s.directory == directory.resolve()
    ]
    routes = [s for s in snaps if s.route and re.match(r"^(latest|legacy|dev|v\d+)$", s.route)]
    if not routes:
        raise CliError(f"no Swagger route specs in {directory}")
    if version is None:
        counts = Counter(s.version for s in routes)
        version = max(counts, key=lambda v: (counts[v], v))
    family = [s for s in routes if s.version == version]
    if not family:
        raise CliError(f"no route spec of version {version} in {directory}")
    family.sort(key=lambda s: _route_order(s.route or ""))
    return version, {s.route or "": s.load() for s in family}


def cmd_derive_report(args: argparse.Namespace, out: Output) -> int:
    """Derive each route from a latest spec and compare with the real route specs."""
    label, latest = _find(args.source, _search(args.dir))
    directory = Path(args.against).expanduser()
    if not directory.is_dir():
        raise CliError(f"--against {directory}: not a directory")
    version, real = _family(directory, args.version)
    rows = derive_report(latest, real)
    if args.json:
        _print_json({"from": label, "against": str(directory), "version": version, "routes": rows}, out)
        return 0
    out.write(f"derived from {label} (info.version {latest['info']['version']})\n")
    out.write(f"against the real route specs of info.version {version} in {directory}\n\n")
    table = [
        [
            r["route"],
            r["real"],
            r["derived"],
            r["reproduced"],
            r["same_contract"],
            len(r["missing"]),
            len(r["extra"]),
        ]
        for r in rows
    ]
    out.write(_table(table, ["ROUTE", "REAL", "DERIVED", "REPRODUCED", "SAME-CONTRACT", "MISSING", "EXTRA"]))
    for r in rows:
        for title, ops in (("missing", r["missing"]), ("extra", r["extra"])):
            if ops:
                out.write(f"\n{r['route']} {title} ({len(ops)}):\n")
                out.write("".join(f"  {o['method']} {o['path']}  {o['operationId']}\n" for o in ops))
    return 0


def cmd_derive(args: argparse.Namespace, out: Output) -> int:
    """Derive a route spec from a latest spec and store it, marked derived."""
    label, latest = _find(args.source, _search(args.dir_search))
    try:
        spec = derive_route(latest, args.route)
    except SnapshotError as exc:
        raise CliError(str(exc)) from None
    raw = json.dumps(spec, indent=1).encode()
    directory = _target_dir(args.dir)
    snap = write_snapshot(raw, directory, source={"kind": "derived", "from": label}, derived=True)
    out.write(f"derived {snap.key} from {label} into {directory}\n")
    return 0


# --- parser ----------------------------------------------------------------------------


def build_parser(prog: str = "python -m spec_snapshots") -> argparse.ArgumentParser:
    """Return the argument parser of the snapshot commands."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Manage the ESI spec snapshots django-esi builds its clients from.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    search_help = "snapshot directory to search (repeatable; default: ESI_SPEC_SNAPSHOT_DIRS, then bundled)"

    p = sub.add_parser("list", help="list the snapshots found")
    p.add_argument("--dir", action="append", metavar="DIR", help=search_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("import", help="validate a spec file and store it with its provenance")
    p.add_argument("file", metavar="FILE", help="a Swagger 2.0 or OpenAPI 3.x ESI spec (.json or .json.gz)")
    p.add_argument("--source", metavar="TEXT", help="where the file came from (URL, package==version:path)")
    p.add_argument("--retrieved", metavar="YYYY-MM-DD", help="when it was taken (default: today)")
    p.add_argument("--dir", metavar="DIR", help="write here (default: the first ESI_SPEC_SNAPSHOT_DIRS)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("update", help="download specs from ESI")
    p.add_argument("--route", action="append", metavar="R", help="a Swagger route: latest, legacy, dev, vN")
    p.add_argument(
        "--compatibility-date", action="append", metavar="D", help="an OpenAPI compatibility date YYYY-MM-DD"
    )
    p.add_argument("--dir", metavar="DIR", help="write here (default: the first ESI_SPEC_SNAPSHOT_DIRS)")
    p.add_argument(
        "--api-url", default=DEFAULT_API_URL, metavar="URL", help=f"ESI base URL ({DEFAULT_API_URL})"
    )
    p.set_defaults(func=cmd_update)

    p = sub.add_parser("diff", help="operations added, removed, renamed and changed between two specs")
    p.add_argument("a", metavar="A", help="snapshot key, route, compatibility date or file")
    p.add_argument("b", metavar="B", help="snapshot key, route, compatibility date or file")
    p.add_argument("--dir", action="append", metavar="DIR", help=search_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--all", action="store_true", help="list common changes under every operation too")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("derive-report", help="compare routes derived from latest with the real route specs")
    p.add_argument(
        "--from", dest="source", required=True, metavar="LATEST", help="latest spec: file, key or route"
    )
    p.add_argument("--against", required=True, metavar="DIR", help="directory with the real route specs")
    p.add_argument(
        "--version", metavar="V", help="info.version of the route family (default: the most common)"
    )
    p.add_argument("--dir", action="append", metavar="DIR", help=search_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_derive_report)

    p = sub.add_parser("derive", help="store a route spec derived from latest (marked derived)")
    p.add_argument("route", metavar="ROUTE")
    p.add_argument("--from", dest="source", default="latest", metavar="LATEST", help="default: newest latest")
    p.add_argument("--dir", metavar="DIR", help="write here (default: the first ESI_SPEC_SNAPSHOT_DIRS)")
    p.add_argument("--search", dest="dir_search", action="append", metavar="DIR", help=search_help)
    p.set_defaults(func=cmd_derive)
    return parser


def execute(argv: Sequence[str], stdout: Output | None = None, prog: str = "python -m spec_snapshots") -> int:
    """Run one command; raise :class:`CliError` for bad input."""
    args = build_parser(prog).parse_args(list(argv))
    try:
        return int(args.func(args, stdout or sys.stdout))
    except SnapshotError as exc:  # a hostile or broken snapshot directory, met on the way
        raise CliError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; print errors as ``error: ...`` and return 2."""
    try:
        return execute(sys.argv[1:] if argv is None else argv)
    except CliError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except BrokenPipeError:  # output piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
