"""`flask users ...` and `flask tokens purge`."""

from datetime import timedelta

from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from {{ cookiecutter.package_name }}.auth.token.models import RefreshToken, Registration, User
from {{ cookiecutter.package_name }}.extensions import db
from {{ cookiecutter.package_name }}.models import utcnow

from auth_token import PASSWORD, AuthActions

SCOPES = ["--scope", "resources:read", "--scope", "resources:write"]


def test_create_reads_the_password_from_stdin(runner: FlaskCliRunner, auth: AuthActions) -> None:
    """The user is created and can log in with that password."""
    result = runner.invoke(
        args=["users", "create", "dana", *SCOPES, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "resources:read resources:write" in result.output
    assert PASSWORD not in result.output
    assert auth.login("dana", PASSWORD).status_code == 200


def test_create_asks_for_the_password_twice(runner: FlaskCliRunner, auth: AuthActions) -> None:
    result = runner.invoke(args=["users", "create", "dana"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert auth.login("dana", PASSWORD).status_code == 200


def test_create_refuses_passwords_that_differ(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "dana"], input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: The passwords do not match."
    assert "Traceback" not in result.output


def test_create_refuses_a_weak_password_in_one_line(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "dana", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert result.output == "Error: The password must be at least 12 characters long.\n"


def test_create_refuses_a_duplicate_and_a_bad_name(
    runner: FlaskCliRunner, auth: AuthActions
) -> None:
    auth.create_user("dana")
    duplicate = runner.invoke(args=["users", "create", "dana", "--password-stdin"], input="x\n")
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    bad = runner.invoke(args=["users", "create", "no spaces", "--password-stdin"], input="x\n")
    assert bad.exit_code == 1
    bad_scope = runner.invoke(
        args=["users", "create", "erin", "--scope", 'a"b', "--generate-password"]
    )
    assert bad_scope.exit_code == 1
    assert "Not a scope" in bad_scope.output


def test_create_can_generate_the_password(runner: FlaskCliRunner, auth: AuthActions) -> None:
    """The generated password is printed once, follows the rules and logs in."""
    result = runner.invoke(args=["users", "create", "demo", *SCOPES, "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.splitlines()[-1].removeprefix("Password (shown once): ")
    assert len(password) >= 20
    assert auth.login("demo", password).status_code == 200


def test_list_shows_users_state_and_scopes(runner: FlaskCliRunner, auth: AuthActions) -> None:
    auth.create_user("alice", scopes=["resources:read"])
    auth.create_user("bob", scopes=[], active=False)
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["alice\tactive\tresources:read\t", "bob\tdisabled\t\t"]


def test_disable_and_enable(runner: FlaskCliRunner, auth: AuthActions) -> None:
    auth.create_user("alice")
    assert runner.invoke(args=["users", "disable", "alice"]).exit_code == 0
    assert auth.login("alice").status_code == 401
    assert runner.invoke(args=["users", "enable", "alice"]).exit_code == 0
    assert auth.login("alice").status_code == 200
    unknown = runner.invoke(args=["users", "disable", "nobody"])
    assert unknown.exit_code == 1
    assert "There is no user 'nobody'" in unknown.output


def test_purge_deletes_only_what_has_expired(runner: FlaskCliRunner, auth: AuthActions) -> None:
    auth.create_user()
    auth.tokens()
    with runner.app.app_context():
        user = db.session.scalars(select(User)).one()
        expired = utcnow() - timedelta(seconds=1)
        for jti in ("old-1", "old-2"):
            db.session.add(RefreshToken(jti=jti, family="f", user=user, expires_at=expired))
        for expires_at in (expired, expired + timedelta(days=1)):
            signed_up = Registration(kind="sign_up", email="s@example.org", expires_at=expires_at)
            db.session.add(signed_up)
        db.session.commit()
    result = runner.invoke(args=["tokens", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Deleted 2 expired refresh token(s) and 1 sign-up(s) or invitation(s).\n"
    )
    with runner.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RefreshToken)) == 1
        assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_update_promotes_and_the_last_admin_stays(
    runner: FlaskCliRunner, auth: AuthActions
) -> None:
    """Scopes and address change through the same rules as the API's; the last admin stays."""
    auth.create_user("alice", scopes=[])
    promoted = runner.invoke(
        args=["users", "update", "alice", "--scope", "users:admin", "--email", "a@example.org"]
    )
    assert promoted.exit_code == 0, promoted.output
    listed = runner.invoke(args=["users", "list"]).output
    assert listed == "alice\tactive\tusers:admin\ta@example.org\n"
    for args in (
        ["disable", "alice"],
        ["update", "alice", "--no-scopes"],
        ["delete", "alice", "--yes"],
    ):
        refused = runner.invoke(args=["users", *args])
        assert refused.exit_code == 1
        assert refused.output == (
            "Error: alice is the last active user with users:admin: give the scope to another"
            " user first.\n"
        )
    bad = runner.invoke(args=["users", "update", "alice", "--email", "nope"])
    assert (bad.exit_code, bad.output) == (1, "Error: Not an email address: 'nope'.\n")
    auth.create_user("bob", scopes=["users:admin"])
    assert runner.invoke(args=["users", "delete", "alice", "--yes"]).exit_code == 0
    assert runner.invoke(args=["users", "list"]).output == "bob\tactive\tusers:admin\t\n"
