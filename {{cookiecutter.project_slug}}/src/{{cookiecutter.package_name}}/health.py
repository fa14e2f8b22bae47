"""Liveness and readiness probes for the orchestrator and the load balancer."""

from typing import Any

import marshmallow as ma
from flask import Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .draining import draining
from .errors import problem
from .extensions import db
from .openapi import Blueprint

ALIVE = b'{"status":"ok"}\n'

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


class StatusSchema(ma.Schema):
    status = ma.fields.String(required=True)


@blp.route("/healthz", methods=["GET"])
@blp.alt_response(200, schema=StatusSchema, success=True)
def liveness() -> Response:
    """Report that the process is alive; touches nothing else."""
    # A constant body: no schema to dump, no JSON to encode.
    return current_app.response_class(ALIVE, mimetype="application/json")


@blp.route("/readyz", methods=["GET"])
@blp.response(200, StatusSchema)
@blp.problems(503)
def readiness() -> Any:
    """Report whether the API can take requests: it is not stopping, and the database answers."""
    if draining():
        # Load balancers take this instance out; it still serves what they send meanwhile.
        return problem(503, "The server is stopping.", headers={"Retry-After": "5"})
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return problem(503, "The database is unreachable.", headers={"Retry-After": "5"})
    return {"status": "ok"}
