"""The floor: the smallest honest Flask + Flask-SQLAlchemy app doing the generated list's work.

Same table, same keyset query (oldest first: ORDER BY created_at, id LIMIT size + 1, after the
cursor's row by `created_at >= :c AND (created_at > :c OR id > :i)`), same body (the six public
fields of each resource, page_size, next), the same Link header to the next page, same JSON
types; no validation, schemas, OpenAPI, error envelope, request ids or access log.

Its cursor is plain URL-safe base64 of `[created_at, id]`, unsigned (the generated list signs
its own with SECRET_KEY): the bench makes one with cursor() for the row a page follows. Served
like the generated project (granian, 2 workers: `--factory bench.floor:create_app`); DATABASE_URL
names the database.
"""

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request, url_for
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Index, Select, String, and_, create_engine, or_, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Resource(Base):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    owner: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(default=1)

    # The generated project's migration 0007 makes this index; create_all, on SQLite, this one.
    __table_args__ = (Index("ix_resources_created_at_id", "created_at", "id"),)


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def cursor(created_at: datetime, id_: int) -> str:
    """The cursor of the page after the row with this key (created_at as stored: no zone)."""
    return base64.urlsafe_b64encode(json.dumps([created_at.isoformat(), id_]).encode()).decode()


def page_query(size: int, after: tuple[datetime, int] | None) -> Select[tuple[Resource]]:
    """One row more than a page (if it comes, there is a next page), after the key if given."""
    query = select(Resource).order_by(Resource.created_at, Resource.id).limit(size + 1)
    if after is None:
        return query
    created_at, id_ = after
    return query.where(
        and_(
            Resource.created_at >= created_at,
            or_(Resource.created_at > created_at, Resource.id > id_),
        )
    )


def list_resources() -> Any:
    size = int(request.args.get("page_size", 20))
    after = None
    if "cursor" in request.args:
        created_at, id_ = json.loads(base64.urlsafe_b64decode(request.args["cursor"]))
        after = datetime.fromisoformat(created_at), id_
    rows = db.session.scalars(page_query(size, after)).all()
    items = [
        {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "owner": row.owner,
            "created_at": _utc(row.created_at),
            "updated_at": _utc(row.updated_at),
        }
        for row in rows[:size]
    ]
    following = cursor(rows[size - 1].created_at, rows[size - 1].id) if len(rows) > size else None
    response = jsonify(items=items, page_size=size, next=following)
    if following:
        link = url_for("list_resources", _external=True, page_size=size, cursor=following)
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


def healthz() -> Any:
    return jsonify(status="ok")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    app.add_url_rule("/api/resources/v1", view_func=list_resources)
    app.add_url_rule("/healthz", view_func=healthz)
    return app


def create_table(url: str) -> None:
    """The floor's table in its own SQLite file, made before its server starts: each worker makes
    its app, and two making the table at once on one file would race. On a database server the
    table is the one the generated project's migrations make."""
    if url.startswith("sqlite"):
        engine = create_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
