"""Mail that comes back: bounces and complaints, read against the ledger.

One reader for every way returned mail arrives: a message on standard input
(a Postfix pipe transport or an alias), a Maildir folder or an IMAP folder
(over TLS) that the command or the daemon reads, each message once. The store
is handed in by the caller.
"""

from __future__ import annotations

import imaplib
import logging
import mailbox
import os
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from reminders.errors import UsageError
from reminders.mail.returns import read_report
from reminders.settings import BounceSettings
from reminders.store.base import Database
from reminders.store.bounces import record_bounce

__all__ = ["IMAP_PASSWORD_ENV", "Taken", "read_imap", "read_mailbox", "read_maildir", "take"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Taken:
    """What the returned messages did."""

    read: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0
    suppressed: int = 0
    not_bounces: int = 0
    unmatched: int = 0


def take(
    db: Database, data: bytes, domain: str, policy: BounceSettings, now: datetime, taken: Taken
) -> None:
    """Read one returned message and apply what it says to the deliveries it names."""
    report = read_report(data, domain)
    taken.read += 1
    if report.kind == "none":
        taken.not_bounces += 1
        log.info("a returned message is not a bounce or a complaint; left alone")
        return
    counter = {"hard": "hard", "soft": "soft", "complaint": "complaints"}[report.kind]
    setattr(taken, counter, getattr(taken, counter) + 1)
    matched = False
    for message_id in sorted(report.message_ids):
        answered = record_bounce(
            db, message_id, report.kind, now, hard=policy.hard, soft=policy.soft
        )
        matched |= answered.matched
        taken.suppressed += answered.suppressed
    if not matched:
        taken.unmatched += 1
        log.info("a %s names no delivery of this list; left alone", report.kind)


def read_mailbox(
    db: Database, mailbox: Path | str, domain: str, policy: BounceSettings, now: datetime
) -> Taken:
    """Read a bounce mailbox: a Maildir (a path) or an IMAP folder (an ``imaps://`` URL)."""
    if isinstance(mailbox, Path):
        return read_maildir(db, mailbox, domain, policy, now)
    return read_imap(db, mailbox, domain, policy, now)


def read_maildir(
    db: Database, folder: Path, domain: str, policy: BounceSettings, now: datetime
) -> Taken:
    """Read the new messages of a Maildir, moving each to cur/ once read (never twice)."""
    taken = Taken()
    box = mailbox.Maildir(folder, create=False)
    for key in list(box.iterkeys()):
        message = box[key]
        if message.get_subdir() != "new":
            continue
        take(db, bytes(message), domain, policy, now, taken)
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    return taken


IMAP_PASSWORD_ENV = "REMINDERS_IMAP_PASSWORD"


def read_imap(db: Database, url: str, domain: str, policy: BounceSettings, now: datetime) -> Taken:
    """Read the unseen messages of an IMAP folder over TLS, marking each seen once read.

    ``url`` is ``imaps://user@host[:port][/folder]``; the password comes from
    ``$REMINDERS_IMAP_PASSWORD``. Certificates are verified.
    """
    parts = urlsplit(url)
    if parts.scheme != "imaps" or not parts.hostname or not parts.username:
        raise UsageError(f"{url!r}: use imaps://user@host[:port][/folder]")
    password = os.environ.get(IMAP_PASSWORD_ENV)
    if password is None:
        raise UsageError(f"the IMAP password goes in ${IMAP_PASSWORD_ENV}")
    folder = unquote(parts.path.strip("/")) or "INBOX"
    taken = Taken()
    try:
        with imaplib.IMAP4_SSL(
            parts.hostname, parts.port or 993, ssl_context=ssl.create_default_context()
        ) as imap:
            imap.login(unquote(parts.username), password)
            imap.select(folder)
            _, found = imap.uid("SEARCH", "UNSEEN")
            for uid in found[0].split() if found and found[0] else []:
                _, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                data = next((item[1] for item in fetched if isinstance(item, tuple)), None)
                if isinstance(data, bytes):
                    take(db, data, domain, policy, now, taken)
                imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    except (imaplib.IMAP4.error, OSError, ssl.SSLError) as error:
        raise UsageError(f"IMAP {parts.hostname}: {error}") from None
    return taken
