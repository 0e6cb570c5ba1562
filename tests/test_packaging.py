"""The sdist and the wheel, built from the working tree as a release would be.

The sdist is the package and no test tree: the test suite needs the repository
(the demo, the docs, ``../shared``) to run, so it is left out rather than shipped
half (no conftest, settings or cassettes).
"""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = """
import sys
from setuptools import build_meta
out = sys.argv[1]
print("sdist", build_meta.build_sdist(out))
print("wheel", build_meta.build_wheel(out))
print("editable", build_meta.build_editable(out))  # what `make demo` and `make test` install
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Build the sdist and the wheel from a copy of the tree git knows; return their members and output."""
    tmp = tmp_path_factory.mktemp("packaging")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    source = tmp / "src"
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp / "dist"
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(out)], cwd=source, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = dict(
        line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(("sdist ", "wheel "))
    )
    with tarfile.open(out / names["sdist"]) as sdist:
        sdist_members = [m.split("/", 1)[1] for m in sdist.getnames() if "/" in m]
    with zipfile.ZipFile(out / names["wheel"]) as wheel:
        wheel_members = wheel.namelist()
        metadata_name = next(n for n in wheel_members if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(wheel.read(metadata_name))
    return {"sdist": sdist_members, "wheel": wheel_members, "metadata": metadata, "log": done.stderr}


def test_license_is_the_gpl3_text_the_metadata_names(built: dict[str, object]) -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE")
    assert "Version 3, 29 June 2007" in text and "END OF TERMS AND CONDITIONS" in text
    metadata = built["metadata"]
    assert metadata["License-Expression"] == "GPL-3.0-or-later"
    assert not [c for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    assert "LICENSE" in built["sdist"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in built["wheel"])


def test_the_build_warns_about_nothing(built: dict[str, object]) -> None:
    # pip shows each of setuptools' warnings (InformationOnly included) in a !! banner.
    log = str(built["log"])
    loud = [line for line in log.splitlines() if re.search(r"Warning|InformationOnly|^!!$|absent from", line)]
    assert not loud, log[-3000:]


@pytest.mark.parametrize(
    "path",
    [
        "esi_testing/data/README.md",  # docs/fake_esi.rst sends readers to it
        "esi_testing/data/characters.json",
        "esi_testing/fake/templates/sso_consent.html",
        "esi/templates/esi/select_token.html",
        "esi/static/esi/css/esi.css",
        "spec_snapshots/manifest.json",
        "esi_testing/py.typed",
    ],
)
def test_the_package_data_ships_in_wheel_and_sdist(built: dict[str, object], path: str) -> None:
    assert path in built["wheel"]
    assert path in built["sdist"]


def test_no_half_test_tree_ships(built: dict[str, object]) -> None:
    assert not [n for n in built["sdist"] if n.startswith("tests/")]
    assert not [n for n in built["wheel"] if n.startswith("tests/")]
    assert not [n for n in built["wheel"] if "__pycache__" in n]
