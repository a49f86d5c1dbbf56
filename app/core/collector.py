"""The garbage collector's settings for a serving process, applied once start-up is done.

CPython frees almost everything a request makes by reference counting; its cycle collector only has to find
the rare cycle. It runs a young collection whenever tracked allocations outnumber deallocations by 700 (the
default threshold). A request in flight holds a few hundred tracked objects (coroutine frames, the ASGI scope,
rows), so with a dozen requests in flight the set of live request objects alone swings past 700 again and
again, and every young collection walks all the frames in flight. Measured on GET /api/v1/tasks with 16
connections: about one young collection every five requests, at some 300 us each, and about 7% of the
process's CPU spent collecting (timed with gc.callbacks) while finding next to nothing to free.

A young threshold above the swing (GC_YOUNG_THRESHOLD, 20000 by default) leaves collections to real growth;
the older generations' thresholds keep their defaults. Objects built at start-up live as long as the process
and are frozen, so full collections stop walking them.
"""

from __future__ import annotations

import gc


def settle_after_startup(young_threshold: int) -> None:
    """Collect start-up's garbage, freeze what is left, and set the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
