"""Files: writing them so that a reader or a crash never sees half of one, telling a change."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Stamp", "stamp_of", "write_atomically"]


@dataclass(frozen=True, slots=True)
class Stamp:
    """What tells that a file changed, short of reading it: its time and size."""

    mtime_ns: int
    size: int


def stamp_of(path: Path) -> Stamp | None:
    """The file's stamp, or None if it cannot be found."""
    try:
        info = path.stat()
    except OSError:
        return None
    return Stamp(info.st_mtime_ns, info.st_size)


def write_atomically(
    path: Path, data: str | bytes, mode: int = 0o644, *, durable: bool = True
) -> None:
    """Replace ``path`` with ``data`` in one step: the old file or the new, never a mix.

    ``durable=False`` skips flushing the bytes to the disk before the rename: for
    files made again from their sources whenever they differ (the public
    folder), where a power cut may leave an empty file that the next build
    then rewrites, but not for state that exists nowhere else.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
