"""Ways in by mail: sign-up (REGISTRATION=open) and invitations (invite), against a real SMTP
server; and neither while REGISTRATION is closed, the default."""

import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mailcatcher import Mailbox, drained
from {{ cookiecutter.package_name }}.auth.token.accounts import ADMIN_SCOPE
from test_recovery import SENDER, user_with_address

from auth_token import PASSWORD, AuthActions, bearer

SIGN_UP = "/api/auth/v1/signup"
CONFIRM = SIGN_UP + "/confirm"
INVITATIONS = "/api/users/v1/invitations"
ACCEPT = "/api/auth/v1/invitations/accept"
READ = "resources:read"
MakeApp = Callable[..., Flask]


@pytest.fixture(params=["open"])
def registration(request: pytest.FixtureRequest) -> str:
    """The REGISTRATION of the app: a test asks for another with indirect parametrization."""
    mode: str = request.param
    return mode


@pytest.fixture
def settings(
    auth_settings: dict[str, Any], catcher: tuple[str, Mailbox], registration: str
) -> dict[str, Any]:
    return {
        **auth_settings,
        "MAIL_URL": catcher[0],
        "MAIL_FROM": SENDER,
        "REGISTRATION": registration,
    }


def sign_up(client: FlaskClient, username: str, email: str, password: str = PASSWORD) -> Any:
    return client.post(SIGN_UP, json={"username": username, "email": email, "password": password})


def answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    """What a caller can compare of two answers: all but the request's own id."""
    headers = {k: v for k, v in response.headers.items() if k != "X-Request-ID"}
    return response.status_code, response.get_data(), headers


def test_a_sign_up_logs_in_once_its_mailed_code_comes_back(
    client: FlaskClient, auth: AuthActions, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert sign_up(client, "sam", "Sam@example.org").status_code == 202
    [message] = mailbox.wait_for(1)
    assert (message["To"], message["Subject"]) == ("Sam@example.org", "Confirm your sign-up")
    assert auth.login("sam").status_code == 401, "no account before the code comes back"
    code = mailbox.code(message)
    made = client.post(CONFIRM, json={"code": code})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["username"], body["email"], body["email_verified"]) == (
        "sam",
        "Sam@example.org",
        True,
    )
    assert body["scopes"] == [] and made.headers["Location"].endswith("/api/auth/v1/me")
    assert auth.login("sam").status_code == 200
    assert client.post(CONFIRM, json={"code": code}).status_code == 422, "single use"
    # Every log line but the test SMTP server's own (aiosmtpd's "mail.log"), which shows the mail.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert code not in logged and PASSWORD not in logged


def test_a_taken_address_or_name_gets_the_same_answer_and_only_mail_tells(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    """Signing up with a held address, with a held name, and with neither: one answer; the
    first two addresses get a notice, the third its code, and no account changes."""
    user_with_address(app, auth, "dana")
    attempts = [("erin", "DANA@example.org"), ("dana", "free@example.org"), ("finn", "f@x.org")]
    answers = [answer(sign_up(client, *attempt)) for attempt in attempts]
    assert answers[0][0] == 202
    assert all(each == answers[0] for each in answers), answers
    drained(app)
    received = {message["To"]: message for message in mailbox.wait_for(3)}
    assert "has an account already" in mailbox.text(received["DANA@example.org"])
    assert "dana is taken" in mailbox.text(received["free@example.org"])
    assert mailbox.code(received["f@x.org"])
    assert auth.login("erin").status_code == 401
    assert auth.login("dana").status_code == 200, "dana's password stays"


def test_a_name_taken_after_the_sign_up_is_refused_at_confirmation(
    client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    sign_up(client, "sam", "sam@example.org")
    code = mailbox.code(mailbox.wait_for(1)[0])
    auth.create_user("sam")
    taken = client.post(CONFIRM, json={"code": code})
    assert taken.status_code == 409
    assert taken.mimetype == "application/problem+json"
    assert "username" in taken.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "sam", "email": "sam@example.org", "password": "short"}, "password"),
        ({"username": "sam", "email": "not-an-address", "password": PASSWORD}, "email"),
        ({"username": "sam smith", "email": "sam@example.org", "password": PASSWORD}, "username"),
        ({"username": "sam", "email": None, "password": PASSWORD}, "email"),
    ],
)
def test_a_malformed_sign_up_is_refused_at_once_naming_the_field(
    app: Flask, client: FlaskClient, mailbox: Mailbox, body: dict[str, Any], field: str
) -> None:
    refused = client.post(SIGN_UP, json=body)
    assert refused.status_code == 422
    assert field in refused.get_json()["errors"]["json"]
    drained(app)
    assert mailbox.messages == []


def test_sign_ups_are_rate_limited_per_address_signed_up_with(
    make_app: MakeApp, mailbox: Mailbox
) -> None:
    client = make_app(SIGN_UP_RATE_LIMIT="2 per hour").test_client()
    statuses = [sign_up(client, f"sam{n}", "sam@example.org").status_code for n in range(3)]
    assert statuses == [202, 202, 429]
    refused = sign_up(client, "sam3", "SAM@example.org")
    assert refused.status_code == 429, "whatever its case"
    assert refused.mimetype == "application/problem+json" and "Retry-After" in refused.headers
    assert len(mailbox.wait_for(2)) == 2


@pytest.mark.parametrize("registration", ["invite"], indirect=True)
def test_an_invitation_lets_the_invitee_choose_a_name_and_password(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    admin = auth.headers("ada", (ADMIN_SCOPE, READ))
    invited = client.post(
        INVITATIONS, json={"email": "ivy@example.org", "scopes": [READ]}, headers=admin
    )
    assert invited.status_code == 202, invited.get_json()
    assert (invited.get_json()["email"], invited.get_json()["scopes"]) == (
        "ivy@example.org",
        [READ],
    )
    [message] = mailbox.wait_for(1)
    assert "ada invites you" in mailbox.text(message)
    listed = client.get(INVITATIONS, headers=admin).get_json()["items"]
    assert [each["email"] for each in listed] == ["ivy@example.org"]
    code = mailbox.code(message)
    chosen = {"code": code, "username": "ada", "password": PASSWORD}
    taken = client.post(ACCEPT, json=chosen)
    assert taken.status_code == 409, "ada is taken; the code stays good"
    accepted = client.post(ACCEPT, json={**chosen, "username": "ivy"})
    assert accepted.status_code == 201, accepted.get_json()
    assert (accepted.get_json()["scopes"], accepted.get_json()["email_verified"]) == ([READ], True)
    tokens = auth.tokens("ivy")
    assert client.get("/api/auth/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    assert client.get(INVITATIONS, headers=admin).get_json()["items"] == []
    assert client.post(ACCEPT, json={**chosen, "username": "ivy2"}).status_code == 422


@pytest.mark.parametrize("registration", ["invite"], indirect=True)
def test_an_admin_invites_with_own_scopes_only_and_no_held_address(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    user_with_address(app, auth, "dana")
    admin = auth.headers("ada", (ADMIN_SCOPE,))
    beyond = client.post(
        INVITATIONS, json={"email": "i@example.org", "scopes": [READ]}, headers=admin
    )
    assert beyond.status_code == 422 and "scopes" in beyond.get_json()["errors"]["json"]
    held = client.post(INVITATIONS, json={"email": "Dana@example.org"}, headers=admin)
    assert held.status_code == 409
    drained(app)
    assert mailbox.messages == []


@pytest.mark.parametrize("registration", ["invite"], indirect=True)
def test_a_withdrawn_invitation_lets_nobody_in(
    client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    admin = auth.headers("ada", (ADMIN_SCOPE,))
    invited = client.post(INVITATIONS, json={"email": "ivy@example.org"}, headers=admin)
    code = mailbox.code(mailbox.wait_for(1)[0])
    item = f"{INVITATIONS}/{invited.get_json()['id']}"
    assert client.delete(item, headers=admin).status_code == 204
    assert client.delete(item, headers=admin).status_code == 404
    accept = {"code": code, "username": "ivy", "password": PASSWORD}
    assert client.post(ACCEPT, json=accept).status_code == 422


@pytest.mark.parametrize("registration", ["closed", "invite", "open"], indirect=True)
def test_only_the_way_in_registration_opens_is_taken(
    client: FlaskClient, auth: AuthActions, mailbox: Mailbox, registration: str
) -> None:
    """Sign-up only when open, invitations only by invite: the other ways answer 403."""
    signed_up = sign_up(client, "sam", "sam@example.org").status_code
    admin = auth.headers("ada", (ADMIN_SCOPE,))
    invited = client.post(INVITATIONS, json={"email": "ivy@example.org"}, headers=admin)
    accepted = client.post(ACCEPT, json={"code": "x", "username": "ivy", "password": PASSWORD})
    confirmed = client.post(CONFIRM, json={"code": "x"})
    expected = {
        "closed": (403, 403, 403, 403),
        "invite": (403, 202, 422, 403),
        "open": (202, 403, 403, 422),
    }[registration]
    assert (signed_up, invited.status_code, accepted.status_code, confirmed.status_code) == expected
    if invited.status_code == 403:
        assert "REGISTRATION" in invited.get_json()["detail"]
    assert len(mailbox.wait_for(registration != "closed")) == (registration != "closed")


@pytest.mark.parametrize("mode", ["open", "invite"])
def test_a_way_in_needs_mail_to_start(make_app: MakeApp, mode: str) -> None:
    with pytest.raises(RuntimeError, match=f"REGISTRATION: {mode}"):
        make_app(REGISTRATION=mode, MAIL_URL="", MAIL_FROM="")


def test_an_unknown_registration_stops_start_up_naming_it(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRATION", "everyone")
    with pytest.raises(RuntimeError, match="REGISTRATION"):
        make_app()
