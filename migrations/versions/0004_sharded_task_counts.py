"""Shard `task_counts` into slots, so concurrent writers never queue on one counter row.

Every insert, delete and status change used to update the one row of its status, and on
PostgreSQL concurrent writers waited for each other's commit on that row's lock. Now each write
adds to one of `SLOTS` rows of its status, picked at random; a total is the sum of the slots.
A status change takes one from a slot of the old status and adds one to a slot of the new
(a slot may go below zero; only sums are read), locking the lower status first as 0002 did, so
two status changes can never lock two rows in opposite orders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOTS = 16
_SQLITE_TRIGGER_NAMES = ("task_counts_on_insert", "task_counts_on_delete", "task_counts_on_status_change")


def _sqlite_triggers(*, sharded: bool) -> dict[str, str]:
    """0002's triggers (`sharded=False`), or the same adding to a random slot."""
    slot = f"abs(random()) % {SLOTS}"
    columns, values, target = ("status, slot, count", "{status}, " + slot + ", {delta}", "(status, slot)")
    if not sharded:
        columns, values, target = ("status, count", "{status}, {delta}", "(status)")
    bump = (
        f"INSERT INTO task_counts ({columns}) VALUES ({values}) "
        f"ON CONFLICT {target} DO UPDATE SET count = count + {{delta}};"
    )
    return {
        "task_counts_on_insert": f"AFTER INSERT ON tasks BEGIN {bump.format(status='NEW.status', delta=1)} END",
        "task_counts_on_delete": f"AFTER DELETE ON tasks BEGIN {bump.format(status='OLD.status', delta=-1)} END",
        "task_counts_on_status_change": (
            "AFTER UPDATE OF status ON tasks WHEN OLD.status <> NEW.status BEGIN "
            f"{bump.format(status='OLD.status', delta=-1)} {bump.format(status='NEW.status', delta=1)} END"
        ),
    }


def _postgres_bump(*, sharded: bool) -> str:
    """0002's `task_counts_bump`, or the same adding to a random slot; the triggers call it."""
    columns, values, target = (
        "status, slot, count",
        f"changed, floor(random() * {SLOTS})::smallint, delta",
        "status, slot",
    )
    if not sharded:
        columns, values, target = "status, count", "changed, delta", "status"
    return f"""CREATE OR REPLACE FUNCTION task_counts_bump(changed text, delta bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO task_counts ({columns}) VALUES ({values})
        ON CONFLICT ({target}) DO UPDATE SET count = task_counts.count + delta
    $$"""


def _reshape(*, sharded: bool) -> None:
    """Re-create `task_counts` in the new (or old) shape, with the current totals in slot 0."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        for name in _SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.rename_table("task_counts", "task_counts_before")
    if postgres:
        op.execute("ALTER TABLE task_counts_before RENAME CONSTRAINT pk_task_counts TO pk_task_counts_before")
    key = [sa.Column("slot", sa.SmallInteger(), nullable=False)] if sharded else []
    op.create_table(
        "task_counts",
        sa.Column("status", sa.String(length=16), nullable=False),
        *key,
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("status", *(["slot"] if sharded else []), name=op.f("pk_task_counts")),
    )
    columns = "status, slot, count" if sharded else "status, count"
    values = "status, 0, sum(count)" if sharded else "status, sum(count)"
    op.execute(f"INSERT INTO task_counts ({columns}) SELECT {values} FROM task_counts_before GROUP BY status")
    op.drop_table("task_counts_before")
    if postgres:
        op.execute(_postgres_bump(sharded=sharded))
    else:
        for name, body in _sqlite_triggers(sharded=sharded).items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    _reshape(sharded=True)


def downgrade() -> None:
    _reshape(sharded=False)
