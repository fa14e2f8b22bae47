"""OIDC_TOKEN_VALIDATION=jwt: verify JWT access tokens here, against the provider's JWKS.

No call to the provider per request: its keys are fetched once and kept. A token signed with a
key we do not know (the provider rotated its keys) makes us fetch them again, at most once per
REFETCH_INTERVAL seconds, so a stream of forged kids cannot turn us against the provider.
Nor a signature check per request: a verified token's claims are kept, under its SHA-256, until
its exp (+ leeway, as the check allows) or OIDC_CACHE_TTL_SECONDS, whichever comes first. The price:
a token seen before opens the API that long after the provider withdraws the key that signed it.
Refused tokens are not kept: a forged one pays the check every time.
A "typ" header, when present, must name an access token or a plain JWT: RFC 9068's "at+jwt" or
the "JWT" most providers send; other JWTs (logout or security-event tokens) are not access tokens.
Only asymmetric algorithms are accepted: "none" proves nothing, and an HS* token would have to
be checked with a secret, while all we hold is the provider's public keys.
"""

import hashlib
import time
from collections.abc import Callable
from threading import Lock
from typing import Any

from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from ..base import unauthorized
from ..cache import TokenCache
from .claims import check_audience
from .idp import IdentityProvider

ALGORITHMS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA", "Ed25519"),
)
REFETCH_INTERVAL = 30.0
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt", "jwt"})


class JWTValidator:
    """Return the claims of a JWT signed by the provider for this API, or raise 401 (503)."""

    def __init__(
        self,
        idp: IdentityProvider,
        audience: str,
        leeway: int,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idp = idp
        self.audience = audience
        self.leeway = leeway
        self.clock = clock  # paces the refetches; the cache's clock is the one tokens expire by
        self.cache: TokenCache[dict[str, Any]] = TokenCache(ttl)
        self.registry = JWSRegistry(algorithms=ALGORITHMS, strict_check_header=False)
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = Lock()

    def validate(self, token: str) -> dict[str, Any]:
        key = hashlib.sha256(token.encode()).digest()
        claims = self.cache.get(key)
        if claims is None:
            claims = self._verify(token)
            # nbf and iat, once passed, stay passed: only exp can end a kept token's validity.
            self.cache.put(key, claims, claims["exp"] + self.leeway)
        return claims

    def _verify(self, token: str) -> dict[str, Any]:
        """The claims of a token that passes every check; else 401."""
        try:
            decoded = self._decode(token)
            self._claims_registry().validate(decoded.claims)
        except InvalidKeyIdError:
            raise unauthorized("The token's signing key is not among the provider's.") from None
        except ExpiredTokenError:
            raise unauthorized("The token has expired.") from None
        except (InvalidClaimError, MissingClaimError) as error:
            raise unauthorized(_CLAIM_ERRORS.get(error.claim, error.description)) from None
        except (JoseError, ValueError, TypeError, KeyError):
            raise unauthorized("The token is not a JWT signed by the provider.") from None
        typ = decoded.header.get("typ", "jwt")
        if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
            raise unauthorized("The token is not an access token (typ).")
        claims: dict[str, Any] = decoded.claims
        check_audience(claims, self.audience)  # the same rule as for introspection answers
        return claims

    def _decode(self, token: str) -> jwt.Token:
        """Check the signature; a kid new to us is worth fetching the keys again."""
        try:
            return jwt.decode(token, self._key_set(), registry=self.registry)
        except InvalidKeyIdError:
            return jwt.decode(token, self._key_set(refetch=True), registry=self.registry)

    def _claims_registry(self) -> jwt.JWTClaimsRegistry:
        """exp, nbf and iat checked with leeway; iss exactly the provider's; exp present.

        Time is the cache's clock, so a kept token leaves the cache at the second this check
        would start refusing it. "sub" may be missing from a machine's token:
        claims.identity() takes its client_id then.
        """
        return jwt.JWTClaimsRegistry(
            now=lambda: int(self.cache.clock()),
            leeway=self.leeway,
            iss={"essential": True, "value": self.idp.metadata()["issuer"]},
            exp={"essential": True},
        )

    def _key_set(self, refetch: bool = False) -> KeySet:
        """The cached keys; fetched on first use, and again on refetch when the interval allows."""
        with self._lock:
            due = refetch and self.clock() - self._fetched_at >= REFETCH_INTERVAL
            if self._keys is None or due:
                self._fetched_at = self.clock()  # a failed fetch counts too: no hammering
                self._keys = self.idp.key_set()
            return self._keys


_CLAIM_ERRORS = {
    "iss": "The token was issued by another issuer.",
    "exp": "The token has no expiry.",
}
