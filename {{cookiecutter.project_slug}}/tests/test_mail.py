"""Mail: MAIL_URL read and refused as every setting is, and messages delivered to a real SMTP
server, in plain text and HTML, over STARTTLS with a login where the URL says so."""

import random
import smtplib
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from mailcatcher import free_port, smtp_server
from {{ cookiecutter.package_name }} import mail
from {{ cookiecutter.package_name }}.mail import smtp

MakeApp = Callable[..., Flask]
SENDER = "Test API <no-reply@example.org>"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example.org", "smtp:// or smtps://"),
        ("smtp://", "names no host"),
        ("smtp://mail.example.org:port", "port"),
        ("smtp://mail.example.org?tls=maybe", "tls="),
        ("smtps://mail.example.org?tls=none", "tls="),
        ("smtp://mail.example.org?debug=1", "unknown query parameter: debug"),
    ],
)
def test_a_malformed_mail_url_stops_start_up_naming_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("MAIL_URL", url)
    monkeypatch.setenv("MAIL_FROM", SENDER)
    with pytest.raises(RuntimeError) as refused:
        make_app()
    assert "MAIL_URL" in str(refused.value) and says in str(refused.value)
    assert "password" not in str(refused.value)


def test_a_mail_url_needs_a_sender(make_app: MakeApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_URL", "smtp://localhost:1025?tls=none")
    with pytest.raises(RuntimeError, match="MAIL_FROM"):
        make_app()
    monkeypatch.setenv("MAIL_FROM", "nobody")
    with pytest.raises(RuntimeError, match="MAIL_FROM"):
        make_app()


def test_the_url_says_how_to_connect() -> None:
    server = smtp.parse_url("smtp://me%40x.org:p%2Fss@mail.example.org?cafile=/ca.pem")
    assert (server.port, server.tls, server.username, server.password, server.cafile) == (
        587,
        "starttls",
        "me@x.org",
        "p/ss",
        "/ca.pem",
    )
    assert smtp.parse_url("smtps://mail.example.org").port == 465
    assert smtp.parse_url("smtp://localhost:1025?tls=none").tls == "none"


def compose_and_deliver(app: Flask, url: str) -> None:
    with app.app_context():
        message = mail.compose(
            "verify_email", "dana@example.org", "Hello", username="dana", code="C0DE", hours=2
        )
        smtp.deliver(url, message.as_string(), "no-reply@example.org", ["dana@example.org"])


def test_a_message_goes_in_text_and_html(make_app: MakeApp) -> None:
    with smtp_server() as (url, mailbox):
        app = make_app(MAIL_URL=url, MAIL_FROM=SENDER)
        compose_and_deliver(app, url)
        [message] = mailbox.wait_for(1)
    assert (message["To"], message["From"], message["Subject"]) == (
        "dana@example.org",
        SENDER,
        "Hello",
    )
    assert mailbox.code(message) == "C0DE"
    html = message.get_body(("html",))
    assert html is not None and "<code>C0DE</code>" in html.get_content()
    assert app.config["API_TITLE"] in html.get_content()
    assert "http" not in html.get_content(), "no link leaves the project, no tracking pixel"


def test_writing_a_message_leaves_the_random_module_alone(make_app: MakeApp) -> None:
    """A message is written out in the background thread too: the random module's state is
    shared by the whole process (a test's generator seeds it), so a boundary comes from secrets."""
    app = make_app(MAIL_URL="smtp://localhost:1025?tls=none", MAIL_FROM=SENDER)
    before = random.getstate()
    with app.app_context():
        first, second = (
            mail.compose("verify_email", "dana@example.org", "Hi", username="d", code="C", hours=2)
            for _ in range(2)
        )
        raw = first.as_string()
    assert random.getstate() == before
    assert first.get_boundary() != second.get_boundary()
    assert f"--{first.get_boundary()}--" in raw


def test_starttls_and_a_login_on_a_self_signed_certificate(
    make_app: MakeApp, tmp_path: Path
) -> None:
    with smtp_server(tls_folder=tmp_path) as (url, mailbox):
        app = make_app(MAIL_URL=url, MAIL_FROM=SENDER)
        compose_and_deliver(app, url)
        assert len(mailbox.wait_for(1)) == 1
        # Without the certificate's CA the client refuses the server: no message goes.
        untrusted = url.split("?")[0]
        with pytest.raises(Exception) as refused:
            compose_and_deliver(app, untrusted)
        assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)
        assert not isinstance(refused.value, smtp.TemporaryFailure)
        # The CAs are read once per file: with its CA, the server is trusted again.
        compose_and_deliver(app, url)
        assert len(mailbox.wait_for(2)) == 2


def test_a_4xx_reply_or_no_server_is_temporary_and_a_5xx_is_not(make_app: MakeApp) -> None:
    with smtp_server() as (url, mailbox):
        app = make_app(MAIL_URL=url, MAIL_FROM=SENDER)
        mailbox.reply = "451 4.3.0 Try again later"
        with pytest.raises(smtp.TemporaryFailure):
            compose_and_deliver(app, url)
        mailbox.reply = "554 5.7.1 Rejected"
        with pytest.raises(smtplib.SMTPDataError):
            compose_and_deliver(app, url)
    with pytest.raises(smtp.TemporaryFailure):
        compose_and_deliver(app, f"smtp://127.0.0.1:{free_port()}?tls=none")
