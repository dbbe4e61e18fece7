"""A small HTTP client for tests: real requests to 127.0.0.1, cookies kept or not."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def form_token(self) -> str:
        match = re.search(r'name="csrf" value="([^"]+)"', self.body)
        assert match, self.body
        return match.group(1)


@dataclass
class Browserless:
    """Like a browser without JavaScript: keeps cookies between requests."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    source: str | None = None  # the address it connects from (any of 127.0.0.0/8)
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request

    def request(
        self,
        method: str,
        url: str,
        form: dict[str, object] | None = None,
        cookies: bool = True,
        body: str | None = None,
    ) -> Reply:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(self.headers)
        if cookies and self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = body
        if form is not None:
            data = urlencode(form, doseq=True)
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(
            self.host,
            self.port,
            timeout=10,
            source_address=(self.source, 0) if self.source else None,
        )
        connection.request(method, path or "/", body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(value)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
        connection.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)

    def get(self, url: str) -> Reply:
        return self.request("GET", url)

    def post(self, url: str, form: dict[str, object] | None = None, **options: object) -> Reply:
        return self.request("POST", url, form, **options)  # type: ignore[arg-type]
