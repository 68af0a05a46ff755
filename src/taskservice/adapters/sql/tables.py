"""The schema, as SQLAlchemy Core tables. Migrations must match it (a drift test checks).

Why the indexes, the counts and the columns are as they are: docs/storage.md.
"""

from advanced_alchemy.base import convention
from advanced_alchemy.types import BigIntIdentity, DateTimeUTC
from sqlalchemy.schema import CheckConstraint, Column, ForeignKey, Identity, Index, MetaData, Table
from sqlalchemy.types import BigInteger, Boolean, Integer, SmallInteger, String, Text

from taskservice.domain.listing import OrderBy
from taskservice.domain.task import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from taskservice.domain.user import EMAIL_MAX_LENGTH, KEY_NAME_MAX_LENGTH, NAME_MAX_LENGTH

metadata = MetaData(naming_convention=convention)

tasks = Table(
    "tasks",
    metadata,
    Column("id", BigIntIdentity, Identity(), primary_key=True),
    Column("title", String(TITLE_MAX_LENGTH), nullable=False),
    # title.strip().casefold(), in code-point order on every store ("C": UTF-8 bytes, as SQLite's BINARY).
    Column("title_key", Text().with_variant(Text(collation="C"), "postgresql"), nullable=False),
    Column("description", String(DESCRIPTION_MAX_LENGTH), nullable=True),
    Column("status", String(16), nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("created_at", DateTimeUTC(), nullable=False),
    Column("updated_at", DateTimeUTC(), nullable=False),
    Column("version", Integer, nullable=False),
    # User ids, not foreign keys: a reference would cost every task write a lookup (docs/storage.md).
    Column("created_by", BigInteger, nullable=True),
    Column("updated_by", BigInteger, nullable=True),
    CheckConstraint("status IN ('new', 'in_progress', 'completed')", name="status_valid"),
    CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
    sqlite_autoincrement=True,  # SQLite never hands out an id again, even after the highest rows are deleted
)
TASK_COLUMNS = tuple(column for column in tasks.c if column.name != "title_key")  # a Task's fields, in order

# The database enforces title uniqueness, so concurrent writers across processes cannot both win.
TITLE_KEY_INDEX = "uq_tasks_title_key"
Index(TITLE_KEY_INDEX, tasks.c.title_key, unique=True)
Index("ix_tasks_status_title_key", tasks.c.status, tasks.c.title_key)

# Each list order: its sort column, then the tie-break, always ascending (title_key is unique).
# One ascending index per order, with and without a status prefix, serves `asc` read forwards
# and `desc` read backwards (descending.py puts ties back in order); named `_asc` since 0001.
ORDERS = {
    OrderBy.PRIORITY: (tasks.c.priority, tasks.c.created_at, tasks.c.id),
    OrderBy.CREATED_AT: (tasks.c.created_at, tasks.c.id),
    OrderBy.UPDATED_AT: (tasks.c.updated_at, tasks.c.created_at, tasks.c.id),
    OrderBy.TITLE: (tasks.c.title_key,),
}
for _order_by, _columns in ORDERS.items():
    if _order_by is not OrderBy.TITLE:
        Index(f"ix_tasks_{_order_by.value}_asc", _columns[0].asc(), *_columns[1:])
        Index(f"ix_tasks_status_{_order_by.value}_asc", tasks.c.status, _columns[0].asc(), *_columns[1:])

# How many tasks have each status, in 16 slots per status, kept by triggers (migrations 0002 and
# 0004) in the same transaction as every write: a list's total is the sum of a few rows.
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

# A key's secret is never stored, only its digest, which the unique index finds in one seek.
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
