"""auth=oidc: how a validated token's claims become the caller, whichever the validation."""

from typing import Any

import pytest
from werkzeug.exceptions import Unauthorized

from {{ cookiecutter.package_name }}.auth.oidc.claims import (
    ScopeRules,
    check_audience,
    check_issuer,
    identity,
)

READ, WRITE = "resources:read", "resources:write"


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


@pytest.mark.parametrize("claims", [{}, {"sub": ""}, {"sub": 7}, {"client_id": ""}])
def test_a_token_naming_nobody_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        identity(claims)


def test_a_machine_token_without_subject_is_its_client() -> None:
    """RFC 7662 makes "sub" optional; a client-credentials caller is the client itself."""
    caller = identity({"client_id": "robot", "scope": READ})
    assert (caller.subject, caller.name, caller.scopes) == ("robot", "robot", {READ})


# Access-token claims as each provider shapes them, with the settings that fit it (README).
MAP = f"api-read={READ},api-write={WRITE}"
PROVIDERS = {
    "keycloak": (
        {
            "sub": "f81d-4fae",
            "azp": "cli",
            "aud": ["my-api", "account"],
            "scope": "openid profile email",
            "realm_access": {"roles": ["offline_access", "api-read"]},
            "resource_access": {"my-api": {"roles": ["api-write"]}, "account": {"roles": ["x"]}},
            "preferred_username": "ann",
        },
        {"mapping": MAP, "audience": "my-api"},
    ),
    "entra-delegated": (
        {"sub": "AAAA", "scp": "api-read api-write", "name": "Ann A.", "aud": "app-id"},
        {"mapping": MAP},
    ),
    "entra-application": (
        {"sub": "sp-object-id", "roles": ["api-read"], "azp": "daemon", "aud": "app-id"},
        {"mapping": MAP},
    ),
    "auth0-rbac": (
        {
            "sub": "auth0|ann",
            "aud": ["https://my-api", "https://tenant.auth0.com/userinfo"],
            "scope": "openid profile",
            "permissions": [READ, WRITE],
        },
        {},
    ),
    "auth0-machine": (
        {
            "sub": "abc@clients",
            "azp": "abc",
            "scope": f"{READ} {WRITE}",
            "gty": "client-credentials",
        },
        {},
    ),
    "okta": (
        {"sub": "00u1", "cid": "0oa1", "scp": ["openid", READ], "uid": "00u1"},
        {},
    ),
    "zitadel": (
        {
            "sub": "2701",
            "client_id": "cli@project",
            "urn:zitadel:iam:org:project:roles": {
                "api-read": {"2700": "org.example.com"},
                "api-write": {"2700": "org.example.com"},
            },
        },
        {"mapping": MAP},
    ),
}
EXPECTED = {
    "keycloak": ("f81d-4fae", "ann", {READ, WRITE}),
    "entra-delegated": ("AAAA", "Ann A.", {READ, WRITE}),
    "entra-application": ("sp-object-id", "sp-object-id", {READ}),
    "auth0-rbac": ("auth0|ann", "auth0|ann", {READ, WRITE}),
    "auth0-machine": ("abc@clients", "abc@clients", {READ, WRITE}),
    "okta": ("00u1", "00u1", {READ}),
    "zitadel": ("2701", "cli@project", {READ, WRITE}),
}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_the_default_claims_fit_each_provider(provider: str) -> None:
    """Keycloak, Entra ID, Auth0, Okta, ZITADEL: only OIDC_SCOPE_MAP (and the audience) set."""
    claims, settings = PROVIDERS[provider]
    rules = ScopeRules.from_settings(
        ",".join(ScopeRules().paths), settings.get("mapping", ""), settings.get("audience", "")
    )
    caller = identity(claims, rules)
    assert (caller.subject, caller.name, set(caller.scopes) & {READ, WRITE}) == EXPECTED[provider]


def test_the_claims_read_are_configurable() -> None:
    """Only the paths listed; a path reaches into objects, and a key may hold dots (Auth0)."""
    claims = {
        "sub": "1",
        "scope": READ,
        "https://my-api.example.com/roles": ["api-write"],
        "app": {"metadata": {"roles": ["api-read"]}},
    }
    paths = "https://my-api.example.com/roles, app.metadata.roles"
    rules = ScopeRules.from_settings(paths, MAP, "")
    assert identity(claims, rules).scopes == {READ, WRITE}


def test_one_provider_name_may_map_to_several() -> None:
    rules = ScopeRules.from_settings("roles", {"admin": READ}, "")
    assert rules.scopes({"roles": ["admin"]}) == {READ}
    rules = ScopeRules.from_settings("roles", f"admin={READ},admin={WRITE}", "")
    assert rules.scopes({"roles": ["admin", "other"]}) == {READ, WRITE, "other"}


@pytest.mark.parametrize("mapping", ["api-read", "=x", "x=", "a=b,c"])
def test_a_malformed_scope_map_stops_start_up(mapping: str) -> None:
    with pytest.raises(RuntimeError, match="OIDC_SCOPE_MAP"):
        ScopeRules.from_settings("scope", mapping, "")


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


def test_the_issuer_is_compared_exactly() -> None:
    """As discovery states it: Auth0's issuer ends with a slash, Entra ID's does not."""
    check_issuer({"iss": "https://tenant.auth0.com/"}, "https://tenant.auth0.com/")
    with pytest.raises(Unauthorized):
        check_issuer({"iss": "https://tenant.auth0.com"}, "https://tenant.auth0.com/")
