"""Event ids: random UUIDv4s made without a system call."""

import random
import uuid


def random_uuid4() -> uuid.UUID:
    """A UUIDv4 from `random`, not `os.urandom` as `uuid.uuid4()`.

    Event ids must be unique, not secret. `os.urandom` is a system call that releases the GIL,
    and on one core every release lets the SQLite writer thread in ahead of the request
    (docs/performance.md). `random` is reseeded in each forked worker.
    """
    return uuid.UUID(int=random.getrandbits(128), version=4)
