"""Create the tasks table, its title-key unique index and one index per list order.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index name suffix, sort column, tie-break columns); each gets an asc and a desc index,
# with and without a leading status column.
_ORDERS = (
    ("priority", "priority", ("created_at", "id")),
    ("created_at", "created_at", ("id",)),
    ("updated_at", "updated_at", ("created_at", "id")),
)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_key", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('new', 'in_progress', 'completed')", name=op.f("ck_tasks_status_valid")),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name=op.f("ck_tasks_priority_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sqlite_autoincrement=True,
    )
    op.create_index("uq_tasks_title_key", "tasks", ["title_key"], unique=True)
    op.create_index("ix_tasks_status_title_key", "tasks", ["status", "title_key"])
    for name, column, tie_break in _ORDERS:
        for direction in ("asc", "desc"):
            ordered = sa.text(f"{column} {direction.upper()}")
            op.create_index(f"ix_tasks_{name}_{direction}", "tasks", [ordered, *tie_break])
            op.create_index(f"ix_tasks_status_{name}_{direction}", "tasks", ["status", ordered, *tie_break])


def downgrade() -> None:
    op.drop_table("tasks")
