"""What a folder holds, as the tests compare it: each file's bytes by its relative path."""

from __future__ import annotations

from pathlib import Path

__all__ = ["folder_bytes"]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, by its ``/``-separated path relative to it."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
