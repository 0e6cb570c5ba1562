"""What the client benchmarks share: Django configured for a loopback ESI, market orders."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


#: Python source for a benchmark's child process: ``peak_rss_kib()``, the peak RSS of the child's own memory, KiB.
#: Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux a process started by ``subprocess`` (vfork, then exec)
#: inherits the high-water mark of its parent's memory across the exec, so a parent bigger than the child sets
#: the figure (the benchmarks' parents load specs: their children all reported about 53 MiB before this).
#: ``VmHWM`` of ``/proc/self/status`` is the child's own; without ``/proc``, ``ru_maxrss`` (bytes on macOS).
PEAK_RSS = """
def peak_rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource, sys
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak
"""


def configure_django(api_url: str, **extra: Any) -> None:
    """Configure Django for a client that talks to ``api_url`` (no response cache).

    The spec cache is off unless ``ESI_SPEC_CACHE_DIR`` is given: a benchmark writes
    nothing into the user's cache (``~/.cache/django-esi``).
    """
    import django
    from django.conf import settings

    extra.setdefault("ESI_SPEC_CACHE_DIR", False)
    settings.configure(
        INSTALLED_APPS=[],
        USE_TZ=True,
        ESI_API_URL=api_url,
        ESI_SPEC_OFFLINE=True,
        ESI_CACHE_RESPONSE=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        **extra,
    )
    django.setup()


def bytecode_env(env: dict[str, str], tmp: str | Path) -> dict[str, str]:
    """Return ``env`` for fresh benchmark processes that load every module from bytecode, as installs do.

    A wheel's modules are compiled when it is installed; django-esi's source tree,
    run with ``PYTHONDONTWRITEBYTECODE=1`` (as on this machine), would be compiled
    again in every process. The processes get a bytecode tree of their own under
    ``tmp`` (``PYTHONPYCACHEPREFIX``): the first process of each kind writes it
    (the benchmarks' untimed warm-up run), the measured ones read it, for the
    floor's libraries and django-esi alike. Nothing is written into the source
    tree or the virtualenv.
    """
    out = {**env, "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache")}
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    return out


def doubled_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Return ``spec`` twice its size: every path again under ``/copy``, its operations renamed ``*_copy``."""
    doubled = json.loads(json.dumps(spec))
    for path, item in spec["paths"].items():
        copy = json.loads(json.dumps(item))
        for op in copy.values():
            if isinstance(op, dict) and "operationId" in op:
                op["operationId"] += "_copy"
                op["tags"] = [f"{t} Copy" for t in op.get("tags", [])]
        doubled["paths"]["/copy" + path] = copy
    return doubled


def market_orders(page: int, count: int) -> list[dict[str, Any]]:
    """Return ``count`` market orders shaped like ESI's."""
    return [
        {
            "duration": 90,
            "is_buy_order": bool(i % 2),
            "issued": f"2020-05-{1 + i % 28:02d}T{i % 24:02d}:11:12Z",
            "location_id": 60003760,
            "min_volume": 1,
            "order_id": page * 100000 + i,
            "price": 5.5 + i,
            "range": "region",
            "system_id": 30000142,
            "type_id": 34 + i % 50,
            "volume_remain": 10,
            "volume_total": 10,
        }
        for i in range(count)
    ]


def best_of(repeat: int, fn: Callable[[], Any]) -> float:
    """Return the fastest wall-clock seconds of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def take_turns(repeat: int, fns: dict[str, Callable[[], Any]]) -> dict[str, list[float]]:
    """Return the wall-clock seconds of ``repeat`` rounds in which each of ``fns`` runs once, in turn.

    Taking turns, the figures compared meet the same changes of the machine's load.
    """
    import gc

    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


@dataclass
class Row:
    """One line of ``make bench``'s table: a figure, the floor of the same run, 7.0.1's, the target."""

    figure: str
    ours: float
    floor: float | None
    v701: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Return ours / floor, or None without a floor."""
        return self.ours / self.floor if self.floor else None


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "MiB":
        return f"{value:.1f} MiB"
    return f"{value:.3f} {unit}".strip()


def print_table(rows: list[Row]) -> None:
    """Print ``rows`` as one Markdown table."""
    print("| figure | django-esi | floor | ratio | 7.0.1 | target | met | note |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        met = {True: "yes", False: "**no**", None: ""}[r.met]
        cells = [r.figure, _value(r.ours, r.unit), _value(r.floor, r.unit), ratio, _value(r.v701, r.unit)]
        print("| " + " | ".join([*cells, r.target, met, r.note]) + " |")
