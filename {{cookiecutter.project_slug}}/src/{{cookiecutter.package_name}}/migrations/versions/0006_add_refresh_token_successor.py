"""Record each refresh token's scope and successor, so a refresh repeated within the grace
window gets the same pair again.

Revision ID: 0006
Revises: {{ "0005" if cookiecutter.tasks == "celery" else "0004" }}
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
# The jobs table is 0005, made only with tasks=celery.
down_revision: str | None = "{{ "0005" if cookiecutter.tasks == "celery" else "0004" }}"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Tokens issued before have no successor recorded, so their reuse revokes as it did; their
    # empty scope is never signed, since only rows named as a successor from now on are.
    with op.batch_alter_table("refresh_tokens") as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=1000), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("successor_jti", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch_op:
        batch_op.drop_column("successor_jti")
        batch_op.drop_column("scope")
