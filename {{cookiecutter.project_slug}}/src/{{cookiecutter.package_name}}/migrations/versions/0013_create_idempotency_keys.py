"""Idempotency keys of POST requests: per caller and key, the request's fingerprint and answer.

Revision ID: 0013
Revises: {{ "0012" if cookiecutter.auth == "token" else "0007" }}
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "{{ "0012" if cookiecutter.auth == "token" else "0007" }}"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=255), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=2048), nullable=True),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("caller", "idempotency_key", name=op.f("uq_idempotency_keys_caller")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
