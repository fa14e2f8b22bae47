"""Version each resource, so concurrent writers cannot overwrite each other unseen.

Revision ID: 0004
Revises: {{ "0003" if cookiecutter.auth == "token" else "0002" }}
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
# The token backend's users table is 0003; the other backends go from 0002 to here.
down_revision: str | None = "{{ "0003" if cookiecutter.auth == "token" else "0002" }}"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing rows start at version 1, as new ones do.
    with op.batch_alter_table("resources") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch_op:
        batch_op.drop_column("version")
