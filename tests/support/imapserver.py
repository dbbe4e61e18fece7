"""A small IMAP4rev1 server over TLS on 127.0.0.1, speaking the subset a mail client uses.

LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH (BODY.PEEK[]), UID STORE +FLAGS and
LOGOUT, as RFC 3501 writes them, with a self-signed certificate the test trusts.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import socketserver
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["ImapServer", "self_signed"]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written into ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "imap-cert.pem", folder / "imap-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class ImapServer:
    """One mailbox of messages; a login that must match; flags kept per message."""

    def __init__(self, folder: Path, user: str, password: str) -> None:
        self.cert, key = self_signed(folder)
        self.user, self.password = user, password
        self.messages: list[bytes] = []
        self.seen: set[int] = set()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def setup(self) -> None:
                self.request = context.wrap_socket(self.request, server_side=True)
                super().setup()

            def handle(self) -> None:
                server.converse(self.rfile, self.wfile)

        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.tcp.server_address[1])
        self.thread = threading.Thread(target=self.tcp.serve_forever, daemon=True)

    def converse(self, rfile: object, wfile: object) -> None:
        def say(line: bytes) -> None:
            wfile.write(line + b"\r\n")  # type: ignore[attr-defined]

        say(b"* OK IMAP4rev1 test server ready")
        authenticated = False
        while line := rfile.readline():  # type: ignore[attr-defined]
            tag, _, rest = line.strip().partition(b" ")
            command = rest.upper()
            if command.startswith(b"CAPABILITY"):
                say(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN")
                say(tag + b" OK CAPABILITY completed")
            elif command.startswith(b"LOGIN"):
                words = re.findall(rb'"((?:[^"\\]|\\.)*)"|(\S+)', rest[5:].strip())
                user, password = (a or b for a, b in words[:2])
                authenticated = (user.decode(), password.decode()) == (self.user, self.password)
                say(tag + (b" OK LOGIN completed" if authenticated else b" NO LOGIN failed"))
            elif not authenticated and not command.startswith(b"LOGOUT"):
                say(tag + b" NO not authenticated")
            elif command.startswith(b"SELECT"):
                say(b"* %d EXISTS" % len(self.messages))
                say(tag + b" OK [READ-WRITE] SELECT completed")
            elif command.startswith(b"UID SEARCH"):
                unseen = [n + 1 for n in range(len(self.messages)) if n + 1 not in self.seen]
                say(b"* SEARCH" + b"".join(b" %d" % uid for uid in unseen))
                say(tag + b" OK SEARCH completed")
            elif command.startswith(b"UID FETCH"):
                uid = int(rest.split()[2])
                data = self.messages[uid - 1]
                wfile.write(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(data)))  # type: ignore[attr-defined]
                wfile.write(data + b")\r\n")  # type: ignore[attr-defined]
                say(tag + b" OK FETCH completed")
            elif command.startswith(b"UID STORE"):
                self.seen.add(int(rest.split()[2]))
                say(tag + b" OK STORE completed")
            elif command.startswith(b"LOGOUT"):
                say(b"* BYE logging out")
                say(tag + b" OK LOGOUT completed")
                return
            else:
                say(tag + b" BAD unknown command")

    def __enter__(self) -> ImapServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()
