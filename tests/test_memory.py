"""Process set-up: freed memory is kept for reuse (glibc), and nothing breaks without glibc."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import numpy as np
import pytest

from ocf import memory

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


@pytest.mark.skipif(not GLIBC, reason="glibc's allocator only")
def test_a_freed_array_stays_with_the_process_for_reuse() -> None:
    """After set-up, an 8 MiB array freed is kept as free heap (glibc would unmap it)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    if not hasattr(libc, "mallinfo2"):
        pytest.skip("glibc older than 2.33")
    libc.mallinfo2.restype = _MallInfo2
    assert memory.keep_freed_memory()
    mapped = libc.mallinfo2().hblkhd
    array = np.ones(8 * 2**20 // 8)
    assert libc.mallinfo2().hblkhd - mapped < array.nbytes  # from the heap, not its own mapping
    free = libc.mallinfo2().fordblks
    del array
    assert libc.mallinfo2().fordblks - free >= 8 * 2**20  # and still there once freed


def test_without_glibc_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory.ctypes.util, "find_library", lambda name: None)
    memory.keep_freed_memory.cache_clear()
    try:
        assert memory.keep_freed_memory() is False
    finally:
        memory.keep_freed_memory.cache_clear()


def test_the_service_make_run_and_the_container_set_the_same_tunables() -> None:
    """Issue 32: glibc tuning as configuration. The unit, `make run` and the Dockerfile carry
    ocf.memory.TUNABLES, which glibc reads at start; keep_freed_memory then has nothing to do."""
    import os
    import subprocess
    import sys

    from ocf.memory import TUNABLES

    from .conftest import PROJECT

    for name in ("deploy/ocf.service", "Makefile", "Dockerfile"):
        assert TUNABLES in (PROJECT / name).read_text(), name
    said = subprocess.run(
        [sys.executable, "-c", "from ocf.memory import keep_freed_memory as k; print(k())"],
        env={**os.environ, "GLIBC_TUNABLES": TUNABLES}, capture_output=True, text=True,
        check=True, cwd=PROJECT,
    )  # fmt: skip
    assert said.stdout.strip() == "True"
