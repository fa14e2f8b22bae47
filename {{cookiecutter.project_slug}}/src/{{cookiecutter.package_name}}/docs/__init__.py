"""/docs: Swagger UI from the swagger-ui-bundle package (no CDN, so it works on closed networks),
logging in as the auth backend says (auth.docs_login), under a Content-Security-Policy that lets
the page load its own files and call this API and, for oidc, the provider, and nothing else.

The page holds no inline script (the CSP allows none): swagger-initializer.js reads its settings
from a JSON block in the page. Swagger UI's OAuth 2 redirect page is served as the bundle ships
it, its one inline script allowed by hash.
"""

import base64
import hashlib
import re
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from swagger_ui_bundle import swagger_ui_path

from .. import auth
from ..auth import DocsLogin

blp = Blueprint(
    "docs",
    __name__,
    url_prefix="/docs",
    static_folder=str(swagger_ui_path),
    static_url_path="/assets",
    template_folder="templates",
)

REDIRECT_PAGE = "oauth2-redirect.html"
INITIALIZER = "swagger-initializer.js"
EXTENSION = "docs"  # app.extensions key: (the auth backend's DocsLogin, the page's CSP)
# What every /docs answer carries besides its CSP: no framing (older browsers read only
# X-Frame-Options), and no Referer to wherever the page or the login popup goes next.
HEADERS = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"}
_LOCKED = {"default-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"}


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def _inline_script_hash(page: str) -> str:
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    if script is None:
        raise RuntimeError(f"swagger-ui-bundle's {REDIRECT_PAGE} has no inline script")
    digest = hashlib.sha256(script.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


REDIRECT_POLICY = _policy(
    {
        **_LOCKED,
        "script-src": _inline_script_hash((swagger_ui_path / REDIRECT_PAGE).read_text()),
        "form-action": "'none'",
    }
)


def page_policy(login: DocsLogin) -> str:
    """Swagger UI's own files (its icons are data: URLs in its CSS), calls to this API and to the
    origins the auth backend names (the provider's discovery and token endpoints)."""
    return _policy(
        {
            **_LOCKED,
            "script-src": "'self'",
            "style-src": "'self'",
            "img-src": "'self' data:",
            "connect-src": " ".join(("'self'", *login.origins)),
            "form-action": "'self'",
        }
    )


@blp.record_once
def _settle(state: BlueprintSetupState) -> None:
    """Ask the auth backend once, when the app registers the blueprint (after auth.init_app)."""
    login = auth.docs_login(cast("Flask", state.app))  # typed as sansio's App
    state.app.extensions[EXTENSION] = (login, page_policy(login))


@blp.get("")
def page() -> str:
    """Swagger UI on this API's OpenAPI document."""
    login: DocsLogin = current_app.extensions[EXTENSION][0]
    config: dict[str, Any] = {
        "url": url_for("api-docs.openapi_json"),  # flask-smorest's blueprint serves the spec
        "dom_id": "#swagger-ui",
        "oauth2RedirectUrl": url_for("docs.oauth2_redirect", _external=True),
        "validatorUrl": None,  # Swagger UI would ask validator.swagger.io about the spec
        **current_app.config.get("OPENAPI_SWAGGER_UI_CONFIG", {}),
    }
    return render_template(
        "docs/swagger_ui.html",
        title=current_app.config["API_TITLE"],
        config={"ui": config, "initOAuth": login.init_oauth},
    )


@blp.get(f"/{INITIALIZER}")
def initializer() -> Response:
    return send_from_directory(blp.root_path, INITIALIZER)


@blp.get("/oauth2-redirect")
def oauth2_redirect() -> Response:
    """Where the provider sends the login popup back with a code (authorization-code flow)."""
    return send_from_directory(swagger_ui_path, REDIRECT_PAGE)


@blp.after_request
def secure(response: Response) -> Response:
    """Each answer's CSP (the redirect page has its own), and no framing nor Referer."""
    response.headers.update(HEADERS)
    if request.endpoint == "docs.oauth2_redirect":
        response.headers["Content-Security-Policy"] = REDIRECT_POLICY
    else:
        response.headers["Content-Security-Policy"] = current_app.extensions[EXTENSION][1]
    return response
