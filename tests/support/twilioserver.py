"""A local stand-in for Twilio's REST API and its webhooks, on 127.0.0.1.

It implements the part of the Messages API the tool uses, as Twilio documents
it: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic
auth (the account SID and auth token), form-encoded ``To``, ``Body`` and
``From`` or ``MessagingServiceSid``, an optional ``StatusCallback``, and a JSON
answer (201 with the message resource, or an error with its ``code``). It
calls the tool back as Twilio does: form posts signed with
``X-Twilio-Signature`` (HMAC-SHA1 of the URL and the sorted parameters, under
the auth token) for incoming texts and delivery status.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "test-auth-token-0123456789abcdef"


@dataclass
class Text:
    """One message the API accepted."""

    sid: str
    to: str
    body: str
    sender: str
    callback: str


@dataclass
class Provider:
    """What the fake provider has seen, and how it misbehaves on purpose."""

    texts: list[Text] = field(default_factory=list)
    # Numbers the API refuses, with the Twilio error code it answers (21614: not mobile).
    refuse: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each answer, to catch a sender mid-batch
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, number: str) -> list[Text]:
        with self.lock:
            return [text for text in self.texts if text.to == number]


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            time.sleep(provider.delay)
            path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
            expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.headers.get("Authorization") != expected:
                self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                return
            if self.path != path:
                self._answer(404, {"code": 20404, "message": "Not found", "status": 404})
                return
            to, body = form.get("To", ""), form.get("Body", "")
            origin = form.get("From") or form.get("MessagingServiceSid", "")
            if not to.startswith("+") or not body or not origin:
                self._answer(400, {"code": 21211, "message": "Invalid 'To'", "status": 400})
                return
            if to in provider.refuse:
                code = provider.refuse[to]
                self._answer(400, {"code": code, "message": "refused", "status": 400})
                return
            sid = "SM" + secrets.token_hex(16)
            with provider.lock:
                provider.texts.append(Text(sid, to, body, origin, form.get("StatusCallback", "")))
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": ACCOUNT,
                    "to": to,
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": body,
                    "status": "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "uri": f"{path[:-5]}/{sid}.json",
                },
            )

    return Handler


class TwilioServer:
    """The fake API on a free port of 127.0.0.1, for a ``with`` block."""

    def __init__(self) -> None:
        self.provider = Provider()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.provider))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> TwilioServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed_post(
    url: str, params: dict[str, str], token: str = TOKEN, public: str | None = None
) -> tuple[int, str]:
    """POST ``params`` to ``url`` as Twilio calls a webhook: form-encoded and signed.

    The signature covers ``public``, the address the provider was given, when a
    proxy stands between it and ``url``.
    """
    signature = RequestValidator(token).compute_signature(public or url, params)
    request = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def incoming(base_url: str, number: str, body: str, token: str = TOKEN) -> tuple[int, str]:
    """A text from ``number``, as Twilio delivers it to the tool's inbound webhook."""
    params = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT,
        "From": number,
        "To": "+16175550199",
        "Body": body,
        "NumMedia": "0",
    }
    return signed_post(f"{base_url}sms/inbound", params, token)


def status(text: Text, state: str, code: str = "") -> tuple[int, str]:
    """A delivery report for ``text`` to its StatusCallback, as Twilio sends it."""
    params = {"MessageSid": text.sid, "MessageStatus": state, "AccountSid": ACCOUNT}
    if code:
        params["ErrorCode"] = code
    return signed_post(text.callback, params)
