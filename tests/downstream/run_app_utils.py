#!/usr/bin/env python3
"""Run allianceauth-app-utils' own test suite against this package in place of django-esi.

The sdist of allianceauth-app-utils ships its test project (``utils-test-app``)
and its ``tox.ini``. For each of the tox envs given (default ``py311-django42``
and ``py311-django52``) this script builds a virtualenv as tox would (the env's
``allianceauth`` pin, the ``test`` extra, app-utils itself), then runs the suite
twice in it: first with the django-esi that Alliance Auth pulls from the
registry (8.x under Alliance Auth 4, 10.x under Alliance Auth 5), then with
this checkout installed in its place. It prints the counts of both runs::

    python tests/downstream/run_app_utils.py                 # both envs
    python tests/downstream/run_app_utils.py --env py311-django52 --keep /tmp/au

It needs the package registry (it installs from it), Redis on 127.0.0.1
(the test project's cache) and what building mysqlclient (a dependency of
allianceauth) needs: ``apt-get install pkg-config default-libmysqlclient-dev
build-essential`` on Debian; it takes several minutes, so it is not part of the
default test run (``make downstream`` runs it). The cache is moved to Redis
database ``--redis-db`` (15) so that it cannot clear another suite's cache.
Exit status: 0 when this package's run fails no test that the registry's passed.

Measured 2026-12-03, 15:16 UTC (django-esi 10.1.0, allianceauth-app-utils 1.33.2)::

    py311-django42  django-esi 8.4.0  (registry): ran 178, passed 177, errors 1
    py311-django42  django-esi 10.1.0 (this    ): ran 178, passed 177, errors 1
    py311-django52  django-esi 10.0.0 (registry): ran 129, passed 128, errors 1
    py311-django52  django-esi 10.1.0 (this    ): ran 178, passed 177, errors 1

The one error of every run is ``TestNoSocketsTestCase`` expecting its socket guard
to fire on ``requests.get("https://www.google.com")``: without DNS, name resolution
fails first. Under 10.0.0 the 49 tests of ``test_esi.py`` and ``test_esi_testing.py``
are not collected (they import ``esi.clients``, which 10.0.0 dropped); this package
runs and passes them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "allianceauth-app-utils"
VERSION = "1.33.2"
#: The tox envs: the allianceauth pin (tox.ini ``deps``), the settings (``setenv``), and the
#: django-esi the env's sites run (Alliance Auth 4 asks only for django-esi>=7.0.1, so the
#: registry's newest would be picked; its sites run 8.x).
ENVS = {
    "py311-django42": ("allianceauth>=4,<5", "testauth.settings_aa4.local", "django-esi==8.4.0"),
    "py311-django52": ("allianceauth>=5,<6", "testauth.settings_aa5.local", "django-esi==10.0.0"),
}
#: tox.ini's ``extras = test`` of utils-test-app.
TEST_EXTRA = ["coverage", "factory_boy", "requests_mock"]
SETTINGS_WRAPPER = """\
# Written by django-esi's tests/downstream/run_app_utils.py: the env's settings,
# with the cache on a Redis database of its own.
from {settings} import *  # noqa: F401,F403

CACHES["default"]["LOCATION"] = "redis://127.0.0.1:6379/{redis_db}"  # noqa: F405
"""


@dataclass
class Counts:
    """What one run of the suite reported."""

    ran: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    returncode: int = 0
    failed_tests: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        return self.ran - self.failures - self.errors - self.skipped

    def __str__(self) -> str:
        return (
            f"ran {self.ran}, passed {self.passed}, failures {self.failures}, "
            f"errors {self.errors}, skipped {self.skipped} (exit {self.returncode})"
        )


def parse_counts(output: str, returncode: int) -> Counts:
    """Return the counts of a unittest run from its output."""
    counts = Counts(returncode=returncode)
    ran = re.findall(r"^Ran (\d+) tests? in", output, re.M)
    if ran:
        counts.ran = int(ran[-1])
    summary = re.findall(r"^(?:OK|FAILED)(?: \((.*)\))?$", output, re.M)
    for part in (summary[-1] if summary else "").split(","):
        name, _, number = part.strip().partition("=")
        if name in ("failures", "errors", "skipped") and number.isdigit():
            setattr(counts, name, int(number))
    counts.failed_tests = tuple(re.findall(r"^(?:FAIL|ERROR): (\S+ \(\S+\))", output, re.M))
    return counts


def run(cmd: list[str], log: Path, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``, appending its output to ``log``; raise with the log's tail when it fails."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, **kwargs)
    if kwargs.get("check", True) and done.returncode:
        tail = log.read_text(encoding="utf-8")[-3000:]
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}); end of {log}:\n{tail}")
    return done


def fetch_sdist(work: Path, log: Path) -> Path:
    """Download and unpack the sdist; return its directory."""
    unpacked = work / f"allianceauth_app_utils-{VERSION}"
    if unpacked.is_dir():
        return unpacked
    dl = work / "dl"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(dl)]
    run([*pip, f"{PACKAGE}=={VERSION}"], log)
    (sdist,) = dl.glob("allianceauth_app_utils-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(work, filter="data")
    return unpacked


def check_build_tools() -> None:
    """Exit with what to install when mysqlclient (pulled in by allianceauth) cannot be built."""
    found = shutil.which("pkg-config") and any(
        subprocess.run(["pkg-config", "--exists", name]).returncode == 0
        for name in ("mysqlclient", "mariadb")
    )
    if not found:
        raise SystemExit(
            "allianceauth depends on mysqlclient, which is built from source: install pkg-config and the "
            "MySQL client headers first (Debian: apt-get install pkg-config default-libmysqlclient-dev "
            "build-essential)"
        )


def build_env(name: str, python: str, source: Path, work: Path, log: Path) -> Path:
    """Build the virtualenv of one tox env (as tox would) and return its python."""
    pin, _, _ = ENVS[name]
    venv = work / name
    py = venv / "bin" / "python"
    if not (venv / ".built").exists():
        shutil.rmtree(venv, ignore_errors=True)
        run([python, "-m", "venv", str(venv)], log)
        run([str(py), "-m", "pip", "install", "-q", pin, *TEST_EXTRA], log)
        run([str(py), "-m", "pip", "install", "-q", str(source)], log)
        (venv / ".built").touch()
    return py


def esi_version(py: Path) -> str:
    """Return the version of the django-esi installed in the venv of ``py``."""
    done = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('django-esi'))"],
        capture_output=True,
        text=True,
        cwd=py.parent,  # not a directory with an egg-info of its own
    )
    return done.stdout.strip() or "?"


def copy_checkout(work: Path) -> Path:
    """Copy the checkout's sources into ``work``: pip builds in the tree it installs from."""
    target = work / "django-esi-src"
    shutil.rmtree(target, ignore_errors=True)
    skip = shutil.ignore_patterns(
        ".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__", "_build"
    )
    shutil.copytree(ROOT, target, ignore=skip)
    return target


def install_esi(py: Path, name: str, which: str, work: Path, log: Path) -> None:
    """Install django-esi: ``registry`` (the release the env's sites run) or ``this`` (the checkout)."""
    run([str(py), "-m", "pip", "uninstall", "-q", "-y", "django-esi"], log)
    if which == "this":
        # pip warns when allianceauth pins another django-esi: that is the point.
        run([str(py), "-m", "pip", "install", "-q", str(copy_checkout(work))], log)
    else:
        run([str(py), "-m", "pip", "install", "-q", ENVS[name][2]], log)


def run_suite(py: Path, name: str, source: Path, redis_db: int, log: Path) -> Counts:
    """Run utils-test-app's suite as the tox env's ``commands`` do (without coverage)."""
    _, settings, _ = ENVS[name]
    app = source / "utils-test-app"
    (app / "downstream_settings.py").write_text(
        SETTINGS_WRAPPER.format(settings=settings, redis_db=redis_db), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    env["DJANGO_SETTINGS_MODULE"] = "downstream_settings"
    # The suite's settings name no spec cache: django-esi's default one (~/.cache) must not be written.
    env["XDG_CACHE_HOME"] = str(source.parent / f"xdg-cache-{name}")
    done = run([str(py), "runtests.py", "-v", "2"], log, cwd=app, env=env, check=False)
    return parse_counts(log.read_text(encoding="utf-8").rsplit("runtests.py -v 2", 1)[-1], done.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", action="append", choices=sorted(ENVS), help="tox env (repeatable)")
    parser.add_argument("--python", default=shutil.which("python3.11") or sys.executable)
    parser.add_argument(
        "--keep", type=Path, help="work directory to keep (and reuse) instead of a temporary one"
    )
    parser.add_argument(
        "--only-this", action="store_true", help="skip the run with the registry's django-esi"
    )
    parser.add_argument("--redis-db", type=int, default=15)
    args = parser.parse_args(argv)

    check_build_tools()
    work = args.keep or Path(tempfile.mkdtemp(prefix="esi-downstream-"))
    work.mkdir(parents=True, exist_ok=True)
    source = fetch_sdist(work, work / "fetch.log")
    worse = False
    for name in args.env or list(ENVS):
        log = work / f"{name}.log"
        py = build_env(name, args.python, source, work, log)
        results: dict[str, tuple[str, Counts]] = {}
        for which in ("this",) if args.only_this else ("registry", "this"):
            install_esi(py, name, which, work, log)
            version = esi_version(py)
            results[which] = (version, run_suite(py, name, source, args.redis_db, log))
            print(f"{name}  django-esi {version:<8} ({which:<8}): {results[which][1]}", flush=True)
        this = results["this"][1]
        for test in this.failed_tests:
            print(f"    failed with this package: {test}")
        if "registry" in results:
            baseline = results["registry"][1]
            new = sorted(set(this.failed_tests) - set(baseline.failed_tests))
            worse |= bool(new) or this.passed < baseline.passed
        else:
            worse |= this.returncode != 0
    print(f"logs in {work}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
