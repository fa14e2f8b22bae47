"""OIDC_TOKEN_VALIDATION=introspection: ask the provider about each token (RFC 7662), with a cache.

Without the cache every request would wait for the provider. An answer is kept for at most
OIDC_CACHE_TTL_SECONDS and never past the token's own "exp", so a revoked token stops working
within the TTL. Only active answers are kept; the key is a hash, never the token itself.
"""

import hashlib
import math
from typing import Any

from ..base import unauthorized
from ..cache import TokenCache
from .claims import check_audience, check_issuer
from .idp import IdentityProvider


class IntrospectionValidator:
    """The claims of an active token meant for this API; else 401 (503 if the provider fails)."""

    def __init__(self, idp: IdentityProvider, audience: str, ttl: float) -> None:
        self.idp = idp
        self.audience = audience
        self.cache: TokenCache[dict[str, Any]] = TokenCache(ttl)

    def validate(self, token: str) -> dict[str, Any]:
        key = hashlib.sha256(token.encode()).digest()
        claims = self.cache.get(key)
        if claims is None:
            claims = self.idp.introspect(token)
            if not claims["active"]:
                raise unauthorized("The token is not active: expired, revoked or unknown.")
            exp = claims.get("exp")
            if not isinstance(exp, int | float) or isinstance(exp, bool):
                exp = math.inf  # no expiry given: kept for the TTL
            self.cache.put(key, claims, exp)
        check_issuer(claims, self.idp.metadata()["issuer"])
        check_audience(claims, self.audience)
        return claims
