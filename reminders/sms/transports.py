"""Where texts go: the provider's API through its official client, or a folder.

:class:`SmsTransport` is the small protocol every provider speaks, as the
mail transports do theirs: ``send`` hands one text over and returns the
provider's id for it, or raises what the sender must do
(:class:`~reminders.mail.handover.TemporaryFailure`: later;
:class:`~reminders.mail.handover.PermanentFailure`: never;
:class:`~reminders.mail.handover.TransportError`: stop the run, everything
stays due). Twilio is reached with the ``twilio`` package; its base URL is a
setting, so tests point the same client at a server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any, Protocol

from reminders.files import write_atomically
from reminders.mail.handover import PermanentFailure, TemporaryFailure, TransportError

__all__ = [
    "ACCOUNT_ENV",
    "TOKEN_ENV",
    "FileTexts",
    "SmsTransport",
    "TwilioTexts",
    "open_texts",
    "unreachable",
]

ACCOUNT_ENV, TOKEN_ENV = "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"

# Twilio's error codes for a number that can never get a text (the ones a carrier
# reports for unknown, unreachable or landline numbers, and the API's refusals).
_NEVER = {21211, 21214, 21217, 21407, 21408, 21421, 21606, 21610, 21612, 21614, 30005, 30006}
_STOPPED = 21610  # the person replied STOP to the provider itself


def unreachable(code: int | None) -> bool:
    """Whether a provider error code means the number can never get a text."""
    return code in _NEVER or code == 30003  # 30003: unreachable handset, reported after


class SmsTransport(Protocol):
    """Somewhere texts go."""

    def send(self, to: str, body: str, callback: str | None = None) -> str:
        """Hand over one text for ``to`` (E.164); return the provider's id for it."""

    def close(self) -> None:
        """Release what the transport holds."""


class FileTexts:
    """Each text written as a JSON file in a folder (development and the demo)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, to: str, body: str, callback: str | None = None) -> str:
        ident = "file-" + secrets.token_hex(8)
        record = {"id": ident, "to": to, "body": body}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}-{ident}.json"
            write_atomically(self.folder / name, json.dumps(record, ensure_ascii=False).encode())
        except OSError as error:
            raise TransportError(f"{self.folder}: cannot write texts: {error.strerror}") from None
        return ident

    def close(self) -> None:
        pass


class TwilioTexts:
    """Texts through Twilio's Messages API with the official client, paced."""

    def __init__(
        self,
        *,
        api_url: str,
        sender: str,
        messaging_service: str,
        per_second: int,
        timeout: float,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        account, token = os.environ.get(ACCOUNT_ENV, ""), os.environ.get(TOKEN_ENV, "")
        if not account or not token:
            raise TransportError(f"texts need ${ACCOUNT_ENV} and ${TOKEN_ENV} set")
        if not sender and not messaging_service:
            raise TransportError("texts need [sms] from or [sms] messaging_service")
        self.client = Client(account, token, http_client=TwilioHttpClient(timeout=timeout))
        self.client.api.base_url = api_url.rstrip("/")
        self.origin: dict[str, Any] = (
            {"messaging_service_sid": messaging_service} if messaging_service else {"from_": sender}
        )
        self.gap = 1 / per_second
        self.last = 0.0

    def send(self, to: str, body: str, callback: str | None = None) -> str:
        from requests import RequestException
        from twilio.base.exceptions import TwilioRestException

        wait = self.last + self.gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        extra = {"status_callback": callback} if callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **self.origin, **extra)
        except TwilioRestException as error:
            raise _failure(error) from None
        except RequestException as error:
            name = type(error).__name__
            raise TransportError(f"the text provider cannot be reached: {name}") from None
        return str(message.sid)

    def close(self) -> None:
        pass


def _failure(error: Any) -> Exception:
    status, code = int(error.status), error.code
    said = f"{status} (code {code})"
    if status in (401, 403):
        return TransportError(f"the text provider refused the account: {said}")
    if status == 429 or status >= 500:
        return TemporaryFailure(f"the text provider is busy: {said}")
    if unreachable(code) or status == 400:
        return PermanentFailure(f"the number cannot get texts: {said}")
    return TemporaryFailure(f"the text provider said {said}")


def open_texts(
    provider: str,
    transport: str,
    root: Path,
    *,
    api_url: str,
    sender: str,
    messaging_service: str,
    per_second: int,
    timeout: float,
) -> SmsTransport:
    """The text transport the ``[sms]`` settings name."""
    if transport.startswith("file:"):
        return FileTexts(root / transport.removeprefix("file:"))
    if provider == "twilio":
        return TwilioTexts(
            api_url=api_url,
            sender=sender,
            messaging_service=messaging_service,
            per_second=per_second,
            timeout=timeout,
        )
    raise TransportError("no text provider is set ([sms] provider or transport)")
