"""Give users an optional email address, unique whatever its case.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing users have no address: both columns stay NULL, which a unique constraint allows
    # any number of times on SQLite, PostgreSQL and MariaDB alike.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_email_key"), ["email_key"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email_key"), type_="unique")
        batch_op.drop_column("email_key")
        batch_op.drop_column("email")
