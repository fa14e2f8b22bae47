"""Index resources by (created_at, id): the list's keyset pages read a range of it.

On PostgreSQL the index is built CONCURRENTLY (outside a transaction), so a big table takes
writes meanwhile; InnoDB builds it in place without locking writes (LOCK=NONE fails rather than
lock, should the server not allow it); SQLite has no concurrent writers to spare.

Revision ID: 0007
Revises: {{ "0006" if cookiecutter.auth == "token" else ("0005" if cookiecutter.tasks == "celery" else "0004") }}
"""

from alembic import op

revision = "0007"
down_revision: str | None = "{{ "0006" if cookiecutter.auth == "token" else ("0005" if cookiecutter.tasks == "celery" else "0004") }}"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "ix_resources_created_at_id"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        with op.get_context().autocommit_block():
            op.create_index(INDEX, "resources", ["created_at", "id"], postgresql_concurrently=True)
    elif dialect in {"mysql", "mariadb"}:
        op.execute(
            f"CREATE INDEX {INDEX} ON resources (created_at, id) ALGORITHM=INPLACE LOCK=NONE"
        )
    else:
        op.create_index(INDEX, "resources", ["created_at", "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index(INDEX, "resources", postgresql_concurrently=True)
    else:
        op.drop_index(INDEX, "resources")
