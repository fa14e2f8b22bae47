"""The job kinds and the one task that runs them, recording progress in the jobs table."""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Resource, utcnow
from .models import Job

logger = logging.getLogger(__name__)

RUN_JOB = "jobs.run"


def resource_report() -> dict[str, Any]:
    """Count resources, in total and per owner (null: created without a login)."""
    query = select(Resource.owner, func.count()).group_by(Resource.owner).order_by(Resource.owner)
    by_owner = [{"owner": owner, "count": count} for owner, count in db.session.execute(query)]
    return {"total": sum(row["count"] for row in by_owner), "by_owner": by_owner}


# kind -> the function that does the work and returns the job's result. A new kind is one
# function and one line here; the API accepts exactly these names.
KINDS: dict[str, Callable[[], dict[str, Any]]] = {"resource-report": resource_report}


def record(job_id: str, **values: Any) -> None:
    """Write a job's progress in one statement, whatever another process holds in memory."""
    db.session.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))
    db.session.commit()


def run(job_id: str) -> dict[str, Any] | None:
    """Run a job by its id (the body of the RUN_JOB task)."""
    kind = db.session.scalar(select(Job.kind).where(Job.id == job_id))
    if kind is None:  # withdrawn: its row was deleted when the broker could not take it
        logger.warning("job %s does not exist; nothing to run", job_id)
        return None
    # A job taken over from a lost worker is "running" already and runs again from the start.
    record(job_id, status="running")
    try:
        result = KINDS[kind]()
    except Exception as error:
        db.session.rollback()
        logger.exception("job %s (%s) failed", job_id, kind)
        record(job_id, status="failed", error=f"{type(error).__name__}: {error}"[:1000])
        return None
    record(job_id, status="succeeded", result=result, error=None)
    return result
