"""An SMTP sink for benchmarks: aiosmtpd on 127.0.0.1 that accepts and discards.

Run as its own process so that its CPU is not the sender's: prints its port, then serves
until killed. It offers PIPELINING (RFC 2920), as Postfix and the large providers do;
aiosmtpd reads commands in order from its stream, so a pipelined envelope is served
as one sent in turn. Clients that do not pipeline (smtplib, Django) are unaffected.

With an argument, a round trip in milliseconds, the port printed is a proxy's that
holds every chunk for half of it each way before passing it on, in order: a relay
across a network instead of on the same host.
"""

from __future__ import annotations

import asyncio
import socket
import sys

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


async def carry(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Pass on what ``reader`` gets, each chunk ``delay`` seconds after it came, in order."""
    loop = asyncio.get_running_loop()
    chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await chunks.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()
        writer.close()

    delivering = asyncio.create_task(deliver())
    while data := await reader.read(65536):
        chunks.put_nowait((loop.time() + delay, data))
    chunks.put_nowait((loop.time() + delay, b""))
    await delivering


async def delayed(port: int, round_trip: float) -> None:
    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(
            carry(reader, server_writer, round_trip / 2),
            carry(server_reader, writer, round_trip / 2),
        )

    proxy = await asyncio.start_server(connect, "127.0.0.1", 0)
    print(proxy.sockets[0].getsockname()[1], flush=True)
    await proxy.serve_forever()


def main() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        if len(sys.argv) > 1:
            asyncio.run(delayed(port, float(sys.argv[1]) / 1000))
        else:
            print(port, flush=True)
            asyncio.run(asyncio.Event().wait())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
