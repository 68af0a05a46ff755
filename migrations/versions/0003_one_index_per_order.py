"""Drop the descending sort indexes: each ascending index now serves both directions.

A descending page is read by walking the ascending index backwards and putting the rare
ties on the sort column back into ascending tie-break order (adapters/sql/descending.py).
Every write maintained 14 indexes and a PATCH of the priority rewrote 8; now 8 and 4, which
roughly halves the WAL frames a write commits (docs/performance.md).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index name suffix, sort column, tie-break columns), as in 0001.
_ORDERS = (
    ("priority", "priority", ("created_at", "id")),
    ("created_at", "created_at", ("id",)),
    ("updated_at", "updated_at", ("created_at", "id")),
)


def upgrade() -> None:
    for name, _, _ in _ORDERS:
        op.drop_index(f"ix_tasks_{name}_desc", table_name="tasks")
        op.drop_index(f"ix_tasks_status_{name}_desc", table_name="tasks")


def downgrade() -> None:
    for name, column, tie_break in _ORDERS:
        ordered = sa.text(f"{column} DESC")
        op.create_index(f"ix_tasks_{name}_desc", "tasks", [ordered, *tie_break])
        op.create_index(f"ix_tasks_status_{name}_desc", "tasks", ["status", ordered, *tie_break])
