"""The jobs table: what was asked, and how far the worker got."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Base
from ..models import UTCDateTime, utcnow

STATUSES = ("pending", "running", "succeeded", "failed")


class Job(Base):
    __tablename__ = "jobs"

    # The Celery task id too, so the worker's logs and the API name a job the same way.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(1000))
    # Subject of the caller that started it; only that caller sees it (null: no login).
    owner: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
