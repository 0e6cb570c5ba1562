"""Write a file atomically: readers see the old file or the whole new one, never a part.

One helper for every file django-esi writes where a reader may look meanwhile:
the snapshots of :mod:`spec_snapshots.store`, the spec cache file of
:mod:`esi.spec` and the operations kept beside it (:mod:`esi.lazy_spec`).
It imports nothing but the standard library, so a client's call may use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically"]


def write_atomically(
    path: Path, write: Callable[[BinaryIO], object], *, prefix: str | None = None, mode: int | None = None
) -> None:
    """Write ``path`` with ``write(f)``, atomically.

    ``write`` writes into a new file in ``path``'s directory (created if it is
    missing), which then replaces ``path`` (:func:`os.replace`: atomic on POSIX
    and Windows within one directory). If anything fails, ``write`` included,
    the new file is removed, ``path`` is as it was, and the exception is raised.

    ``prefix`` starts the temporary file's name (default ``.<name>.``, hidden);
    ``mode`` is given to the file before it replaces ``path`` (default: the
    0600 of :func:`tempfile.mkstemp`, readable by its owner only).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix or f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
