"""Sign-ups and invitations waiting for their mailed code (REGISTRATION=open or invite).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_registrations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_registrations_code_hash")),
    )
    op.create_index(op.f("ix_registrations_invited_by"), "registrations", ["invited_by"])
    op.create_index(op.f("ix_registrations_expires_at"), "registrations", ["expires_at"])


def downgrade() -> None:
    # Dropping the table drops its indexes (MySQL refuses to drop one a foreign key uses).
    op.drop_table("registrations")
