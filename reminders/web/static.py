"""The public folder over HTTP: the headers calendar apps rely on, and nothing outside it.

Strong ETags from the bytes, ``Last-Modified``, ``304 Not Modified`` and
byte ranges come from Werkzeug's conditional responses; a path that leaves
the folder (``..``, encoded or not) or names a hidden file is a 404.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from flask import Request, Response

__all__ = ["CACHE_CONTROL", "CONTENT_TYPES", "resolve", "static_file"]

CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=300"
LONGEST_PATH = 512  # characters
DEEPEST_PATH = 8  # folders


def resolve(folder: Path, raw: str) -> Path | None:
    """Map a URL path to a regular, visible file inside ``folder``, or None."""
    parts = [part for part in raw.split("/") if part]
    if len(raw) > LONGEST_PATH or len(parts) > DEEPEST_PATH:
        return None  # the folder holds nothing so long or deep
    if any(part in ("..", ".") or "\\" in part or "\x00" in part for part in parts):
        return None
    root = folder.resolve()
    try:
        candidate = root.joinpath(*parts).resolve() if parts else root
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
    except (OSError, ValueError):  # a name too long for the file system, say
        return None
    if any(part.startswith(".") for part in candidate.relative_to(root).parts):
        return None  # temporary files of an atomic write, and hidden files
    return candidate


def static_file(folder: Path, name: str, request: Request) -> Response:
    """One file of the public folder, answered conditionally; 404 if it is not there."""
    path = resolve(folder, name)
    if path is None:
        return Response("Not found\n", status=404, content_type="text/plain; charset=utf-8")
    data = path.read_bytes()
    content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    response = Response(data, content_type=content_type or "application/octet-stream")
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    response.last_modified = int(path.stat().st_mtime)  # type: ignore[assignment]
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.make_conditional(request, accept_ranges=True)
    return response
