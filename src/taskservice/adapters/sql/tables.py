"""The schema, as SQLAlchemy Core tables. Migrations must match it (a drift test checks)."""

from typing import Any

from advanced_alchemy.base import convention
from advanced_alchemy.types import BigIntIdentity, DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from taskservice.domain.listing import OrderBy
from taskservice.domain.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from taskservice.domain.user import EMAIL_MAX_LENGTH, KEY_NAME_MAX_LENGTH, NAME_MAX_LENGTH

metadata = MetaData(naming_convention=convention)

# Code-point order for the title key on every store: PostgreSQL's "C" collation compares
# UTF-8 bytes, like SQLite's BINARY and like Python's str ordering.
_TitleKey = Text().with_variant(Text(collation="C"), "postgresql")

tasks = Table(
    "tasks",
    metadata,
    Column("id", BigIntIdentity, Identity(), primary_key=True),
    Column("title", String(TITLE_MAX_LENGTH), nullable=False),
    Column("title_key", _TitleKey, nullable=False),
    Column("description", String(DESCRIPTION_MAX_LENGTH), nullable=True),
    Column("status", String(16), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("created_at", DateTimeUTC(), nullable=False),
    Column("updated_at", DateTimeUTC(), nullable=False),
    Column("version", Integer, nullable=False),
    # Who created and last changed the task. Not foreign keys: users are never deleted, so a
    # reference would have nothing to cascade or restrict, yet it would cost every task write a
    # lookup in `users` (and, on PostgreSQL, a KEY SHARE lock on the user's row, which an admin's
    # `FOR UPDATE` of that user waits for); and SQLite can add a constrained column only by
    # rebuilding `tasks` and its triggers. The ids come from an authenticated caller.
    Column("created_by", BigInteger, nullable=True),
    Column("updated_by", BigInteger, nullable=True),
    CheckConstraint("status IN ('new', 'in_progress', 'completed')", name="status_valid"),
    CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
    # AUTOINCREMENT: SQLite never hands out an id again, even after the highest rows are deleted.
    sqlite_autoincrement=True,
)

# The database enforces title uniqueness, so concurrent writers across processes cannot both win.
TITLE_KEY_INDEX = "uq_tasks_title_key"
Index(TITLE_KEY_INDEX, tasks.c.title_key, unique=True)
Index("ix_tasks_status_title_key", tasks.c.status, tasks.c.title_key)

# Every list order is served by one ascending index, with and without a status prefix, read
# forwards for `asc` and backwards for `desc`. The tie-break (created_at asc, id asc) keeps its
# direction whatever the sort direction, so a backward read returns ties reversed; the few
# ties on a page are put back in order (descending.py), which costs far less than a second
# index per order that every write would maintain (migration 0003). title_key is unique and
# needs no tie-break.
SORT_COLUMNS = {
    OrderBy.PRIORITY: tasks.c.priority,
    OrderBy.CREATED_AT: tasks.c.created_at,
    OrderBy.UPDATED_AT: tasks.c.updated_at,
    OrderBy.TITLE: tasks.c.title_key,
}


def tie_break(order_by: OrderBy) -> tuple[Column[Any], ...]:
    """The columns that follow the sort column, always ascending."""
    if order_by is OrderBy.TITLE:
        return ()
    if order_by is OrderBy.CREATED_AT:
        return (tasks.c.id,)
    return (tasks.c.created_at, tasks.c.id)


# Named `_asc` since migration 0001, which also made `_desc` twins (dropped in 0003).
for _order_by in (OrderBy.PRIORITY, OrderBy.CREATED_AT, OrderBy.UPDATED_AT):
    _column = SORT_COLUMNS[_order_by]
    Index(f"ix_tasks_{_order_by.value}_asc", _column.asc(), *tie_break(_order_by))
    Index(f"ix_tasks_status_{_order_by.value}_asc", tasks.c.status, _column.asc(), *tie_break(_order_by))

# How many tasks have each status, so a list's `total` is a sum of a few dozen rows instead of a
# count that grows with the table. Triggers on `tasks` (migrations 0002 and 0004, per dialect;
# Alembic's drift check does not compare triggers) keep it in the same transaction as every
# insert, status change and delete, whoever writes. Each write adds to one of 16 slots of its
# status, at random, so concurrent writers rarely touch the same row (no hot row on PostgreSQL);
# a slot may hold a negative count, only the sum per status means anything. A status without
# rows counts zero.
task_counts = Table(
    "task_counts",
    metadata,
    Column("status", String(16), primary_key=True),
    Column("slot", SmallInteger, primary_key=True, autoincrement=False),
    Column("count", BigInteger, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", BigIntIdentity, Identity(), primary_key=True),
    Column("email", String(EMAIL_MAX_LENGTH), nullable=False),
    Column("email_key", Text, nullable=False),  # email.strip().casefold(): may be longer than the email
    Column("name", String(NAME_MAX_LENGTH), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("password_hash", Text, nullable=True),  # None: the user signs in with API keys only
    Column("created_at", DateTimeUTC(), nullable=False),
    Column("updated_at", DateTimeUTC(), nullable=False),
    CheckConstraint("role IN ('reader', 'writer', 'admin')", name="role_valid"),
    sqlite_autoincrement=True,
)
EMAIL_KEY_INDEX = "uq_users_email_key"
Index(EMAIL_KEY_INDEX, users.c.email_key, unique=True)

# A key's secret is never stored, only its digest: a fast hash suffices for a high-entropy secret,
# and the unique index finds a key by it in one seek.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigIntIdentity, Identity(), primary_key=True),
    Column("user_id", BigInteger, ForeignKey(users.c.id, ondelete="CASCADE"), nullable=False),
    Column("name", String(KEY_NAME_MAX_LENGTH), nullable=False),
    Column("prefix", Text, nullable=False),
    Column("digest", Text, nullable=False),
    Column("created_at", DateTimeUTC(), nullable=False),
    Column("last_used_at", DateTimeUTC(), nullable=True),
    sqlite_autoincrement=True,
)
Index("uq_api_keys_digest", api_keys.c.digest, unique=True)
Index("ix_api_keys_user_id", api_keys.c.user_id)
