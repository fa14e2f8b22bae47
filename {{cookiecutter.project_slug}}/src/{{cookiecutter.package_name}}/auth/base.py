"""What every auth backend shares: the caller's identity and the Bearer challenges."""

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, ServiceUnavailable, Unauthorized

REALM = "api"


@dataclass(frozen=True)
class Identity:
    """The authenticated caller: who it is and what it may do."""

    subject: str
    name: str
    scopes: frozenset[str]
    # The login the credential descends from, where the backend keeps logins (a refresh family).
    session: str | None = None


def _challenge(error: str | None, **extra: str) -> WWWAuthenticate:
    parameters: dict[str, str | None] = {"realm": REALM, **extra}
    if error:
        parameters["error"] = error
    return WWWAuthenticate("bearer", parameters)


def unauthorized(detail: str, error: str | None = "invalid_token") -> Unauthorized:
    """401 with a Bearer challenge (RFC 6750): no usable credentials."""
    return Unauthorized(detail, www_authenticate=_challenge(error))


class InsufficientScope(Forbidden):
    """403 naming the scopes the token lacks (RFC 6750 insufficient_scope)."""

    def __init__(self, missing: frozenset[str]) -> None:
        scopes = " ".join(sorted(missing))
        super().__init__(f"The token lacks the scope(s): {scopes}.")
        self.challenge = _challenge("insufficient_scope", scope=scopes)

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        return [*super().get_headers(*args, **kwargs), ("WWW-Authenticate", str(self.challenge))]


def idp_unavailable(detail: str) -> ServiceUnavailable:
    """503 when the identity provider cannot answer in time: retry, not a server bug."""
    return ServiceUnavailable(detail, retry_after=5)


@dataclass(frozen=True)
class DocsLogin:
    """How /docs logs in: the options of Swagger UI's initOAuth (None: it needs none) and the
    origins the page may call besides this API's (the provider's)."""

    init_oauth: dict[str, Any] | None = None
    origins: tuple[str, ...] = ()
