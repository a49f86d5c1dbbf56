"""The garbage collector's settings for a serving process, applied once start-up is done.

With CPython's young threshold of 700, the objects of a dozen requests in flight alone cross it again and again,
and every young collection walks all their frames while finding next to nothing to free (docs/performance.md has
the measurements). A young threshold above the swing (GC_YOUNG_THRESHOLD, 20000 by default) leaves collections to
real growth; the older generations' thresholds keep their defaults. Objects built at start-up live as long as the
process and are frozen, so full collections stop walking them.
"""

from __future__ import annotations

import gc


def settle_after_startup(young_threshold: int) -> None:
    """Collect start-up's garbage, freeze what is left, and set the young generation's threshold."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, old)
