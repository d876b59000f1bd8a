"""The figures a retired round disclosed, kept when its panel answers are deleted under the
records policy (ocf.retention): every part of its scores as one Parquet file, read back exactly
as computed. `ocf.results.round_scores` reads them for such a round."""

from __future__ import annotations

import io
from dataclasses import fields

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ocf.errors import DataError, Problem
from ocf.scoring import RoundScores
from ocf.store import Store

__all__ = ["as_parquet", "kept_scores"]

_FRAMES = ("competencies", "domains", "overall", "agreement", "obligations")


def kept_scores(store: Store, round_id: str) -> RoundScores | None:
    """The figures a retired round disclosed, exactly as they were computed; None when the
    round still holds its answers."""
    data = store.rounds.retired_scores(round_id)
    if data is None:
        return None
    table = pq.read_table(io.BytesIO(data))
    frames: dict[str, pd.DataFrame] = {}
    meta = table.schema.metadata or {}
    min_panel = int(meta.get(b"min_panel", b"5"))
    for name in _FRAMES:
        blob = meta.get(name.encode())
        if blob is None:
            raise DataError([Problem("kept figures", f"the kept figures have no {name}")])
        frames[name] = pq.read_table(io.BytesIO(bytes.fromhex(blob.decode()))).to_pandas()
    return RoundScores(min_panel=min_panel, **frames)


def as_parquet(scores: RoundScores) -> bytes:
    """Every part of the scores as one Parquet file (each part carried in its metadata)."""
    parts = {}
    for name in _FRAMES:
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(getattr(scores, name), preserve_index=False), buffer)
        parts[name.encode()] = buffer.getvalue().hex().encode()
    carrier = pa.table({"kept": [True]}).replace_schema_metadata(
        {**parts, b"min_panel": str(scores.min_panel).encode()}
    )
    out = io.BytesIO()
    pq.write_table(carrier, out)
    return out.getvalue()


assert {f.name for f in fields(RoundScores)} == {*_FRAMES, "min_panel"}  # every part is kept
