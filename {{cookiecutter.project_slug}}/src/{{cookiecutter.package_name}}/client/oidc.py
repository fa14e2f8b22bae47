"""auth = oidc: log in at the identity provider the API names, then call the API with its token.

`login` runs the device authorization grant (RFC 8628): it shows a URL and a code, you approve
in any browser, and it polls the provider meanwhile. `login --client-credentials` is for
machines. Authlib speaks OAuth; the provider is found through the API's own OpenAPI document
(its openIdConnect security scheme) unless --issuer names it.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from . import credentials
from .credentials import StoredLogin, Tokens
from .http import TIMEOUT_SECONDS, Api, ClientError, Credentials, emit, json_body

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
API_SCOPES = "resources:read resources:write"
ME = "/api/auth/v1/me"


class OIDCLogin(StoredLogin):
    """Refresh at the provider, as the public client that logged in."""

    def renew(self, api: Api, tokens: Tokens) -> Tokens | None:
        session = oauth_session(tokens["client_id"], None)
        try:
            with provider_errors():
                renewed: Tokens = session.refresh_token(
                    tokens["token_endpoint"], refresh_token=tokens["refresh_token"]
                )
        except ClientError:
            return None
        return renewed


def stored_login(url: str) -> Credentials:
    return OIDCLogin(url)


@contextmanager
def provider_errors() -> Iterator[None]:
    """The provider's refusals and network failures, as one-line errors."""
    try:
        yield
    except OAuthError as error:
        detail = f": {error.description}" if error.description else ""
        raise ClientError(f"the identity provider refused: {error.error}{detail}") from None
    except requests.RequestException as error:
        kind = error.__class__.__name__
        raise ClientError(f"cannot reach the identity provider ({kind})") from None


def oauth_session(client_id: str, client_secret: str | None, **kwargs: Any) -> Any:
    method = "client_secret_basic" if client_secret else "none"
    return OAuth2Session(
        client_id,
        client_secret,
        token_endpoint_auth_method=method,
        default_timeout=TIMEOUT_SECONDS,
        **kwargs,
    )


def discover(api: Api, issuer: str | None) -> dict[str, Any]:
    """The provider's metadata: from --issuer, else from the API's OpenAPI document."""
    if issuer:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    else:
        spec, _ = api.call("GET", "/openapi.json")
        schemes = spec.get("components", {}).get("securitySchemes", {}) if spec else {}
        url = next(
            (s.get("openIdConnectUrl", "") for s in schemes.values() if isinstance(s, dict)), ""
        )
        if "://" not in url:
            raise ClientError("the API names no identity provider; give --issuer")
    response = api.send("GET", url)
    metadata = json_body(response)
    if response.status_code != 200 or not isinstance(metadata, dict):
        raise ClientError(f"HTTP {response.status_code} from the provider's discovery at {url}")
    return metadata


def device_flow(session: Any, metadata: dict[str, Any], extra: dict[str, str]) -> Tokens:
    """RFC 8628: show the code, then poll the token endpoint at the provider's interval."""
    endpoint = metadata.get("device_authorization_endpoint")
    if not endpoint:
        raise ClientError("the identity provider offers no device flow; use --client-credentials")
    with provider_errors():
        data = {"client_id": session.client_id, **extra}
        response = session.post(endpoint, data=data, withhold_token=True)
    grant = json_body(response)
    if response.status_code != 200 or "device_code" not in grant:
        error = grant.get("error", "") if isinstance(grant, dict) else ""
        raise ClientError(f"HTTP {response.status_code} from device authorization: {error}")
    click.echo(
        f"To log in, open {grant['verification_uri']} and enter the code {grant['user_code']}",
        err=True,
    )
    if complete := grant.get("verification_uri_complete"):
        click.echo(f"or open {complete}", err=True)
    interval = float(grant.get("interval", 5))  # a JSON number of seconds
    deadline = time.monotonic() + int(grant.get("expires_in", 600))
    while time.monotonic() < deadline:
        time.sleep(interval)
        with provider_errors():
            try:
                token = session.fetch_token(
                    metadata["token_endpoint"],
                    grant_type=DEVICE_CODE,
                    device_code=grant["device_code"],
                )
            except OAuthError as error:
                if error.error not in ("authorization_pending", "slow_down"):
                    raise
                interval += 5 if error.error == "slow_down" else 0  # RFC 8628, section 3.5
                continue
        return dict(token)
    raise ClientError("the code expired before it was approved; run login again")


@click.command()
@click.option("--client-credentials", is_flag=True, help="Log in as a machine (no user).")
@click.option(
    "--client-id", envvar="API_CLIENT_ID", show_envvar=True, help="Your client at the provider."
)
@click.option(
    "--client-secret",
    envvar="API_CLIENT_SECRET",
    show_envvar=True,
    help="Its secret (client credentials; a device client is usually public).",
)
@click.option(
    "--scope",
    envvar="API_SCOPES",
    show_envvar=True,
    help=f"Scopes to ask for, space-separated (default: {API_SCOPES}, and openid offline_access "
    "for the device flow).",
)
@click.option(
    "--audience", envvar="API_AUDIENCE", show_envvar=True, help="Sent as audience (Auth0)."
)
@click.option(
    "--issuer",
    envvar="API_ISSUER",
    show_envvar=True,
    help="The provider (default: the one the API names).",
)
@click.pass_obj
def login(
    api: Api,
    client_credentials: bool,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
    audience: str | None,
    issuer: str | None,
) -> None:
    """Log in at the identity provider and keep the tokens; prints who you are."""
    if not client_id:
        raise click.UsageError("Give --client-id (or API_CLIENT_ID).")
    if client_credentials and not client_secret:
        raise click.UsageError("--client-credentials needs --client-secret (or API_CLIENT_SECRET).")
    api.credentials = None  # an earlier login's token has no business at the provider
    metadata = discover(api, issuer)
    default = API_SCOPES if client_credentials else f"openid offline_access {API_SCOPES}"
    extra = {"scope": scope if scope is not None else default}
    if audience:
        extra["audience"] = audience
    session = oauth_session(client_id, client_secret)
    if client_credentials:
        with provider_errors():
            tokens = dict(
                session.fetch_token(
                    metadata["token_endpoint"], grant_type="client_credentials", **extra
                )
            )
    else:
        tokens = device_flow(session, metadata, extra)
    credentials.save(
        {
            "url": api.url,
            "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token"),
            "token_endpoint": metadata["token_endpoint"],
            "client_id": client_id,
        }
    )
    api.credentials = OIDCLogin(api.url)
    emit(api.call("GET", ME)[0])


@click.command()
def logout() -> None:
    """Forget the tokens here (they stay valid at the provider until they expire)."""
    credentials.delete()


@click.command()
@click.pass_obj
def whoami(api: Api) -> None:
    """Print whom the stored token names and the API scopes it grants."""
    emit(api.call("GET", ME)[0])


COMMANDS = (login, logout, whoami)
