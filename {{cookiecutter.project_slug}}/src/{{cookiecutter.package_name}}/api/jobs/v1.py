"""Jobs API, version 1."""

import uuid
from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView
from marshmallow import validate
from werkzeug.exceptions import NotFound, ServiceUnavailable

from ...auth import current_identity, require_scopes
from ...extensions import db
from ...openapi import Blueprint
from ...tasks.celery import QueueUnavailable, enqueue
from ...tasks.jobs import KINDS
from ...tasks.models import STATUSES, Job
from ..idempotency import idempotent

# A report reads resources, so both routes need the resources' read scope.
READ = "resources:read"

blp = Blueprint(
    "jobs_v1",
    __name__,
    url_prefix="/api/jobs/v1",
    description="Background jobs run by the worker: start one, then poll its URL.",
)


class JobCreateSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(sorted(KINDS)))


class JobSchema(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    result = ma.fields.Dict(allow_none=True, metadata={"description": "Set once succeeded"})
    error = ma.fields.String(allow_none=True, metadata={"description": "Set once failed"})


@blp.route("")
class Jobs(MethodView):
    @require_scopes(READ)
    @idempotent(blp)
    @blp.arguments(JobCreateSchema())
    @blp.response(202, JobSchema())
    @blp.problems(503)
    def post(self, data: dict[str, Any]) -> tuple[Job, dict[str, str]]:
        """Start a job; its URL is in Location."""
        job = Job(id=uuid.uuid4().hex, kind=data["kind"], owner=current_identity().subject or None)
        db.session.add(job)
        db.session.commit()  # before it is queued: the worker reads it
        try:
            enqueue(job.id)
        except QueueUnavailable:
            db.session.delete(job)
            db.session.commit()
            message = "The job queue is unavailable; try again later."
            raise ServiceUnavailable(message, retry_after=5) from None
        return job, {"Location": url_for("jobs_v1.JobItem", job_id=job.id)}


@blp.route("/<string(length=32):job_id>")
class JobItem(MethodView):
    @require_scopes(READ)
    @blp.response(200, JobSchema())
    @blp.problems(404)
    def get(self, job_id: str) -> Job:
        """Get a job: its status, then its result or error."""
        job = db.session.get(Job, job_id)
        if job is None or job.owner != (current_identity().subject or None):
            raise NotFound(f"Job {job_id} does not exist.")
        return job
