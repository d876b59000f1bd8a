"""Derived data reused until the data change (pages rerun on every click)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from ocf.store import Store

__all__ = [
    "KEPT",
    "T",
    "cached",
]


T = TypeVar("T")
_CACHE: OrderedDict[tuple, object] = OrderedDict()
_LOCK = threading.Lock()  # Streamlit runs each session's reruns on their own threads
KEPT = 64


def cached(store: Store, what: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()` for (this database, `what`, `key`), reused until the data change.

    The cache key includes the store's change stamp (every write is audited; the epoch changes on
    a restore), so a cached value is never stale. Values are shared: callers must not mutate them.
    """
    full_key = (store.identity, what, key, store.change_stamp())
    with _LOCK:
        if full_key in _CACHE:
            _CACHE.move_to_end(full_key)
            return _CACHE[full_key]  # type: ignore[return-value]
    # Computed outside the lock: two threads may both compute a value, never see a half-made one.
    value = compute()
    with _LOCK:
        _CACHE[full_key] = value
        while len(_CACHE) > KEPT:
            _CACHE.popitem(last=False)
    return value
