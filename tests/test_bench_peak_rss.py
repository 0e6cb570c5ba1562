"""bench/_common.PEAK_RSS: a benchmark's child reports its own peak memory, not its parent's.

On Linux a process started by ``subprocess`` inherits the high-water mark of its
parent's memory across ``exec`` in ``getrusage().ru_maxrss``; the start-up
benchmarks' parents hold specs of tens of MiB, so every child reported the parent's
figure. Here a parent holds 160 MiB and starts a child that needs a few.
"""

from __future__ import annotations

import json
import subprocess
import sys

from bench._common import PEAK_RSS

_CHILD = (
    PEAK_RSS
    + """
import json, resource
print(json.dumps({"own": peak_rss_kib(), "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""
)
_PARENT = f"""
import json, subprocess, sys
held = bytearray(160 * 2**20)
for i in range(0, len(held), 4096):
    held[i] = 1  # touched: resident
out = subprocess.run([sys.executable, "-c", {_CHILD!r}], capture_output=True, text=True, check=True)
print(out.stdout.strip())
"""


def test_a_childs_peak_rss_is_its_own_not_its_parents() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PARENT], capture_output=True, text=True, check=True, timeout=60
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    # A bare interpreter: some MiB, far below the 160 MiB its parent holds (whatever ru_maxrss said).
    assert 1024 < found["own"] < 80 * 1024, found


def test_peak_rss_kib_grows_with_what_the_process_holds() -> None:
    code = PEAK_RSS + (
        "before = peak_rss_kib()\nheld = bytearray(64 * 2**20)\n"
        "for i in range(0, len(held), 4096):\n    held[i] = 1\nprint(before, peak_rss_kib())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    before, after = map(int, out.stdout.split())
    assert after - before >= 60 * 1024, (before, after)
