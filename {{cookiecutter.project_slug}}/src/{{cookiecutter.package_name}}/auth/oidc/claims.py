"""From a validated token's claims (a JWT's or an introspection answer) to the caller.

Providers carry permissions in different claims: OAuth scopes in "scope" (a string) or "scp"
(Entra ID: a string; Okta: a list), Auth0 RBAC in "permissions", app roles in "roles" (Entra
ID), Keycloak roles in "realm_access.roles" and "resource_access.<client>.roles", ZITADEL project
roles as the keys of "urn:zitadel:iam:org:project:roles". OIDC_SCOPE_CLAIMS names the claims to
read, OIDC_SCOPE_MAP turns the provider's names into this API's.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..base import Identity, unauthorized

# "{audience}" stands for OIDC_AUDIENCE (Keycloak: the API's client id); skipped while it is empty.
DEFAULT_SCOPE_CLAIMS = (
    "scope",
    "scp",
    "permissions",
    "roles",
    "realm_access.roles",
    "resource_access.{audience}.roles",
    "urn:zitadel:iam:org:project:roles",
)


@dataclass(frozen=True)
class ScopeRules:
    """Where a token's permissions are and what the API calls them."""

    paths: tuple[str, ...] = DEFAULT_SCOPE_CLAIMS
    mapping: Mapping[str, frozenset[str]] = field(default_factory=dict)
    audience: str = ""

    @classmethod
    def from_settings(cls, claims: Any, mapping: Any, audience: str) -> "ScopeRules":
        """Read OIDC_SCOPE_CLAIMS ("a,b.c" or a list), OIDC_SCOPE_MAP ("theirs=ours,..." or a dict).

        A provider name may be mapped twice, to two API names.
        """
        paths = claims.split(",") if isinstance(claims, str) else list(claims)
        if isinstance(mapping, str):
            items = [item.partition("=")[::2] for item in mapping.split(",") if item.strip()]
        else:
            items = [(str(theirs), str(ours)) for theirs, ours in dict(mapping).items()]
        renamed: dict[str, set[str]] = {}
        for theirs, ours in items:
            if not theirs.strip() or not ours.strip():
                raise RuntimeError(f"OIDC_SCOPE_MAP: {theirs}={ours} is not provider-name=api-name")
            renamed.setdefault(theirs.strip(), set()).add(ours.strip())
        return cls(
            paths=tuple(path.strip() for path in paths if path.strip()),
            mapping={name: frozenset(ours) for name, ours in renamed.items()},
            audience=audience,
        )

    def scopes(self, claims: Mapping[str, Any]) -> frozenset[str]:
        """Every name found under every path, renamed by the map (names not in it stay)."""
        found: set[str] = set()
        for path in self.paths:
            if "{audience}" in path:
                if not self.audience:
                    continue
                path = path.replace("{audience}", self.audience)
            found.update(_names(lookup(claims, path)))
        return frozenset(api for name in found for api in self.mapping.get(name, {name}))


def lookup(claims: Any, path: str) -> Any:
    """The value at a dotted path; keys may hold dots themselves (Auth0 namespaces with URLs)."""
    if not path:
        return claims
    if not isinstance(claims, Mapping):
        return None
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):  # the longest key first
        key = ".".join(parts[:cut])
        if key in claims:
            return lookup(claims[key], ".".join(parts[cut:]))
    return None


def _names(value: Any) -> list[str]:
    """A space-separated string, a list of strings, or an object whose keys are the names."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    if isinstance(value, Mapping):
        return [key for key in value if isinstance(key, str)]
    return []


def check_audience(claims: dict[str, Any], audience: str) -> None:
    """Refuse a token not meant for this API: "aud" (a string or a list) must name audience."""
    if not audience:
        return
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience not in audiences:
        raise unauthorized("The token is not meant for this API (audience).")


def check_issuer(claims: dict[str, Any], issuer: str) -> None:
    """Refuse a token naming another issuer, compared exactly (introspection may omit "iss")."""
    if "iss" in claims and claims["iss"] != issuer:
        raise unauthorized("The token was issued by another issuer.")


def identity(claims: dict[str, Any], rules: ScopeRules | None = None) -> Identity:
    """subject = sub, else client_id: RFC 7662 makes "sub" optional and several providers omit it
    from client-credentials tokens, whose caller is the client itself;
    name = the first of preferred_username, username, name, client_id, then the subject;
    scopes = what rules find (by default: scope, scp, permissions, roles and the providers' roles).
    """
    subject = next(
        (
            value
            for key in ("sub", "client_id")
            if isinstance(value := claims.get(key), str) and value
        ),
        "",
    )
    if not subject:
        raise unauthorized("The token names no subject and no client.")
    name = next(
        (
            value
            for key in ("preferred_username", "username", "name", "client_id")
            if isinstance(value := claims.get(key), str) and value
        ),
        subject,
    )
    return Identity(subject=subject, name=name, scopes=(rules or ScopeRules()).scopes(claims))
