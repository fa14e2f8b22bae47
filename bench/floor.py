"""The floor: the smallest honest Flask + Flask-SQLAlchemy app doing the generated list's work.

Same table, same query (a count and one page, oldest first), same body (the six public fields
of each resource, total, page, page_size, pages), same JSON types; no validation, schemas,
OpenAPI, error envelope, request ids or access log. Served like the generated project (gunicorn,
2 sync workers); DATABASE_URL names the database.
"""

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, func, select
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


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat()


def list_resources() -> Any:
    page = int(request.args.get("page", 1))
    size = int(request.args.get("page_size", 20))
    total = db.session.scalar(select(func.count()).select_from(Resource)) or 0
    query = select(Resource).order_by(Resource.id).limit(size).offset((page - 1) * size)
    items = [
        {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "owner": row.owner,
            "created_at": _utc(row.created_at),
            "updated_at": _utc(row.updated_at),
        }
        for row in db.session.scalars(query)
    ]
    pages = -(-total // size)
    return jsonify(items=items, total=total, page=page, page_size=size, pages=pages)


def healthz() -> Any:
    return jsonify(status="ok")


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    app.add_url_rule("/api/resources/v1", view_func=list_resources)
    app.add_url_rule("/healthz", view_func=healthz)
    with app.app_context():
        db.create_all()
        db.engine.dispose()  # gunicorn forks the workers after this: no shared connection
    return app


app = create_app() if "DATABASE_URL" in os.environ else None
