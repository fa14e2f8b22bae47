"""auth=oidc: what is remembered between requests, the introspection answers, the verified JWTs
and the provider's keys, and for how long. Time is a fake clock the tests move forward."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from {{ cookiecutter.package_name }}.auth.cache import TokenCache
from {{ cookiecutter.package_name }}.auth.oidc import EXTENSION
from {{ cookiecutter.package_name }}.auth.oidc.jwt import REFETCH_INTERVAL

URL = "/api/resources/v1"
MakeApp = Callable[..., Flask]


class Clock:
    """A clock that only moves when told to."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def introspecting_app(make_app: MakeApp, clock: Clock, **config: Any) -> Flask:
    app = make_app(OIDC_TOKEN_VALIDATION="introspection", **config)
    app.extensions[EXTENSION].cache.clock = clock
    return app


def status(app: Flask, headers: dict[str, str]) -> int:
    return app.test_client().get(URL, headers=headers).status_code


@pytest.fixture
def clock(auth_settings: dict[str, Any]) -> Clock:
    return Clock(time.time())


def test_a_repeated_token_is_introspected_once(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app, headers = introspecting_app(make_app, clock), auth.headers()
    for _ in range(3):
        assert status(app, headers) == 200
    assert auth.provider.calls["introspection"] == 1
    assert status(app, auth.headers()) == 200  # another token: another question
    assert auth.provider.calls["introspection"] == 2


def test_an_answer_is_kept_for_the_ttl_only(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    """So a revoked token keeps working for at most OIDC_CACHE_TTL_SECONDS."""
    app, token = introspecting_app(make_app, clock, OIDC_CACHE_TTL_SECONDS=60), auth.token()
    headers = {"Authorization": f"Bearer {token}"}
    assert status(app, headers) == 200
    auth.provider.revoke(token)
    clock.advance(59)
    assert status(app, headers) == 200
    assert auth.provider.calls["introspection"] == 1
    clock.advance(2)
    assert status(app, headers) == 401
    assert auth.provider.calls["introspection"] == 2


def test_an_answer_is_not_kept_past_the_token_expiry(
    make_app: MakeApp, auth: Any, clock: Clock
) -> None:
    app = introspecting_app(make_app, clock, OIDC_CACHE_TTL_SECONDS=3600)
    headers = auth.headers(expires_in=30)
    assert status(app, headers) == 200
    clock.advance(31)
    assert status(app, headers) == 200  # the provider's clock did not move: still active
    assert auth.provider.calls["introspection"] == 2


def test_a_ttl_of_zero_turns_the_cache_off(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app, headers = introspecting_app(make_app, clock, OIDC_CACHE_TTL_SECONDS=0), auth.headers()
    assert [status(app, headers) for _ in range(2)] == [200, 200]
    assert auth.provider.calls["introspection"] == 2


def test_inactive_answers_are_not_kept(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app, headers = introspecting_app(make_app, clock), {"Authorization": "Bearer unknown"}
    assert [status(app, headers) for _ in range(2)] == [401, 401]
    assert auth.provider.calls["introspection"] == 2


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache: TokenCache[dict[str, int]] = TokenCache(ttl=60, maxsize=2, clock=lambda: 0.0)
    cache.put(b"a", {"n": 1}, expires=10)
    cache.put(b"b", {"n": 2}, expires=10)
    assert cache.get(b"a") == {"n": 1}  # a is now the most recently used
    cache.put(b"c", {"n": 3}, expires=10)
    assert (cache.get(b"a"), cache.get(b"b"), cache.get(b"c")) == ({"n": 1}, None, {"n": 3})
    cache.put(b"d", {"n": 4}, expires=0)  # already past: not stored
    assert len(cache) == 2


def jwt_app(make_app: MakeApp, auth: Any, clock: Clock, **config: Any) -> Flask:
    auth.token_format = "jwt"
    app = make_app(OIDC_TOKEN_VALIDATION="jwt", **config)
    validator = app.extensions[EXTENSION]
    validator.clock = validator.cache.clock = clock  # the refetch pace, and the tokens' time
    return app


def test_the_keys_are_fetched_once(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app = jwt_app(make_app, auth, clock)
    for _ in range(3):
        assert status(app, auth.headers()) == 200
    assert auth.provider.calls["jwks"] == 1
    assert auth.provider.calls["introspection"] == 0


def test_a_new_key_is_fetched_when_a_token_names_it(
    make_app: MakeApp, auth: Any, clock: Clock
) -> None:
    app = jwt_app(make_app, auth, clock)
    assert status(app, auth.headers()) == 200
    auth.provider.rotate_key()
    clock.advance(REFETCH_INTERVAL)
    assert status(app, auth.headers()) == 200
    assert auth.provider.calls["jwks"] == 2


def test_refetching_the_keys_is_rate_limited(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    """Unknown kids within the interval cost no call; the first one after it does."""
    app = jwt_app(make_app, auth, clock)
    assert status(app, auth.headers()) == 200
    auth.provider.rotate_key()
    clock.advance(REFETCH_INTERVAL / 2)
    assert [status(app, auth.headers()) for _ in range(3)] == [401, 401, 401]
    assert auth.provider.calls["jwks"] == 1
    clock.advance(REFETCH_INTERVAL / 2)
    assert status(app, auth.headers()) == 200
    assert auth.provider.calls["jwks"] == 2


def test_a_key_the_provider_does_not_publish_is_refused(
    make_app: MakeApp, auth: Any, clock: Clock
) -> None:
    app = jwt_app(make_app, auth, clock)
    assert status(app, auth.headers()) == 200
    auth.provider.rotate_key(publish=False)
    clock.advance(REFETCH_INTERVAL)
    assert status(app, auth.headers()) == 401
    assert status(app, auth.headers()) == 401
    assert auth.provider.calls["jwks"] == 2  # one refetch, then the interval holds


def withdraw_signing_key(auth: Any) -> None:
    """The provider signs with a new key and stops publishing the one it signed with so far."""
    withdrawn = auth.provider.signing_key
    auth.provider.rotate_key()
    auth.provider.published.remove(withdrawn)


def test_a_verified_jwt_is_not_verified_again_within_the_ttl(
    make_app: MakeApp, auth: Any, clock: Clock
) -> None:
    """Its key, withdrawn and no longer held, does not stop it until the TTL is over."""
    app, start = jwt_app(make_app, auth, clock, OIDC_CACHE_TTL_SECONDS=60), clock.now
    cached = auth.headers()
    assert status(app, cached) == 200
    withdraw_signing_key(auth)
    clock.advance(REFETCH_INTERVAL)
    assert status(app, auth.headers()) == 200  # a new kid: the keys, now without the old one
    assert auth.provider.calls["jwks"] == 2
    clock.now = start + 59
    assert status(app, cached) == 200
    clock.now = start + 60
    assert status(app, cached) == 401  # verified again: its key is gone
    assert len(app.extensions[EXTENSION].cache) == 1  # the new token only


def test_a_cached_jwt_is_refused_once_expired(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    """Refused at exp + leeway: the second a fresh verification would refuse it, not later."""
    app = jwt_app(make_app, auth, clock, OIDC_CACHE_TTL_SECONDS=3600, OIDC_CLOCK_SKEW=10)
    token = auth.token(expires_in=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert status(app, headers) == 200
    clock.now = auth.provider.tokens[token].claims["exp"] + 10 - 1
    assert status(app, headers) == 200
    clock.advance(1)
    response = app.test_client().get(URL, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["detail"] == "The token has expired."


def test_a_refused_jwt_is_not_remembered(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    """Signed with a key not yet published: refused, then accepted once the key is out."""
    app = jwt_app(make_app, auth, clock)
    assert status(app, auth.headers()) == 200
    auth.provider.rotate_key(publish=False)
    early = auth.headers()
    clock.advance(REFETCH_INTERVAL)
    assert status(app, early) == 401
    auth.provider.published.append(auth.provider.signing_key)
    clock.advance(REFETCH_INTERVAL)
    assert status(app, early) == 200


def test_the_jwt_cache_is_bounded(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app = jwt_app(make_app, auth, clock)
    app.extensions[EXTENSION].cache = TokenCache(ttl=60, maxsize=2, clock=clock)
    for _ in range(3):
        assert status(app, auth.headers()) == 200
    assert len(app.extensions[EXTENSION].cache) == 2


def test_a_ttl_of_zero_keeps_no_jwt(make_app: MakeApp, auth: Any, clock: Clock) -> None:
    app, headers = jwt_app(make_app, auth, clock, OIDC_CACHE_TTL_SECONDS=0), auth.headers()
    assert [status(app, headers) for _ in range(2)] == [200, 200]
    assert len(app.extensions[EXTENSION].cache) == 0
