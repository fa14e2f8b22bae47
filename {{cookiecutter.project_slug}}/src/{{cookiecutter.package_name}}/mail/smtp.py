"""SMTP delivery: MAIL_URL read into how to connect, and one message handed to the server.

The standard library does it (smtplib, ssl, email): no dependency to keep up, and the three ways
to connect are each one constructor. This module is the only one that imports smtplib.

    smtp://user:password@host:587      STARTTLS, required (the default of smtp://)
    smtps://user:password@host:465     TLS from the first byte
    smtp://localhost:1025?tls=none     plain, for a local catcher only

`?cafile=PATH` trusts a private CA (or a self-signed certificate) besides the system's.
"""

import functools
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from marshmallow import ValidationError

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
TLS_MODES = ("starttls", "none")
TIMEOUT_SECONDS = 10


class TemporaryFailure(Exception):
    """The server could not take the message now (a 4xx reply, a refused or dropped
    connection): sending it again later may work."""


@dataclass(frozen=True)
class MailServer:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    tls: str  # starttls or none (smtps: always TLS)
    cafile: str | None


def parse_url(url: str) -> MailServer:
    """MAIL_URL read; ValidationError naming what is wrong, never echoing a password."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValidationError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValidationError("names no host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValidationError("has a port that is not a number from 1 to 65535") from None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if unknown := sorted(set(query) - {"tls", "cafile"}):
        raise ValidationError(f"has an unknown query parameter: {unknown[0]}")
    tls = query.get("tls", "starttls")
    if tls not in TLS_MODES or (parts.scheme == "smtps" and tls == "none"):
        raise ValidationError("has tls= other than starttls or none (smtps:// is always TLS)")
    return MailServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
        cafile=query.get("cafile"),
    )


@functools.cache
def tls_context(cafile: str | None) -> ssl.SSLContext:
    """The system's CAs, and cafile's, read once per process: reading them costs about 30 ms,
    more than all the rest of a delivery. A changed cafile is read on the next start."""
    return ssl.create_default_context(cafile=cafile)


def deliver(url: str, raw: str, sender: str, recipients: list[str]) -> None:
    """Hand one message to the server; TemporaryFailure if it may work later, another
    smtplib.SMTPException if it will not (a refused sender or recipient, bad credentials)."""
    server = parse_url(url)
    encrypted = server.scheme == "smtps" or server.tls == "starttls"
    context = tls_context(server.cafile) if encrypted else None
    try:
        if server.scheme == "smtps":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with connection:
            if context is not None and server.scheme == "smtp":
                connection.starttls(context=context)
            if server.username is not None:
                connection.login(server.username, server.password or "")
            connection.sendmail(sender, recipients, raw)  # a str: smtplib ends lines with CRLF
    except smtplib.SMTPResponseException as error:
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(f"the server answered {error.smtp_code}") from error
        raise
    except smtplib.SMTPRecipientsRefused as error:
        if all(400 <= code < 500 for code, _message in error.recipients.values()):
            raise TemporaryFailure("the server deferred every recipient") from error
        raise
    except ssl.SSLError:
        raise  # a certificate or TLS setting to fix, not a moment to wait out
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        raise TemporaryFailure(f"{error.__class__.__name__}: {error}") from error
