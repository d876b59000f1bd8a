"""One import in a process of its own, for its peak memory: `python -m benchmarks.import_child
KIND FILE DB` prints JSON with seconds, peak resident memory (MB) and rows. KIND is responses,
detentions, or none (the same process start, modules and database open, without importing:
the baseline the growth is measured from)."""

from __future__ import annotations

import json
import sys
import time

from ocf.access import SYSTEM
from ocf.admin import confirm_detentions, confirm_responses, preview_detentions, preview_responses
from ocf.memory import keep_freed_memory
from ocf.store import Store


def main() -> None:
    kind, file, db = sys.argv[1:4]
    keep_freed_memory()  # as the app and the command line do
    store = Store.open(db)
    start = time.perf_counter()
    rows = 0
    if kind != "none":
        with open(file, "rb") as stream:
            if kind == "responses":
                batch = preview_responses(store, SYSTEM, stream, file)
                confirm_responses(store, SYSTEM, batch, assisted=False)
                rows = batch.answers
            else:
                preview = preview_detentions(store, SYSTEM, stream, file, "template")
                confirm_detentions(store, SYSTEM, preview)
                rows = preview.adding + preview.replacing
    seconds = time.perf_counter() - start
    # VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the forking parent's size across exec,
    # so a child of a big process (make bench holds the national dataset) reports the parent's.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))


if __name__ == "__main__":
    main()
