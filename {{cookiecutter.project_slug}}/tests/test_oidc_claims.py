"""auth=oidc: how a validated token's claims become the caller, whichever the validation."""

from typing import Any

import pytest
from werkzeug.exceptions import Unauthorized

from {{ cookiecutter.package_name }}.auth.oidc.claims import (
    check_audience,
    check_issuer,
    identity,
)


@pytest.mark.parametrize(
    ("claims", "name", "scopes"),
    [
        ({"sub": "1", "preferred_username": "ann", "name": "Ann A."}, "ann", set()),
        ({"sub": "1", "username": "ann", "client_id": "app"}, "ann", set()),
        ({"sub": "1", "name": "Ann A.", "client_id": "app"}, "Ann A.", set()),
        ({"sub": "1", "client_id": "app", "scope": "a b"}, "app", {"a", "b"}),
        ({"sub": "1", "scp": ["a", "b"]}, "1", {"a", "b"}),
        ({"sub": "1", "scp": "a b"}, "1", {"a", "b"}),
        ({"sub": "1", "scope": 42}, "1", set()),
    ],
)
def test_identity_from_claims(claims: dict[str, Any], name: str, scopes: set[str]) -> None:
    """name: preferred_username, username, name, client_id, then sub; scopes: scope, else scp."""
    caller = identity(claims)
    assert (caller.subject, caller.name, caller.scopes) == ("1", name, scopes)


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 7}])
def test_a_token_without_subject_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        identity(claims)


@pytest.mark.parametrize(
    ("aud", "accepted"),
    [("api", True), (["other", "api"], True), ("other", False), ([], False), (None, False)],
)
def test_the_audience_must_name_this_api(aud: Any, accepted: bool) -> None:
    claims = {} if aud is None else {"aud": aud}
    if accepted:
        check_audience(claims, "api")
    else:
        with pytest.raises(Unauthorized):
            check_audience(claims, "api")


def test_no_audience_configured_accepts_any() -> None:
    check_audience({"aud": "other"}, "")


def test_an_introspection_answer_may_omit_the_issuer() -> None:
    """RFC 7662 makes "iss" optional; when present it must be ours."""
    check_issuer({"sub": "x"}, "https://issuer")
    with pytest.raises(Unauthorized):
        check_issuer({"iss": "https://other"}, "https://issuer")
