"""SQLite alone: what a PATCH of the priority costs in the file, without HTTP or Python around it.

Migrates and seeds a 10,000-task file in a temporary directory (this checkout's migrations and
pragmas), then runs PATCH-shaped writes — read the row, `UPDATE` priority, updated_at and
version — in transactions of `--batch` writes (as group commit does), with a PASSIVE checkpoint
from a second connection every `--checkpoint-every` writes and a RESTART past
`--restart-frames` frames (as the service's checkpointer does). Prints CPU per write (the
checkpoints included, and on their own) and the read and write system calls per write, counted
by the kernel (`/proc/self/io`), which machine noise does not move.

    uv run python bench/sqlite_writes.py [--writes 16000] [--batch 16]
    PYTHONPATH=/tmp/before/src uv run python bench/sqlite_writes.py   # another checkout's schema
"""

import argparse
import asyncio
import random
import resource
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from seed import seed

from taskservice.adapters.sql.database import configure_sqlite_connection, create_engine
from taskservice.adapters.sql.migrations import upgrade_to_head

SEEDED = 10_000
_READ = "SELECT id, title, description, status, priority, created_at, updated_at, version FROM tasks WHERE id = ?"
_UPDATE = "UPDATE tasks SET priority = ?, updated_at = ?, version = ? WHERE id = ? AND version = ? RETURNING id"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def system_calls() -> tuple[int, int]:
    """(read calls, write calls) of this process so far."""
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["syscr"]), int(fields["syscw"])


async def seeded_file(path: Path) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    await seed(url, SEEDED)


def open_connection(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    configure_sqlite_connection(connection, 5000)
    connection.execute("PRAGMA wal_autocheckpoint=0")  # the service checkpoints from its own thread
    return connection


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=16_000)
    parser.add_argument("--batch", type=int, default=16, help="writes per transaction")
    parser.add_argument("--checkpoint-every", type=int, default=2_000, help="writes between checkpoints")
    parser.add_argument("--restart-frames", type=int, default=50_000, help="RESTART past this many WAL frames")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="taskservice-sqlite-writes-") as tmp:
        path = Path(tmp) / "tasks.db"
        asyncio.run(seeded_file(path))
        writer, checkpointer = open_connection(path), open_connection(path)
        checkpointer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        generator = random.Random(1)
        now = datetime(2026, 11, 23, tzinfo=UTC)
        done = since_checkpoint = 0
        checkpoint_cpu = 0.0
        started_cpu, (started_reads, started_writes) = cpu_seconds(), system_calls()
        while done < options.writes:
            writer.execute("BEGIN IMMEDIATE")
            for _ in range(options.batch):
                task_id = generator.randint(1, SEEDED)
                version = writer.execute(_READ, (task_id,)).fetchone()[7]
                now += timedelta(microseconds=37)
                stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
                writer.execute(_UPDATE, (generator.randint(1, 5), stamp, version + 1, task_id, version)).fetchall()
            writer.execute("COMMIT")
            done += options.batch
            since_checkpoint += options.batch
            if since_checkpoint >= options.checkpoint_every:
                since_checkpoint = 0
                before = cpu_seconds()
                _, frames, _ = checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > options.restart_frames:
                    checkpointer.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                checkpoint_cpu += cpu_seconds() - before
        used = cpu_seconds() - started_cpu
        reads, writes = system_calls()
        writer.close()
        checkpointer.close()
    print(
        f"{done} writes in batches of {options.batch}: {used / done * 1e6:.1f} µs CPU per write "
        f"(checkpoints {checkpoint_cpu / done * 1e6:.1f}); per write {(reads - started_reads) / done:.1f} read "
        f"and {(writes - started_writes) / done:.1f} write system calls"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
