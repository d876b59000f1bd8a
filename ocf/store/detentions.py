"""Detention data by ethnic group, in long format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ocf.store.connection import Repository

_ROWS_PER_CHUNK = 10_000  # a big file is written in chunks (a few MB of rows), in one transaction


class Detentions(Repository):
    """Detention observations, upserted by their key."""

    DETENTION_KEY = ("period", "geography", "measure", "ethnic_group", "age_band", "sex")

    def upsert_detentions(
        self,
        records: Iterable[dict[str, Any]],
        actor: str,
        source: str,
        totals: Iterable[dict[str, Any]] = (),
    ) -> tuple[int, int]:
        """Insert detention rows, replacing any with the same key; returns (added, replaced).
        `records` may be a generator: it is written in chunks, in one transaction, with each
        area's `totals` (all its detentions, ethnicity known or not) in the same one."""
        iterator = iter(records)
        first = next(iterator, None)
        if first is None:
            return 0, 0
        columns = list(first)
        key = ", ".join(self.DETENTION_KEY)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in self.DETENTION_KEY)
        sql = (
            f"INSERT INTO detentions ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        rows = 0
        with self.write():
            before = self.db.execute("SELECT COUNT(*) FROM detentions").fetchone()[0]
            chunk = [[first[c] for c in columns]]
            for record in iterator:
                chunk.append([record[c] for c in columns])
                if len(chunk) == _ROWS_PER_CHUNK:
                    self.db.conn.executemany(sql, chunk)
                    rows, chunk = rows + len(chunk), []
            self.db.conn.executemany(sql, chunk)
            rows += len(chunk)
            added = self.db.execute("SELECT COUNT(*) FROM detentions").fetchone()[0] - before
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO detention_totals "
                "(period, geography, measure, recorded, acute, total, source) "
                "VALUES (:period, :geography, :measure, :recorded, :acute, :total, :source)",
                list(totals),
            )
            self._audit(actor, "import", "detentions", source, None, {"rows": rows, "added": added})
        return added, rows - added

    def existing_detention_keys(self, periods: Iterable[str]) -> set[tuple]:
        """The keys already stored for these periods (to preview what an import would replace)."""
        periods = list(periods)
        if not periods:
            return set()
        marks = ", ".join("?" * len(periods))
        query = f"SELECT {', '.join(self.DETENTION_KEY)} FROM detentions WHERE period IN ({marks})"
        return {tuple(row) for row in self.db.execute(query, periods).fetchall()}

    def denominator_kinds(self, periods: Iterable[str]) -> dict[tuple[str, str], str]:
        """(period, measure) → the kind of denominator its rows held for these periods have."""
        periods = list(periods)
        if not periods:
            return {}
        marks = ", ".join("?" * len(periods))
        rows = self.db.execute(
            f"SELECT DISTINCT period, measure, denominator_kind FROM detentions "
            f"WHERE period IN ({marks})",
            periods,
        ).fetchall()
        return {(period, measure): kind for period, measure, kind in rows}

    def detention_total(self, period: str, geography: str, measure: str) -> dict | None:
        """An area's count of all its detentions (recorded, acute, total), or None."""
        row = self.db.execute(
            "SELECT recorded, acute, total FROM detention_totals "
            "WHERE period = ? AND geography = ? AND measure = ?",
            [period, geography, measure],
        ).fetchone()
        return None if row is None else {"recorded": row[0], "acute": row[1], "total": row[2]}

    def detentions_frame(
        self, period: str | None = None, measure: str | None = None
    ) -> pd.DataFrame:
        query = """SELECT period, geography, geography_name, geography_kind, measure, ethnic_group,
                          age_band, sex, count, suppressed, population, population_derived, source,
                          std_rate, std_lower, std_upper, denominator_kind
                   FROM detentions WHERE (? IS NULL OR period = ?) AND (? IS NULL OR measure = ?)"""
        return pd.read_sql_query(query, self.db.conn, params=[period, period, measure, measure])

    def detention_choices(self) -> pd.DataFrame:
        """The periods and measures that have data: row counts, whether any row has a population
        (a rate can be worked out), and whether England and ICBs are among the areas."""
        query = """
            SELECT period, measure, COUNT(*) AS rows,
                   MAX(population IS NOT NULL) AS rated,
                   MAX(geography_kind = 'national') AS has_england,
                   MAX(geography_kind = 'icb') AS has_icb
            FROM detentions GROUP BY period, measure ORDER BY period, measure"""
        return pd.read_sql_query(query, self.db.conn)
