"""Where the demo keeps what must outlive a run: its data directory and its secret key.

The directory follows the XDG base directory specification
(``$XDG_DATA_HOME/django-esi-demo``, by default ``~/.local/share/django-esi-demo``).
The secret key signs the demo's sessions: it is generated on the first run, readable
by its owner only, and never printed.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

__all__ = ["APP_NAME", "data_dir", "read_secret_key", "secret_key_file"]

APP_NAME = "django-esi-demo"


def data_dir() -> Path:
    """Return the demo's data directory (not created)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    # The specification: a relative $XDG_DATA_HOME is invalid and must be ignored.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / APP_NAME


def secret_key_file() -> Path:
    """Return the secret key's file, generating the key on the first run; exit if others can read it."""
    from django.core.management.utils import get_random_secret_key

    directory = data_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            sys.exit(
                f"the demo's secret key {path} can be read by others (mode {mode:o}): "
                f"run `chmod 600 {path}`, or delete it to get a new one"
            )
        return path
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(get_random_secret_key() + "\n")
    return path


def read_secret_key(path: str | os.PathLike[str]) -> str:
    """Return the key kept in this file."""
    key = Path(path).read_text(encoding="ascii").strip()
    if not key:
        raise ValueError(f"the demo's secret key file {path} is empty: delete it to get a new one")
    return key
