"""Derived data reused until the data change (pages rerun on every click)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from ocf.store import Store

T = TypeVar("T")
_CACHE: OrderedDict[tuple, object] = OrderedDict()
KEPT = 64


def cached(store: Store, what: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()` for (this database, `what`, `key`), reused until the data change.

    The cache key includes the store's change stamp (every write is audited; the epoch changes on
    a restore), so a cached value is never stale. Values are shared: callers must not mutate them.
    """
    full_key = (store.identity, what, key, store.change_stamp())
    if full_key in _CACHE:
        _CACHE.move_to_end(full_key)
        return _CACHE[full_key]  # type: ignore[return-value]
    value = compute()
    _CACHE[full_key] = value
    while len(_CACHE) > KEPT:
        _CACHE.popitem(last=False)
    return value
