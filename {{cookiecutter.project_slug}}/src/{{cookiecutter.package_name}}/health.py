"""Liveness and readiness probes for the orchestrator and the load balancer."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .errors import problem
from .extensions import db
from .openapi import Blueprint

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.response(200, StatusSchema)
    def get(self) -> dict[str, str]:
        """Report that the process is alive; touches nothing else."""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.response(200, StatusSchema)
    @blp.problems(503)
    def get(self) -> Any:
        """Report whether the API can serve requests: the database answers."""
        try:
            db.session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return problem(503, "The database is unreachable.", headers={"Retry-After": "5"})
        return {"status": "ok"}
