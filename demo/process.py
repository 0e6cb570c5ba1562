"""Run ``python -m demo`` in a child process and learn its URL (what the tests start)."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
SITE_LINE = re.compile(r"^Demo site: (http://\S+?)/?$")
#: Where the browser walk saves its screenshots: untracked; ``make screenshots`` copies them to docs/.
SCREENSHOTS = ROOT / "build" / "screenshots"


class DemoProcess:
    """``python -m demo --port 0`` in a child process: a context manager with start()/stop() and url.

    Its data directory (``$XDG_DATA_HOME``) is ``data/`` beside ``db``; ``env`` adds variables.

    Example::

        with DemoProcess(db="/tmp/demo.sqlite3") as demo:
            requests.get(demo.url + "/status/")
    """

    def __init__(
        self,
        db: str | os.PathLike[str],
        *args: str,
        timeout: float = 90,
        env: dict[str, str] | None = None,
    ) -> None:
        self.command = [sys.executable, "-m", "demo", "--port", "0", "--db", str(db), "--quiet", *args]
        # The demo's data directory (its secret key) goes beside the database, not into ~/.local.
        self.env = {"XDG_DATA_HOME": str(Path(db).parent / "data"), **(env or {})}
        self.timeout = timeout
        self.url = ""
        self.output: list[str] = []
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> str:
        """Start the demo and return its URL once it serves; raise RuntimeError with its output if it fails."""
        self._process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(lines,), daemon=True).start()
        while not self.url:
            try:
                line = lines.get(timeout=self.timeout)
            except queue.Empty:
                self.stop()
                raise RuntimeError(
                    f"the demo printed no URL within {self.timeout} s:\n{''.join(self.output)}"
                ) from None
            if line is None:
                code = self._process.wait()
                raise RuntimeError(f"the demo exited with {code}:\n{''.join(self.output)}")
            match = SITE_LINE.match(line.strip())
            self.url = match.group(1) if match else ""
        return self.url

    def _read(self, lines: queue.Queue[str | None]) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.output.append(line)
            lines.put(line)
        lines.put(None)

    def stop(self) -> None:
        """Stop the demo (SIGTERM, then SIGKILL after 10 s); no-op when it is not running."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> DemoProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
