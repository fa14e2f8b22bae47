"""Version users' rows, as resources' are, and record the User-Agent each refresh token went to.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing users start at version 1, as new ones do; tokens issued before have no
    # User-Agent, so their sessions show none until the next refresh.
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("refresh_tokens") as batch_op:
        batch_op.add_column(sa.Column("user_agent", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch_op:
        batch_op.drop_column("user_agent")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("version")
