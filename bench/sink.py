"""An SMTP sink for benchmarks: aiosmtpd on 127.0.0.1 that accepts and discards.

Run as its own process so that its CPU is not the sender's: prints its port, then serves
until killed.
"""

from __future__ import annotations

import socket
import sys
import time

from aiosmtpd.controller import Controller


class Discard:
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
