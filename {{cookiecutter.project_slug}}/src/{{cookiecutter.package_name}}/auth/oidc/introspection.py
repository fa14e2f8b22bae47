"""OIDC_TOKEN_VALIDATION=introspection: ask the provider about each token (RFC 7662), with a cache.

Without the cache every request would wait for the provider. An answer is kept for at most
OIDC_CACHE_TTL_SECONDS and never past the token's own "exp", so a revoked token stops working
within the TTL. Only active answers are kept; the key is a hash, never the token itself.
"""

import hashlib
from typing import Any

from ..base import unauthorized
from ..cache import ExpiringLRU
from .claims import check_audience, check_issuer
from .idp import IdentityProvider


class IntrospectionValidator:
    """The claims of an active token meant for this API; else 401 (503 if the provider fails)."""

    def __init__(self, idp: IdentityProvider, audience: str, ttl: float) -> None:
        self.idp = idp
        self.audience = audience
        self.ttl = ttl
        self.cache: ExpiringLRU[bytes, dict[str, Any]] = ExpiringLRU()

    def validate(self, token: str) -> dict[str, Any]:
        key = hashlib.sha256(token.encode()).digest()
        claims = self.cache.get(key)
        if claims is None:
            claims = self.idp.introspect(token)
            if not claims["active"]:
                raise unauthorized("The token is not active: expired, revoked or unknown.")
            self.cache.put(key, claims, self._deadline(claims))
        check_issuer(claims, self.idp.metadata()["issuer"])
        check_audience(claims, self.audience)
        return claims

    def _deadline(self, claims: dict[str, Any]) -> float:
        """Now + TTL, or the token's expiry if sooner."""
        deadline = self.cache.clock() + self.ttl
        exp = claims.get("exp")
        if isinstance(exp, int | float) and not isinstance(exp, bool):
            deadline = min(deadline, float(exp))
        return deadline
