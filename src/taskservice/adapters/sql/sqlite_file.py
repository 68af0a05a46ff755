"""Run SQLAlchemy Core statements on a SQLite file through the sqlite3 driver itself.

Why not the async engine: SQLAlchemy's aiosqlite dialect makes four or five worker-thread
hops per statement (cursor, execute, fetch, close, commit), and those hops, not SQLite, are
most of a request's time (docs/performance.md). Here statements are still written with
SQLAlchemy Core and compiled once per statement for the SQLite dialect, with SQLAlchemy's own
type processors for parameters and results, so the SQL and the stored formats are the same
as on the engine; only the execution is direct:

- reads run on the event loop thread, on one connection in autocommit mode: in WAL mode a
  reader never waits for a lock, and an indexed lookup costs less than one thread hop;
- writes are committed in groups (`sqlite_writer.py`): the writes of one loop turn share a
  transaction on that same connection, on the loop, when the write lock is free; when another
  process holds it they go to a writer thread with its own connection, which waits for the
  lock (busy_timeout), so the event loop never waits for one.

Driver errors are raised as SQLAlchemy's exception types, so error mapping stays in one place.
"""

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement, ColumnElement

from taskservice.adapters.sql.sqlite_writer import GroupCommitWriter, as_sqlalchemy_error

T = TypeVar("T")
Row = Sequence[Any]

_DIALECT = sqlite.dialect(paramstyle="named")


class _Compiled:
    """One statement's SQL text and the type processors for its parameters and result columns."""

    __slots__ = ("binds", "defaults", "results", "sql")

    results: tuple[tuple[int, Callable[[Any], Any]], ...]

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        self.sql: str = compiled.string
        self.binds: dict[str, Callable[[Any], Any]] = {}
        # Values fixed in the statement itself (e.g. `literal(1)`), keyed by their rendered names.
        self.defaults: dict[str, Any] = {}
        bind_names: dict[BindParameter[Any], str] = compiled.bind_names
        for bind, name in bind_names.items():
            processor = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            if processor is not None:
                self.binds[name] = processor
            if not bind.required:
                self.defaults[name] = bind.effective_value
        columns: Sequence[ColumnElement[Any]] = getattr(statement, "exported_columns", ())
        self.results = tuple(
            (index, processor) for index, column in enumerate(columns) if (processor := _result_processor(column))
        )

    def parameters(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        merged = {**self.defaults, **params} if self.defaults else params
        if not self.binds:
            return merged
        # Only the few parameters with a processor (timestamps) are touched.
        processed = dict(merged)
        for name, processor in self.binds.items():
            if name in processed:
                processed[name] = processor(processed[name])
        return processed

    def row(self, raw: Row) -> Row:
        if not self.results:
            return raw
        row = list(raw)
        for index, processor in self.results:
            if (value := row[index]) is not None:
                row[index] = processor(value)
        return row


def _utc_from_text(value: str) -> datetime:
    # Appending the offset is ~10× cheaper than `.replace(tzinfo=UTC)` on Python 3.11.
    return datetime.fromisoformat(value + "+00:00")


def _result_processor(column: ColumnElement[Any]) -> Callable[[Any], Any] | None:
    """SQLAlchemy's result processor for the column's type, with one measured shortcut.

    `DateTimeUTC` on SQLite is stored as naive UTC text ("2026-11-23 11:10:10.422142"); SQLAlchemy
    parses it with a regular expression and advanced-alchemy then attaches UTC, which was a fifth
    of a 100-task list. `datetime.fromisoformat` (C) gives the same value (a test pins this).
    """
    if isinstance(column.type, DateTimeUTC):
        return _utc_from_text
    return column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None)


# Called with ("before" | "after", SQL, parameters) around every statement.
StatementHook = Callable[[str, str, Mapping[str, Any]], None]


class SqliteConnection:
    """Executes Core statements on one sqlite3 connection, each compiled once (the `StatementRunner` shape)."""

    def __init__(self, connection: sqlite3.Connection, on_statement: StatementHook | None) -> None:
        self.raw = connection
        self._on_statement = on_statement
        # Statements are module-level constants or cached by their builder, so identity is a stable
        # key; the statement is kept with its compiled form so its id cannot be reused meanwhile.
        self._cache: dict[int, tuple[ClauseElement, _Compiled]] = {}

    def _compiled(self, statement: ClauseElement) -> _Compiled:
        entry = self._cache.get(id(statement))
        if entry is None or entry[0] is not statement:
            entry = self._cache[id(statement)] = (statement, _Compiled(statement))
        return entry[1]

    def rows(self, statement: ClauseElement, params: Mapping[str, Any] | None = None) -> list[Row]:
        compiled = self._compiled(statement)
        parameters = compiled.parameters(params or {})
        if self._on_statement is not None:
            self._on_statement("before", compiled.sql, parameters)
        try:
            raw = self.raw.execute(compiled.sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise as_sqlalchemy_error(compiled.sql, parameters, error) from error
        if self._on_statement is not None:
            self._on_statement("after", compiled.sql, parameters)
        if not compiled.results:
            return raw
        return [compiled.row(r) for r in raw]


class SqliteFile:
    """A reader connection for the event loop and a writer connection in its own thread."""

    def __init__(
        self,
        path: str,
        configure: Callable[[sqlite3.Connection], None],
        *,
        busy_timeout: float,
        queue_timeout: float,
        on_statement: StatementHook | None = None,
        max_batch: int = 64,
        writes_on_loop: bool = True,
    ) -> None:
        self._path = path
        # Batches run on the event loop's connection when the write lock is free (sqlite_writer.py);
        # False keeps every write on the writer thread.
        self._writes_on_loop = writes_on_loop
        self._reader_thread: int | None = None
        self._checkpointer_lock = threading.Lock()
        self._max_batch = max_batch  # writes per group commit at most; 1 turns grouping off
        self._configure = configure
        self._busy_timeout = busy_timeout
        self._queue_timeout = queue_timeout
        self._on_statement = on_statement
        self._reader: SqliteConnection | None = None
        self._writer: GroupCommitWriter[SqliteConnection] | None = None
        self._checkpointer: _Checkpointer | None = None

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._configure(connection)
        except sqlite3.Error as error:
            connection.close()
            raise as_sqlalchemy_error("PRAGMA", {}, error) from error
        return connection

    def read(self, work: Callable[[SqliteConnection], T], *, snapshot: bool = False) -> T:
        """Run `work` on the reader, on the calling (event loop) thread.

        `snapshot`: in one read transaction, so several statements see one state; a single
        statement is its own snapshot and skips the BEGIN/COMMIT.
        """
        reader = self.connection()
        if not snapshot:
            return work(reader)
        reader.raw.execute("BEGIN")
        try:
            return work(reader)
        finally:
            reader.raw.execute("COMMIT")

    async def write(self, work: Callable[[SqliteConnection], T], *, one_statement: bool = False) -> T:
        """Run `work` in a write transaction on the writer thread; returns once it is committed.

        `work` may share its transaction with other writes queued meanwhile (group commit,
        `sqlite_writer.py`), each in its own savepoint: an exception from `work` undoes only
        its own statements, and is raised here. `one_statement`: see `GroupCommitWriter.submit`.
        """
        if self._writer is None:
            self._writer = GroupCommitWriter(
                self._open_writer,
                queue_timeout=self._queue_timeout,
                on_commit=self._committed,
                max_batch=self._max_batch,
                loop_side=self if self._writes_on_loop else None,
                busy_timeout_ms=int(self._busy_timeout * 1000),
            )
        return await self._writer.submit(work, one_statement=one_statement)

    def connection(self) -> SqliteConnection:
        """The event loop's connection: every read, and the write batches the loop runs itself."""
        if self._reader is None:
            raw = self._open()
            if self._writes_on_loop:
                # It commits too: the checkpointer copies the WAL instead (see _Checkpointer).
                raw.execute("PRAGMA wal_autocheckpoint=0")
                self._start_checkpointer()
            self._reader = SqliteConnection(raw, self._on_statement)
        return self._reader

    def usable(self) -> bool:
        """Write batches run on the loop's connection only from the thread that first used it."""
        if self._reader_thread is None:
            self._reader_thread = threading.get_ident()
        return self._reader_thread == threading.get_ident()

    def discard(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(sqlite3.Error):
                self._reader.raw.close()
            self._reader = None

    def _start_checkpointer(self) -> None:
        with self._checkpointer_lock:
            if self._checkpointer is None:
                self._checkpointer = _Checkpointer(self._open)

    def _open_writer(self) -> SqliteConnection:
        """The writer's connection and its checkpointer (called in the writer thread)."""
        raw = self._open()
        # The checkpointer thread copies the WAL into the database file instead (see _Checkpointer).
        raw.execute("PRAGMA wal_autocheckpoint=0")
        self._start_checkpointer()
        return SqliteConnection(raw, self._on_statement)

    def _committed(self, writes: int) -> None:
        if self._checkpointer is not None:
            self._checkpointer.committed(writes)

    def close(self) -> None:
        """Finish the queued writes, then close every connection; the next call opens new ones."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._reader is not None:
            self._reader.raw.close()
            self._reader = None
        self._reader_thread = None


class _Checkpointer:
    """Copies the WAL into the database file in its own thread, off the write path.

    With SQLite's automatic checkpoint the commit that crosses 1000 WAL pages copies them and
    fsyncs the database file while every queued write waits: measured here, a commit took
    ~450 µs on average instead of ~80 µs. A PASSIVE checkpoint never blocks the writer or the
    readers. Durability is unchanged: commits are durable across a process crash once COMMIT
    returns (WAL, synchronous=NORMAL); what a power loss may take is what was committed since
    the last checkpoint's fsync (at most `idle_seconds` or `every_writes` writes ago).
    """

    def __init__(
        self,
        open_connection: Callable[[], sqlite3.Connection],
        # Measured on a 10,000-task file under PATCH: every 500 writes the copy re-read and
        # re-wrote ~9 pages per write, every 2,000 about 4 (a page changed twice between two
        # rounds is copied once). RESTART at 50,000 frames (~50 MiB of WAL) rather than 10,000:
        # each restart empties every connection's page cache.
        every_writes: int = 2_000,
        idle_seconds: float = 1.0,
        restart_frames: int = 50_000,
    ) -> None:
        self._open = open_connection
        self._every_writes = every_writes
        self._idle_seconds = idle_seconds
        self._restart_frames = restart_frames
        self._pending = 0  # writes since the last checkpoint; an increment lost to a race is harmless
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def committed(self, writes: int) -> None:
        # Counted in writes rather than commits: a group commit of many writes adds as many WAL
        # pages as several single ones, and the WAL must stay as bounded as before.
        self._pending += writes
        if self._pending >= self._every_writes:
            self._wake.set()

    def _run(self) -> None:
        connection = self._open()
        try:
            while not self._stopping:
                self._wake.wait(self._idle_seconds)
                self._wake.clear()
                self._checkpoint(connection)
            self._checkpoint(connection)
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        if not self._pending:
            return
        self._pending = 0
        with contextlib.suppress(sqlite3.Error):
            # A failed round (e.g. the file is busy) leaves the WAL intact and valid; the next
            # round copies it, and SQLite recovers from the WAL at open in any case.
            _, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames > self._restart_frames:
                # Under steady writes a passive checkpoint never finds the WAL fully copied when
                # a write begins, so the WAL would grow without bound: RESTART briefly holds new
                # writers (busy_timeout) while it copies the rest, then the WAL starts over.
                connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()

    def close(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)
