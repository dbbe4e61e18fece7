"""A sender's claims on the shared work queue: a batch at a time, never sent past the lease.

The ledger holds the queue (see :mod:`reminders.store.ledger`); this is the sender's
side of it. :class:`Claims` claims a batch (the next one just before this one
runs out), hands the deliveries this sender's own plan holds to the send loop
one at a time, withdraws those it does not, and gives back what it cannot
start with at least one SMTP timeout left on its lease. :func:`alive` lets a
SQLite sender release the claims of a process that died on this host, instead
of waiting out its lease.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from reminders.plan import Delivery
from reminders.store import queue
from reminders.store.base import Database, StateError, holder

__all__ = ["Claims", "alive"]

log = logging.getLogger(__name__)


def alive(name: str) -> bool:
    """Whether the claim holder ``host:pid`` may still run."""
    host, _, pid = name.rpartition(":")
    if host != socket.gethostname():
        return True  # another host's process: only its lease can tell
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        pass
    return True


class Claims:
    """This sender's claims, and the deliveries they stand for."""

    def __init__(
        self,
        db: Database,
        planned: list[Delivery],
        *,
        batch: int,
        lease: timedelta,
        margin: timedelta,
        clock: Callable[[], datetime],
        settle: Callable[[], None] = lambda: None,
    ) -> None:
        """Claim ``batch`` at a time for ``lease``; start no send within ``margin`` of its end.

        ``margin`` is the longest one send may take (the SMTP timeout). ``settle``
        puts on record what the sender has sent; it is called before the queue is
        claimed from or given back to, so a lapsed claim is never taken again for a
        message that went.
        """
        self.db, self.clock, self.settle = db, clock, settle
        self.holder = holder()
        self.batch, self.lease, self.margin = batch, lease, margin
        self.planned = {queue.key(d): d for d in planned}
        # Each claim held, with the moment its batch must stop starting sends.
        self.held: list[tuple[queue.Key, datetime]] = []
        self.drained = False  # the last claim found nothing: only take() asks again
        self.stopped = False

    def take(self, stop: Callable[[], bool]) -> Iterator[Delivery]:
        """Yield claimed deliveries in turn until the queue holds none for this sender."""
        while self.held or self._claim():
            if not self.held:
                continue  # the whole batch was withdrawn: claim again
            if stop():
                self.stopped = True
                return
            key, deadline = self.held[0]
            if self.clock() >= deadline:
                late = [claim for claim in self.held if claim[1] <= deadline]
                log.warning("lease nearly over; giving back %d claims", len(late))
                self._give_back(late)
                continue
            # Still held while it is sent: if sending raises, close() gives it back.
            yield self.planned[key]
            self.held.pop(0)

    def upcoming(self, count: int = 1) -> list[Delivery]:
        """The deliveries :meth:`take` will likely yield after the current one, in turn.

        When fewer than ``count`` are held after the current one, the next batch
        is claimed now rather than when this one runs out: its first deliveries are
        then made while this one's last go, and the end of a batch costs the
        server no wait. A delivery is offered only once it is claimed.
        """
        if len(self.held) <= count and not self.drained:
            self._claim()
        return [self.planned[key] for key, _ in self.held[1 : 1 + count]]

    def _claim(self) -> bool:
        """Claim a batch behind what is held; tell whether the queue gave any."""
        # What went is put on record first: a lapsed claim of a message that went
        # must not be taken again.
        self.settle()
        at = self.clock()
        keys = queue.claim(self.db, self.holder, at, at + self.lease, self.batch)
        self.drained = not keys
        stale = [key for key in keys if key not in self.planned]
        if stale:
            # Not due by this sender's reading of the data: it may be the newer reading.
            queue.withdraw(self.db, self.holder, stale)
        deadline = at + self.lease - self.margin
        self.held += [(key, deadline) for key in keys if key in self.planned]
        return bool(keys)

    def _give_back(self, claims: list[tuple[queue.Key, datetime]] | None = None) -> None:
        """Release ``claims`` (by default all that are held) unsent, once what went is on record."""
        self.settle()
        if claims is None:
            claims, self.held = self.held, []
        else:
            self.held = [claim for claim in self.held if claim not in claims]
        if claims:
            queue.release(self.db, self.holder, [key for key, _ in claims])

    def close(self) -> None:
        """Give back whatever is still claimed and unsent."""
        try:
            self._give_back()
        except StateError as error:
            log.warning("claims not given back (their lease will expire): %s", error)
