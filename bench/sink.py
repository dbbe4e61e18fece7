"""An SMTP sink for benchmarks: aiosmtpd on 127.0.0.1 that accepts and discards.

Run as its own process so that its CPU is not the sender's: prints its port, then serves
until killed. It offers PIPELINING (RFC 2920), as Postfix and the large providers do;
aiosmtpd reads commands in order from its stream, so a pipelined envelope is served
as one sent in turn. Clients that do not pipeline (smtplib, Django) are unaffected.
"""

from __future__ import annotations

import socket
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Session


class Discard:
    async def handle_EHLO(
        self,
        server: object,
        session: Session,
        envelope: object,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
