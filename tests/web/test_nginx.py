"""deploy/nginx.conf in front of `reminders serve`, as a deployment runs them.

nginx and waitress are real processes on 127.0.0.1; clients connect from
distinct addresses of 127.0.0.0/8, as distinct people would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reminders.sms.transports import TOKEN_ENV
from tests.conftest import ROOT, run_cli, set_setting
from tests.support.mailsink import free_port
from tests.support.twilioserver import ACCOUNT, TOKEN, signed_post
from tests.support.webclient import Browserless, Reply

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(),
    reason="NGINX IS NOT INSTALLED: the deployment path is untested here (.ci/run installs it)",
)


@dataclass
class Deployment:
    port: int  # nginx's

    def client(self, source: str = "127.0.0.1", **headers: str) -> Browserless:
        return Browserless("127.0.0.1", self.port, source=source, headers=headers)


def site_config(public: Path, port: int, app_port: int) -> str:
    """deploy/nginx.conf with this test's paths and ports, and nothing else changed."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("listen [::]:80;", ""),
        ("root /var/lib/reminders/public;", f"root {public};"),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{app_port};"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    return text


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            Browserless("127.0.0.1", port).get("/style.css")
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.1)


@pytest.fixture
def deployment(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    set_setting(workspace, '[web]\ntrusted_proxies = 1\n[mail]\ntransport = "maildir:var/outbox"')
    set_setting(workspace, '[sms]\ntransport = "file:var/texts"')
    monkeypatch.setenv(TOKEN_ENV, TOKEN)  # the provider's webhooks are signed with it
    assert run_cli("build", "--now", "2011-02-15T12:00Z", cwd=workspace).returncode == 0
    app_port, port = free_port(), free_port()
    app = subprocess.Popen(
        [sys.executable, "-m", "reminders", "serve", "--port", str(app_port)],
        cwd=workspace,
        stderr=subprocess.DEVNULL,
    )
    nginx_home = tmp_path / "nginx"
    nginx_home.mkdir()
    (nginx_home / "site.conf").write_text(site_config(workspace / "public", port, app_port))
    (nginx_home / "nginx.conf").write_text(
        "daemon off;\nworker_processes 1;\npid nginx.pid;\nerror_log error.log;\n"
        # As root, workers would drop to nobody, who cannot enter pytest's folders.
        + ("user root;\n" if os.getuid() == 0 else "")
        + "events {}\nhttp {\n"
        + "".join(
            f"    {kind}_temp_path {nginx_home / kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"    include {nginx_home / 'site.conf'};\n}}\n"
    )
    nginx = subprocess.Popen([NGINX, "-p", str(nginx_home), "-c", str(nginx_home / "nginx.conf")])
    try:
        wait_for_port(app_port)
        wait_for_port(port)
        yield Deployment(port=port)
    finally:
        nginx.terminate()
        app.terminate()
        nginx.wait(timeout=10)
        app.wait(timeout=10)


def sign_up(client: Browserless, email: str) -> Reply:
    token = client.get("/subscribe").form_token()
    form: dict[str, object] = {"csrf": token, "email": email, "language": "en"}
    return client.post("/subscribe", form)


def test_the_feed_through_nginx_has_its_headers_and_revalidates(deployment: Deployment) -> None:
    client = deployment.client()
    first = client.get("/meetings.ics")
    assert first.status == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"] == "public, max-age=300"
    assert "default-src 'none'" in first.headers["content-security-policy"]
    assert first.body.startswith("BEGIN:VCALENDAR")
    etag = first.headers["etag"]
    again = deployment.client(**{"If-None-Match": etag}).get("/meetings.ics")
    assert again.status == 304
    assert again.body == ""
    assert deployment.client().get("/../reminders.toml").status in (400, 404)
    assert deployment.client().get("/.hidden").status == 404


def test_the_sign_up_limit_counts_each_real_client(deployment: Deployment) -> None:
    # Eight people, each from their own address: every one may sign up.
    statuses = [
        sign_up(deployment.client(f"127.0.0.{10 + n}"), f"person{n}@example.net").status
        for n in range(8)
    ]
    assert statuses == [200] * 8
    # One client, five times allowed in ten minutes; the sixth is refused.
    one = deployment.client("127.0.0.50")
    statuses = [sign_up(one, f"again{n}@example.net").status for n in range(6)]
    assert statuses == [200] * 5 + [429]


def test_a_forged_forwarded_for_does_not_make_one_client_many(deployment: Deployment) -> None:
    statuses = []
    for n in range(6):
        forger = deployment.client("127.0.0.60", **{"X-Forwarded-For": f"198.51.100.{n}"})
        statuses.append(sign_up(forger, f"forged{n}@example.net").status)
    assert statuses == [200] * 5 + [429]


def test_answers_reach_the_application_through_nginx(deployment: Deployment) -> None:
    """The answer pages are proxied like the sign-up pages, and only those paths."""
    client = deployment.client()
    assert client.get("/rsvp/2011-02-26-worcester").status == 410  # from the app: it is over
    bad = client.get("/rsvp/2011-02-26-worcester/yes?token=forged")
    assert bad.status == 400
    assert "This link does not work" in bad.body
    assert client.get("/rsvp/2011-02-26-worcester/perhaps").status == 404
    assert client.get("/rsvp/../reminders.toml").status in (400, 404)
    assert deployment.client().get("/rsvp/2011-02-26-worcester").headers.get("cache-control") == (
        "no-store"
    )


def test_the_text_provider_s_signed_webhooks_pass_through_nginx(deployment: Deployment) -> None:
    """nginx hands the provider's form and signature over untouched; the app checks both."""
    public = "https://example.org/meetings/"  # base_url: the address the provider was given
    here = f"http://127.0.0.1:{deployment.port}/"
    reply = {"AccountSid": ACCOUNT, "From": "+16175550123", "To": "+16175550199", "Body": " help "}
    code, twiml = signed_post(f"{here}sms/inbound", reply, public=f"{public}sms/inbound")
    assert code == 200
    assert "<Message>Community meetings on Secure Communities. Questions:" in twiml
    forged = signed_post(f"{here}sms/inbound", reply, "not-the-token", f"{public}sms/inbound")
    assert forged[0] == 403
    report = {"AccountSid": ACCOUNT, "MessageSid": "SM0", "MessageStatus": "delivered"}
    assert signed_post(f"{here}sms/status", report, public=f"{public}sms/status")[0] == 204
    assert signed_post(f"{here}sms/status", report)[0] == 403  # signed for the wrong address
    link = deployment.client().get("/m/2011-02-26-worcester")
    assert link.status == 302
    assert link.headers["location"].endswith("#2011-02-26-worcester")
