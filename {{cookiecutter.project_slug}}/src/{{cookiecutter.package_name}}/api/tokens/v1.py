"""Personal access tokens, version 1: make a token for a machine, list yours, revoke one.

Making one takes a login (a token cannot make tokens); listing and revoking take any token of
yours, so a machine can revoke its own. Each change is a call of accounts.py.
"""

from typing import Any

from flask.views import MethodView
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from ...auth import require_scopes
from ...auth.token import accounts
from ...auth.token.caller import caller
from ...auth.token.models import PersonalAccessToken
from ...extensions import db
from ...models import utcnow
from ...openapi import Blueprint
from .schemas import PatCreatedSchema, PatCreateSchema, PatSchema

# Ids are 32-bit on PostgreSQL and MySQL; a larger one in the URL matches no route: 404.
ID_MAX = 2**31 - 1
# The token is in the answer: no cache may keep it.
NO_STORE = {"Cache-Control": "no-store"}
# What PatSchema reads of a token, which the answer that makes it shows with the token itself.
SHOWN = [field.attribute or name for name, field in PatSchema().fields.items()]

blp = Blueprint(
    "tokens_v1",
    __name__,
    url_prefix="/api/auth/v1/tokens",
    description="Your personal access tokens, for machines: named, scoped, expiring.",
)


@blp.route("")
class Tokens(MethodView):
    @require_scopes()
    @blp.response(200, PatSchema(many=True))
    @blp.problems(404, 503)
    def get(self) -> list[PersonalAccessToken]:
        """List your live tokens, the newest first (never the tokens themselves)."""
        live = (
            select(PersonalAccessToken)
            .where(
                PersonalAccessToken.user_id == caller().id,
                PersonalAccessToken.revoked_at.is_(None),
                PersonalAccessToken.expires_at > utcnow(),
            )
            .order_by(PersonalAccessToken.id.desc())
        )
        return list(db.session.scalars(live))

    @require_scopes()
    @blp.arguments(PatCreateSchema)
    @blp.response(201, PatCreatedSchema)
    @blp.problems(403, 404, 503)
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Make a token with some of your scopes; the answer shows it, this once."""
        pat, token = accounts.issue_pat(
            caller(login=True), data["name"], data["scopes"], data["expires_in_days"]
        )
        shown = {key: getattr(pat, key) for key in SHOWN}
        return shown | {"token": token}, NO_STORE


@blp.route(f"/<int(min=1, max={ID_MAX}):pat_id>")
class TokenItem(MethodView):
    @require_scopes()
    @blp.response(204)
    @blp.problems(404, 503)
    def delete(self, pat_id: int) -> None:
        """Revoke one of your tokens: refused within TOKEN_CACHE_TTL_SECONDS everywhere."""
        if not accounts.revoke_pat(caller(), pat_id):
            raise NotFound("You have no such live token.")
