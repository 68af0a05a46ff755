"""Garbage-collector settings for a serving process (docs/performance.md, "The garbage collector").

Measured under wrk on POST with CPython's defaults: the collector took about 7 % of the server's
time. Full collections walked the ~120,000 objects that imports and start-up leave behind (47 ms
each, the p99 spikes), and the youngest generation, at its threshold of 700 net allocations,
was collected every ~18 requests because 32 requests in flight keep a few thousand objects alive.
"""

import gc
from typing import Final

# Net container allocations before a young collection. Requests free almost everything they
# allocate by reference counting, so the count only reaches this under real growth or cyclic
# garbage; that garbage is still collected, in batches of at most this many objects.
YOUNG_THRESHOLD: Final = 10_000


def tune_for_serving() -> None:
    """Call once start-up is done, in the serving process only.

    `gc.freeze` moves every object alive now (modules, the app, compiled statements) to a
    permanent generation that collections no longer walk: those objects live as long as the
    process, so walking them only costs time.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
