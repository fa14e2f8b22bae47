"""Codes sent by mail (password resets, address verifications), and whether an address is verified.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing addresses count as unverified: a reset is sent to one once its owner, or an
    # admin, has it verified.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("email_verified", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "account_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_account_codes_code_hash")),
    )
    op.create_index(op.f("ix_account_codes_user_id"), "account_codes", ["user_id"])


def downgrade() -> None:
    # Dropping the table drops its indexes (MySQL refuses to drop one a foreign key uses).
    op.drop_table("account_codes")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email_verified")
