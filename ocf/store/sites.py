"""Sites: trusts, ICBs and places."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from ocf.errors import NotFound
from ocf.models import Site
from ocf.store.connection import Repository, _record, now


class Sites(Repository):
    """Sites: added, edited, retired, never deleted."""

    def add_sites(self, sites: Iterable[Site], actor: str) -> int:
        """Insert sites (already validated) in one transaction; audited one by one."""
        added = 0
        with self.write():
            for site in sites:
                record = {**asdict(site), "created_at": now()}
                self.db.table("sites").insert(record)
                self._audit(actor, "add", "site", site.code, None, asdict(site))
                added += 1
        return added

    def set_site_text(self, key: str, text: str | None, actor: str, site: str, what: str) -> None:
        """A site's own wording (a meta key; None goes back to the default), audited."""
        with self.write():
            before = self.store.get_meta(key)
            if text is None:
                self.db.execute("DELETE FROM meta WHERE key = ?", [key])
            else:
                self.db.table("meta").upsert({"key": key, "value": text}, pk="key")
            self._audit(actor, "edit", what, site, before, text)

    def get_site(self, code: str) -> Site | None:
        rows = list(self.db.table("sites").rows_where("code = ?", [code]))
        return _record(Site, rows[0]) if rows else None

    def list_sites(self, include_retired: bool = False) -> list[Site]:
        where = None if include_retired else "retired_at IS NULL"
        return [
            _record(Site, row) for row in self.db.table("sites").rows_where(where, order_by="code")
        ]

    def update_site(self, site: Site, actor: str) -> None:
        with self.write():
            before = self.get_site(site.code)
            if before is None:
                raise NotFound(f"site {site.code} does not exist")
            self.db.table("sites").update(
                site.code,
                {
                    "name": site.name,
                    "kind": site.kind,
                    "parent": site.parent,
                    "cohort": site.cohort,
                },
            )
            self._audit(actor, "edit", "site", site.code, asdict(before), asdict(site))

    def retire_site(self, code: str, actor: str) -> None:
        with self.write():
            self.db.table("sites").update(code, {"retired_at": now()})
            self._audit(actor, "retire", "site", code, None, None)

    def require_site(self, code: str) -> Site:
        """The site, or NotFound with the one wording every command and page uses."""
        site = self.get_site(code)
        if site is None:
            raise NotFound(f"unknown site {code!r}", kind="site")
        return site
