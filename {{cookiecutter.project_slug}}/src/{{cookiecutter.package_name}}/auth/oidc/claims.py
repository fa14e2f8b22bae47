"""From a validated token's claims (a JWT's or an introspection answer) to the caller."""

from typing import Any

from ..base import Identity, unauthorized


def check_audience(claims: dict[str, Any], audience: str) -> None:
    """Refuse a token not meant for this API: "aud" (a string or a list) must name audience."""
    if not audience:
        return
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience not in audiences:
        raise unauthorized("The token is not meant for this API (audience).")


def check_issuer(claims: dict[str, Any], issuer: str) -> None:
    """Refuse a token naming another issuer (introspection answers may omit "iss")."""
    if "iss" in claims and claims["iss"] != issuer:
        raise unauthorized("The token was issued by another issuer.")


def identity(claims: dict[str, Any]) -> Identity:
    """subject = sub; name = the first of preferred_username, username, name, client_id, sub;
    scopes = the space-separated "scope" claim, or "scp" (a list, or a string as Entra ID sends).
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise unauthorized("The token names no subject.")
    name = next(
        (
            value
            for key in ("preferred_username", "username", "name", "client_id")
            if isinstance(value := claims.get(key), str) and value
        ),
        subject,
    )
    scopes = claims.get("scope", claims.get("scp", ""))
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list):
        scopes = []
    return Identity(
        subject=subject,
        name=name,
        scopes=frozenset(scope for scope in scopes if isinstance(scope, str)),
    )
