"""A real SMTP server for the tests: aiosmtpd's Controller on a free port of 127.0.0.1, keeping
what it receives; with STARTTLS and a login on a self-signed certificate when asked."""

import email
import email.policy
import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

from ci import unavailable

USER, PASSWORD = "mailer", "mail-password"
# A code as the messages show it: on a line of its own, indented.
CODE = re.compile(r"^    (\S+)\r?$", re.MULTILINE)


class Mailbox:
    """The messages the server received, and the reply it gives (250 unless told otherwise, or
    451 to the next `deferring` messages)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.reply = "250 OK"
        self.deferring = 0
        self.deferred = 0
        self.received = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.deferring > 0:
            self.deferring -= 1
            self.deferred += 1
            return "451 4.3.0 Try again later"
        if not self.reply.startswith("250"):
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.received:
            self.messages.append(message)  # type: ignore[arg-type]
            self.received.notify_all()
        return self.reply

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """The first count messages, once they have come; AssertionError after timeout."""
        with self.received:
            arrived = self.received.wait_for(lambda: len(self.messages) >= count, timeout)
        assert arrived, f"{len(self.messages)} of {count} messages came in {timeout} s"
        return self.messages[:count]

    def text(self, message: EmailMessage) -> str:
        """A message's plain-text part."""
        plain = message.get_body(("plain",))
        assert plain is not None
        content: str = plain.get_content()
        return content

    def code(self, message: EmailMessage) -> str:
        """The code in a message's plain-text part."""
        found = CODE.search(self.text(message))
        assert found, self.text(message)
        return found.group(1)


def drained(app: Flask) -> None:
    """Wait until the background has done what it was given (tasks=celery here runs it inline)."""
    if background := app.extensions.get("background"):
        background.queue.join()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made by openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        unavailable("openssl is not installed: no certificate for the STARTTLS test")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@contextmanager
def smtp_server(tls_folder: Path | None = None) -> Iterator[tuple[str, Mailbox]]:
    """Serve SMTP until the block ends; yield its MAIL_URL and what it receives. With
    tls_folder: STARTTLS required, then a login (USER, PASSWORD), on a certificate made there
    that the URL's cafile trusts."""
    mailbox, port = Mailbox(), free_port()
    options: dict[str, Any] = {}
    url = f"smtp://127.0.0.1:{port}?tls=none"
    if tls_folder is not None:
        cert, key = self_signed(tls_folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        options = {
            "tls_context": context,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_require_tls": True,
        }
        url = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}?cafile={cert}"
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield url, mailbox
    finally:
        controller.stop()
