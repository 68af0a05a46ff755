"""Keep the number of tasks per status in `task_counts`, so list totals stay flat as tasks grow.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_counts",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_task_counts")),
    )
    # Existing tasks are counted once here; from now on the service keeps the counts.
    op.execute("INSERT INTO task_counts (status, count) SELECT status, count(*) FROM tasks GROUP BY status")


def downgrade() -> None:
    op.drop_table("task_counts")
