"""Mail: off until MAIL_URL is set; send(message) never runs on the request path.

A message is rendered from templates/ (plain text and HTML, which a project edits) while the
request is served, then handed to the tasks backend: with tasks=celery a worker delivers it and
retries a temporary failure with backoff; without, a thread of this process delivers it after
the answer. A failure is logged with the request's id and trace id, never shown to the caller.
"""

import logging
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from flask import Flask, current_app
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from marshmallow import ValidationError

from .. import tasks
from ..config import Setting, Settings
from . import smtp

logger = logging.getLogger(__name__)

DELIVER = "mail.deliver"
# What a background sender retries (tasks=celery): the server may take the message later.
TEMPORARY = (smtp.TemporaryFailure,)


def check_url(value: str) -> None:
    if value:
        smtp.parse_url(value)


def check_sender(value: str) -> None:
    if value and not [address for _name, address in getaddresses([value]) if "@" in address]:
        raise ValidationError("must be an address, e.g. 'Inventory API <no-reply@example.org>'")


# Read from the environment like the core settings (see .env.example).
SETTINGS: Settings = {
    # Empty: no mail is sent, and the routes that need it are refused (503).
    "MAIL_URL": Setting("str", "", check_url),
    "MAIL_FROM": Setting("str", "", check_sender),
}

templates = Environment(
    loader=PackageLoader(__name__, "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)


def init_app(app: Flask) -> None:
    """Refuse a MAIL_URL without a MAIL_FROM, and let the tasks backend deliver."""
    if app.config["MAIL_URL"] and not app.config["MAIL_FROM"]:
        raise RuntimeError("MAIL_FROM: must be set when MAIL_URL is (the sender of every message)")
    tasks.register(app, DELIVER, deliver, retry_on=TEMPORARY)


def enabled() -> bool:
    return bool(current_app.config["MAIL_URL"])


def compose(template: str, to: str, subject: str, **context: Any) -> EmailMessage:
    """A message to one address, its text and HTML parts rendered from templates/<template>.txt
    and .html with the context, and the project's name."""
    context = {"project": current_app.config["API_TITLE"], **context}
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = Address(addr_spec=to)
    message.set_content(templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(templates.get_template(f"{template}.html").render(context), "html")
    # Its own boundary: left unset, the email package draws one from the random module's shared
    # state, and a message is written out in a background thread as well as in a request.
    message.set_boundary(f"=_{secrets.token_hex(16)}")
    return message


def send(message: EmailMessage) -> None:
    """Deliver the message in the background (see the module's docstring)."""
    recipients = [address for _name, address in getaddresses(message.get_all("To", []))]
    tasks.later(DELIVER, message.as_string(), recipients)


def deliver(raw: str, recipients: list[str]) -> None:
    """Hand a message to MAIL_URL's server (the background half of send)."""
    [(_name, sender)] = getaddresses([current_app.config["MAIL_FROM"]])
    smtp.deliver(current_app.config["MAIL_URL"], raw, sender, recipients)
