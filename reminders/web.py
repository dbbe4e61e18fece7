"""Serving the public folder over HTTP, with the headers calendar apps rely on.

For local use and tests; production serves the folder with a static web
server configured the same way (``deploy/nginx.conf``). Strong ETags come
from the file's bytes, so a rebuild that changes nothing keeps them, and a
poll with ``If-None-Match`` gets ``304 Not Modified``. Only regular files
inside the folder are served: any path that escapes it is a 404.
"""

from __future__ import annotations

import hashlib
import mimetypes
import posixpath
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["SECURITY_HEADERS", "PublicFolderHandler", "make_server"]

CONTENT_TYPES = {
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
CACHE_CONTROL = "public, max-age=300"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class PublicFolderHandler(BaseHTTPRequestHandler):
    """GET and HEAD of files in one folder; everything else is refused."""

    folder: Path
    server_version = "reminders"
    sys_version = ""

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        path = self._resolve(urlsplit(self.path).path)
        if path is None:
            self._plain(HTTPStatus.NOT_FOUND, "Not found\n", body)
            return
        data = path.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        modified = path.stat().st_mtime
        if self._not_modified(etag, modified):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self._common_headers(etag, modified)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self._common_headers(etag, modified)
        content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        self.send_header("Content-Type", content_type or "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _resolve(self, raw: str) -> Path | None:
        """Map a URL path to a file inside the folder, or None."""
        try:
            decoded = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return None
        parts = [part for part in decoded.split("/") if part]
        if any(part in ("..", ".") or "\\" in part or "\x00" in part for part in parts):
            return None
        relative = posixpath.join(*parts) if parts else ""
        candidate = (self.folder / relative).resolve()
        if candidate.is_dir():
            candidate = candidate / "index.html"
        root = self.folder.resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        if any(part.startswith(".") for part in candidate.relative_to(root).parts):
            return None  # temporary files of an atomic write, and hidden files
        return candidate

    def _not_modified(self, etag: str, modified: float) -> bool:
        if (match := self.headers.get("If-None-Match")) is not None:
            return etag in (tag.strip() for tag in match.split(",")) or match.strip() == "*"
        if (since := self.headers.get("If-Modified-Since")) is not None:
            try:
                return int(modified) <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _common_headers(self, etag: str, modified: float) -> None:
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", formatdate(modified, usegmt=True))
        self.send_header("Cache-Control", CACHE_CONTROL)
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)

    def _plain(self, status: HTTPStatus, text: str, body: bool) -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep access logs off: a request path may carry a token."""


def make_server(folder: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Create (not start) a server for ``folder``."""
    handler = type("Handler", (PublicFolderHandler,), {"folder": folder})
    return ThreadingHTTPServer((host, port), handler)
