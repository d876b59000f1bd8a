"""Process set-up: keep freed memory for reuse rather than handing it back at once.

Scoring a round allocates a dozen arrays of about a megabyte each and frees them. By default
glibc returns such memory to the system as soon as it is free (blocks above its mmap threshold
are unmapped; a heap with more than a few MiB free at the top is trimmed) and the next round
faults it back in page by page. On the virtual machines we measured, those page faults were
about three quarters of the time scoring spends per answer (the per-answer passes of a national
round: 6.7 ms, 1.9 ms with this set-up). The app, the command line and the benchmarks call
`keep_freed_memory()` once at start.

It is configuration first: the service unit, `make run` and the container set glibc's own
tunables (`GLIBC_TUNABLES`, the value `TUNABLES` below), which glibc reads when the process
starts; `keep_freed_memory()` then changes nothing. Run any other way (`ocf` from a shell, the
tests), it sets the same two thresholds through `mallopt`.

The cost: a process keeps up to `TRIM_THRESHOLD` of freed memory instead of returning it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

__all__ = [
    "MMAP_THRESHOLD",
    "TRIM_THRESHOLD",
    "TUNABLES",
    "keep_freed_memory",
]


# mallopt(3) parameters, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
TRIM_THRESHOLD = 64 * 2**20  # free memory kept at the top of the heap
MMAP_THRESHOLD = 16 * 2**20  # blocks smaller than this come from the heap, so they are reused
# The same two settings as glibc tunables, for the environment of a service (deploy/ocf.service,
# the Makefile, the Dockerfile: a test checks they all say this).
TUNABLES = (
    f"glibc.malloc.trim_threshold={TRIM_THRESHOLD}:glibc.malloc.mmap_threshold={MMAP_THRESHOLD}"
)


@cache
def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds (once per process). True when they are set: by
    the environment's GLIBC_TUNABLES at start (nothing to do), else here through mallopt. False
    where there is no glibc (macOS, musl): nothing changes there and everything works as
    before, a little slower."""
    if TUNABLES in os.environ.get("GLIBC_TUNABLES", ""):
        return True
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    # mallopt returns 1 on success; setting the mmap threshold also stops glibc adjusting it.
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    )
