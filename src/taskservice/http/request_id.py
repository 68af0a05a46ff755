"""Accept the caller's X-Request-ID when it is sane; otherwise make a new UUIDv4."""

import random
import re
from typing import Final

_SANE: Final = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The version (4) and variant (RFC 4122) bits of a UUIDv4, over 128 random bits.
_KEEP: Final = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_SET: Final = (0x4000 << 64) | (0x8000 << 48)


def accepted(offered: bytes) -> str:
    """The caller's id if it is 1–128 of [A-Za-z0-9._:-], else ""."""
    try:
        text = offered.decode("ascii")
    except UnicodeDecodeError:
        return ""
    return text if _SANE.fullmatch(text) else ""


def new_request_id() -> str:
    """A random UUIDv4 in its canonical text form, made on every request that arrives without an id.

    The bits come from `random`, not `os.urandom` as in `uuid.uuid4()`: a request id must be unique,
    not secret (OpenTelemetry's trace ids are made the same way), and skipping the system call and
    the `uuid.UUID` object makes it a third of the cost (docs/performance.md). `random` is reseeded
    in each forked worker, so workers never share a sequence.
    """
    value = (random.getrandbits(128) & _KEEP) | _SET
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
