"""Cross-walks between frameworks through competency tags (e.g. OCF → PCREF)."""

from __future__ import annotations

import pandas as pd

from ocf.models import Framework

__all__ = [
    "CROSSWALK_COLUMNS",
    "crosswalk",
]


CROSSWALK_COLUMNS = ["tag", "tag_title", "domain", "competency", "competency_title", "kind"]


def crosswalk(framework: Framework, prefix: str = "") -> pd.DataFrame:
    """One row per (tag, competency) for tags starting with `prefix`, in tag then framework order."""
    rows = [
        {
            "tag": tag,
            "tag_title": framework.tags.get(tag, tag),
            "domain": domain.title,
            "competency": competency.id,
            "competency_title": competency.title,
            "kind": competency.kind,
        }
        for domain in framework.domains
        for competency in domain.competencies
        for tag in competency.tags
        if tag.startswith(prefix)
    ]
    frame = pd.DataFrame(rows, columns=CROSSWALK_COLUMNS)
    order = {tag: i for i, tag in enumerate(framework.tags)}
    return frame.sort_values(
        "tag", key=lambda s: s.map(lambda t: order.get(t, len(order))), kind="stable"
    ).reset_index(drop=True)
