"""Keep the number of tasks per status in `task_counts`, so list totals stay flat as tasks grow.

Triggers on `tasks` keep the counts in the same transaction as every insert, status change and
delete, whoever writes (the service, a seed script, a manual fix); on PostgreSQL a TRUNCATE of
`tasks` empties the counts too. A status without a row counts zero.

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

_SQLITE_BUMP = (
    "INSERT INTO task_counts (status, count) VALUES ({status}, {delta}) "
    "ON CONFLICT (status) DO UPDATE SET count = count + {delta};"
)
_SQLITE_TRIGGERS = {
    "task_counts_on_insert": f"AFTER INSERT ON tasks BEGIN {_SQLITE_BUMP.format(status='NEW.status', delta=1)} END",
    "task_counts_on_delete": f"AFTER DELETE ON tasks BEGIN {_SQLITE_BUMP.format(status='OLD.status', delta=-1)} END",
    "task_counts_on_status_change": (
        "AFTER UPDATE OF status ON tasks WHEN OLD.status <> NEW.status BEGIN "
        f"{_SQLITE_BUMP.format(status='OLD.status', delta=-1)} {_SQLITE_BUMP.format(status='NEW.status', delta=1)} END"
    ),
}

# Two opposite status moves must not lock the two count rows in opposite orders (a deadlock):
# the lower status is always changed first.
_POSTGRES_STATEMENTS = (
    """CREATE FUNCTION task_counts_bump(changed text, delta bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO task_counts (status, count) VALUES (changed, delta)
        ON CONFLICT (status) DO UPDATE SET count = task_counts.count + delta
    $$""",
    """CREATE FUNCTION task_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM task_counts_bump(NEW.status, 1);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM task_counts_bump(OLD.status, -1);
        ELSIF OLD.status < NEW.status THEN
            PERFORM task_counts_bump(OLD.status, -1);
            PERFORM task_counts_bump(NEW.status, 1);
        ELSE
            PERFORM task_counts_bump(NEW.status, 1);
            PERFORM task_counts_bump(OLD.status, -1);
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE FUNCTION task_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM task_counts;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER task_counts_on_insert_delete AFTER INSERT OR DELETE ON tasks
        FOR EACH ROW EXECUTE FUNCTION task_counts_follow()""",
    """CREATE TRIGGER task_counts_on_status_change AFTER UPDATE OF status ON tasks
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION task_counts_follow()""",
    """CREATE TRIGGER task_counts_on_truncate AFTER TRUNCATE ON tasks
        FOR EACH STATEMENT EXECUTE FUNCTION task_counts_reset()""",
)


def upgrade() -> None:
    op.create_table(
        "task_counts",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_task_counts")),
    )
    # The tasks already stored are counted once; from here on the triggers keep the counts.
    op.execute("INSERT INTO task_counts (status, count) SELECT status, count(*) FROM tasks GROUP BY status")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRES_STATEMENTS:
            op.execute(statement)
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("task_counts_on_insert_delete", "task_counts_on_status_change", "task_counts_on_truncate"):
            op.execute(f"DROP TRIGGER {trigger} ON tasks")
        for function in ("task_counts_follow()", "task_counts_reset()", "task_counts_bump(text, bigint)"):
            op.execute(f"DROP FUNCTION {function}")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("task_counts")
