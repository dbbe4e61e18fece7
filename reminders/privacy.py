"""No full address or phone number in any log line: one log record factory masks them all.

Masking happens when a record is made, before any handler or filter sees it,
so it covers our loggers, the libraries' (smtplib replies quote addresses,
waitress and Flask log exceptions), the message, its arguments and the
traceback text alike: ``maria@example.org`` becomes ``m***@example.org``, and
a number in E.164 form (as the tool and its text provider write them)
``+16175550100`` becomes ``+1 ••• ••• 0100``.
Importing :mod:`reminders` installs it.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from reminders.sms.numbers import mask_number

__all__ = ["install", "mask", "mask_text"]

# Deliberately wide: anything shaped like local@domain.tld is hidden.
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_NUMBER = re.compile(r"\+[1-9]\d{7,14}\b")


def mask(address: str) -> str:
    """Hide an address for logs: ``maria@example.org`` -> ``m***@example.org``.

    A recipient of the text channel (``sms:+16175550100``) is shown as its number,
    masked: ``+1 ••• ••• 0100``.
    """
    if address.startswith("sms:"):
        return mask_number(address.removeprefix("sms:"))
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_text(text: str) -> str:
    """Every address and E.164 number in ``text``, masked."""
    text = _ADDRESS.sub(lambda found: mask(found.group(0)), text)
    return _NUMBER.sub(lambda found: mask_number(found.group(0)), text)


_previous = logging.getLogRecordFactory()


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _previous(*args, **kwargs)
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string: keep what there is
        message = str(record.msg)
    record.msg, record.args = mask_text(message), None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text, record.exc_info = mask_text(text), None
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    return record


def install() -> None:
    """Make every log record of this process mask addresses (idempotent)."""
    if logging.getLogRecordFactory() is not _masked_record:
        logging.setLogRecordFactory(_masked_record)
