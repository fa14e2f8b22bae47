"""The user's alternative for OIDC: the floor's list behind stock Flask-OIDC `accept_token`.

Flask-OIDC asks the provider's introspection endpoint on every request (no cache, no local JWT
check). BENCH_OIDC_SECRETS names a client-secrets file ({"web": {issuer, client_id, ...}}).
"""

import os

from flask import Flask
from flask_oidc import OpenIDConnect

from bench import floor


def create_app() -> Flask:
    app = floor.create_app()
    app.config.update(
        OIDC_CLIENT_SECRETS=os.environ["BENCH_OIDC_SECRETS"],
        OIDC_RESOURCE_SERVER_ONLY=True,
        SECRET_KEY="bench-only",
    )
    oidc = OpenIDConnect(app)
    app.view_functions["list_resources"] = oidc.accept_token(scopes=["resources:read"])(
        floor.list_resources
    )
    return app
