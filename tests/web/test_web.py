"""`reminders serve`: real HTTP requests to a real subprocess on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture
def server(workspace: Path) -> Iterator[tuple[str, int]]:
    assert run_cli("build", "--now", "2011-02-15T12:00Z", cwd=workspace).returncode == 0
    (workspace / "secret.txt").write_text("not for the web")
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "serve", "--port", "0"],
        cwd=workspace,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert process.stderr is not None
    lines = [process.stderr.readline() for _ in range(2)]  # a notice, then "serving ..."
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))
    assert match, lines
    assert "put nginx before it" in lines[0]  # run bare, it says it belongs behind a proxy
    try:
        yield "127.0.0.1", int(match.group(1))
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(server: tuple[str, int], path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def test_feed_is_served_with_calendar_headers_then_304(server: tuple[str, int]) -> None:
    response = get(server, "/meetings.ics")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/calendar; charset=utf-8"
    etag = response.getheader("ETag")
    assert etag is not None
    assert etag.startswith('"')
    assert response.getheader("Last-Modified")
    assert "max-age" in (response.getheader("Cache-Control") or "")
    again = get(server, "/meetings.ics", **{"If-None-Match": etag})
    assert again.status == 304
    assert again.getheader("ETag") == etag
    since = get(
        server, "/meetings.ics", **{"If-Modified-Since": response.getheader("Last-Modified") or ""}
    )
    assert since.status == 304


def test_landing_page_is_html_with_a_strict_content_security_policy(
    server: tuple[str, int],
) -> None:
    response = get(server, "/")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert "default-src 'none'" in (response.getheader("Content-Security-Policy") or "")


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/meetings/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/meetings/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/meetings/..%5c..%5csecret.txt",
        "/nope.ics",
        "/" + "a" * 300,  # longer than a file name may be
        "/meetings/" + "b" * 300 + ".ics",
        "/" + "d/" * 40 + "meetings.ics",
        "/" + "e" * 5000,
    ],
)
def test_paths_outside_the_folder_get_404(server: tuple[str, int], path: str) -> None:
    assert get(server, path).status == 404
