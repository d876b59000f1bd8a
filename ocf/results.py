"""Scores for a stored round: the glue between the store and the pure scoring engine."""

from __future__ import annotations

import pandas as pd

from ocf.errors import OcfError
from ocf.scoring import RoundScores, score_round, score_table
from ocf.store import Store


def round_scores(store: Store, round_id: str) -> RoundScores:
    """Score every site of a round from its submitted answers and its framework snapshot."""
    if store.get_round(round_id) is None:
        raise OcfError(f"unknown round {round_id!r}; `ocf round list` shows the rounds")
    return score_round(
        store.answers_frame(round_id),
        store.round_framework(round_id),
        store.round_surveys(round_id),
    )


def scores_table(store: Store, round_id: str, site: str | None = None) -> pd.DataFrame:
    """The `ocf score` table for a round, optionally one site."""
    if site is not None and store.get_site(site) is None:
        raise OcfError(f"unknown site {site!r}")
    return score_table(round_scores(store, round_id), round_id, site)
