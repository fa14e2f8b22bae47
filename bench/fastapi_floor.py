"""The FastAPI floor: the smallest honest FastAPI + SQLAlchemy app doing the floor's work, as a
user who picked FastAPI instead would write it and run it (uvicorn, 2 workers, uvloop and
httptools from uvicorn[standard]).

The floor's table, keyset query and cursor (bench.floor), the same body and Link header, and a
response model of the six public fields, as FastAPI's tutorial declares one; plain `def`
routes on a synchronous Session, which FastAPI runs in its thread pool (the FastAPI team's
template does the same with SQLModel). /healthz answers the generated project's constant body.
DATABASE_URL names the database.
"""

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from pydantic import BaseModel, field_serializer
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench import floor

# The table exists: bench.servers.bare makes it before the workers start.
engine = create_engine(os.environ["DATABASE_URL"])
app = FastAPI()


class ResourceOut(BaseModel):
    id: int
    name: str
    description: str
    owner: str | None
    created_at: datetime
    updated_at: datetime

    @field_serializer("created_at", "updated_at")
    def utc(self, moment: datetime) -> str:
        return moment.replace(tzinfo=UTC).isoformat()


class Page(BaseModel):
    items: list[ResourceOut]
    page_size: int
    next: str | None


def session() -> Iterator[Session]:
    with Session(engine) as opened:
        yield opened


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/resources/v1", response_model=Page)
def list_resources(
    request: Request,
    response: Response,
    db: Annotated[Session, Depends(session)],
    page_size: int = 20,
    cursor: str | None = None,
) -> Page:
    after = None
    if cursor is not None:
        created_at, id_ = json.loads(base64.urlsafe_b64decode(cursor))
        after = datetime.fromisoformat(created_at), id_
    rows = db.scalars(floor.page_query(page_size, after)).all()
    following = None
    if len(rows) > page_size:
        last = rows[page_size - 1]
        following = floor.cursor(last.created_at, last.id)
        link = request.url.include_query_params(page_size=page_size, cursor=following)
        response.headers["Link"] = f'<{link}>; rel="next"'
    items = [ResourceOut.model_validate(row, from_attributes=True) for row in rows[:page_size]]
    return Page(items=items, page_size=page_size, next=following)
