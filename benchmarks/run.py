"""Run the benchmarks and write BENCHMARKS.md (`make bench`; `--tiny` for the smoke test).

Every speed is reported as a ratio against a baseline measured in the same run on the same
machine, because these machines are noisy: absolute seconds mean little, ratios travel.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.dataset import NATIONAL, TINY, Scale, build, site_codes
from ocf.access import SYSTEM, issue_invitations, sign_in
from ocf.detention_import import import_detentions
from ocf.rounds import change_status, open_round, resolve_content
from ocf.scoring import score_lookup, score_round
from ocf.store import Store
from ocf.submissions import open_panel_survey, save, submit
from tests.scoring_reference import reference_scores

PROJECT = Path(__file__).resolve().parent.parent
NHS_FILE = PROJECT.parent / "shared" / "data" / "mha_annual_statistics_2023_24.csv"
REFERENCE = PROJECT / "data" / "reference" / "nhs-mha-annual-2023-24-ethnicity.csv"


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def read_rounds(store: Store) -> list[tuple]:
    """Every round's answers as the scoring engine reads them, with its framework and surveys."""
    return [
        (store.answers_frame(r.id), store.round_framework(r.id), store.round_surveys(r.id))
        for r in store.list_rounds()
    ]


def score_all(store: Store) -> int:
    """The platform's path end to end: read each round's answers and score it (no cache)."""
    return score_frames(read_rounds(store))


def score_frames(rounds: list[tuple]) -> int:
    for answers, framework, surveys in rounds:
        score_round(answers, framework, surveys)
    return sum(len(a) for a, _, _ in rounds)


def bincount_frames(rounds: list[tuple]) -> int:
    """The practical lower bound: map the same answers to scores and aggregate in one bincount."""
    for answers, framework, surveys in rounds:
        scored = answers.merge(score_lookup(framework, surveys), on=["survey", "item_id", "value"])
        keys = pd.factorize(scored["site"] + "|" + scored["competency"])[0]
        sums = np.bincount(keys, weights=scored["score"].to_numpy())
        _ = sums / np.maximum(np.bincount(keys), 1)
    return sum(len(a) for a, _, _ in rounds)


def loop_frames(rounds: list[tuple]) -> int:
    answers, framework, surveys = rounds[0]
    reference_scores(answers.to_dict("records"), framework, surveys)
    return len(answers)


def bench_scoring(large: Path, small: Path) -> dict:
    big, little = Store.open(large), Store.open(small)
    t_read, rounds = timed(read_rounds, big)
    t_read_small, rounds_small = timed(read_rounds, little)
    t_vec, n = timed(score_frames, rounds)
    t_low, _ = timed(bincount_frames, rounds)
    t_loop, n_loop = timed(loop_frames, rounds)
    t_vec_small, n_small = timed(score_frames, rounds_small)
    t_low_small, _ = timed(bincount_frames, rounds_small)
    # The bound includes reading, as the issue defines it; so does the platform's path.
    per_answer = {"vectorised": t_vec / n, "loop": t_loop / n_loop, "bincount": t_low / n}
    marginal_vec = ((t_read + t_vec) - (t_read_small + t_vec_small)) / max(n - n_small, 1)
    marginal_low = ((t_read + t_low) - (t_read_small + t_low_small)) / max(n - n_small, 1)
    return {
        "answers": n,
        "seconds": t_read + t_vec,
        "read_seconds": t_read,
        "score_seconds": t_vec,
        "answers_per_second": n / (t_read + t_vec),
        "speedup_over_loop": per_answer["loop"] / per_answer["vectorised"],
        "ratio_to_bincount": (t_read + t_vec) / (t_read + t_low),
        "marginal_ratio_to_bincount": marginal_vec / marginal_low
        if marginal_low > 0
        else float("nan"),
    }


def bench_pages(path: Path, reruns: int) -> dict:
    from streamlit.testing.v1 import AppTest

    from ocf.access import Actor
    from ocf.demo import demo_actor  # noqa: F401 - the admin actor below is built directly

    os.environ["OCF_DB"] = str(path)
    admin = Actor("account", "admin", name="bench")
    times = {}
    for page in ("compare", "results", "disparity"):
        at = AppTest.from_file(str(PROJECT / "streamlit_app.py"), default_timeout=300)
        at.session_state["actor"] = admin
        at.run()
        at.switch_page(f"app_pages/{page}.py").run()  # warms the caches
        assert not at.exception, at.exception
        samples = []
        for _ in range(reruns):
            seconds, _ = timed(at.run)
            samples.append(seconds)
        times[page] = statistics.median(samples)
    return times


def bench_imports(folder: Path, path: Path, scale: Scale) -> dict:
    store = Store.open(path)
    template = folder / "template.csv"
    periods = max(1, round(1_000_000 / (scale.sites * 4 * 6 * 12))) if scale is NATIONAL else 1
    rows = 0
    with template.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["site", "period", "measure", "ethnic_group", "age_band", "sex", "count", "population"]
        )
        for code in site_codes(scale):
            for period in range(periods):
                for measure in ("Detentions A", "Detentions B", "Detentions C", "Detentions D"):
                    for group in ("A", "B", "M", "N", "H", "S"):
                        for band in range(12):
                            writer.writerow(
                                [code, f"T{period}", measure, group, f"band{band}", "", 7, 10_000]
                            )
                            rows += 1
    t_template, _ = timed(import_detentions, template, store, "bench", "template")
    source = NHS_FILE if NHS_FILE.exists() else REFERENCE
    nhs_rows = sum(1 for _ in source.open()) - 1
    t_nhs, _ = timed(import_detentions, source, store, "bench", "nhs-mha-annual")
    return {
        "template_rows": rows,
        "template_rows_per_second": rows / t_template,
        "nhs_rows": nhs_rows,
        "nhs_rows_per_second": nhs_rows / t_nhs,
    }


def bench_concurrency(folder: Path, members: int) -> dict:
    path = folder / "concurrency.db"
    store = Store.open(path)
    from ocf.models import Site

    store.add_sites([Site("C001", "Concurrency Trust")], "bench")
    open_round(store, "C1", resolve_content("ocf-race-equality"), "bench")
    codes = issue_invitations(store, SYSTEM, "C001", "C1", members)

    def member(index: int) -> tuple[float, float]:
        own = Store.open(path)
        start = time.perf_counter()
        actor = sign_in(own, codes[index], client=f"c{index}")
        signed_in = time.perf_counter()
        draft = open_panel_survey(own, actor)
        draft = save(
            own,
            actor,
            draft,
            {
                "understood-culture": ("4", None),
                "help-early": ("2", None),
                "easy-feedback": ("5", None),
            },
        )
        submit(own, actor, draft)
        own.close()
        return signed_in - start, time.perf_counter() - signed_in

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=members) as pool:
        timings = list(pool.map(member, range(members)))
    elapsed = time.perf_counter() - start
    sign_ins = sorted(t for t, _ in timings)
    latencies = sorted(t for _, t in timings)
    submitted = store.list_submissions("C1")
    answers = len(store.answers_frame("C1"))
    change_status(store, "C1", "close", "bench")
    return {
        "members": members,
        "submissions_per_second": members / elapsed,
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "sign_in_p50": sign_ins[len(sign_ins) // 2],
        "sign_in_p95": sign_ins[int(len(sign_ins) * 0.95) - 1],
        "lost_answers": members * 3 - answers,
        "submitted": int((submitted["status"] == "submitted").sum()),
    }


def bench_memory(path: Path) -> float:
    """Peak resident memory (MiB) of a fresh process that scores every round."""
    code = (
        "import resource, sys; from ocf.store import Store; from benchmarks.run import score_all; "
        f"score_all(Store.open({str(path)!r})); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=True
    )
    return int(output.stdout.strip().splitlines()[-1]) / 1024


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, {platform.platform()}"


def report(results: dict, scale: Scale, small: Scale, counts: dict) -> str:
    s, p, i, c = results["scoring"], results["pages"], results["imports"], results["concurrency"]
    rows = [
        (
            "Scoring: faster than a per-answer Python loop",
            f"{s['speedup_over_loop']:.0f}×",
            "≥ 50×",
            s["speedup_over_loop"] >= 50,
        ),
        (
            "Scoring: per answer, against read + numpy bincount",
            f"{s['ratio_to_bincount']:.2f}×",
            "≤ 5× (never > 10×)",
            s["ratio_to_bincount"] <= 5,
        ),
        (
            "Scoring: marginal cost per answer, against bincount",
            f"{s['marginal_ratio_to_bincount']:.2f}×",
            "≤ 5×",
            s["marginal_ratio_to_bincount"] <= 5,
        ),
        *[
            (
                f"Page rerun, warm: {page}",
                f"{seconds * 1000:.0f} ms",
                "median ≤ 300 ms",
                seconds <= 0.3,
            )
            for page, seconds in p.items()
        ],
        ("Concurrent submissions lost", str(c["lost_answers"]), "0", c["lost_answers"] == 0),
    ]
    table = "\n".join(
        f"| {name} | {value} | {target} | {'met' if ok else 'NOT met'} |"
        for name, value, target, ok in rows
    )
    return f"""# Benchmarks

Run with `make bench` ({datetime.now().strftime("%Y-%m-%d %H:%M")}, {machine()}). Speeds are ratios
against baselines measured in the same run; the absolute figures are for orientation only.

Dataset (`benchmarks/dataset.py`, seeded): {counts["sites"]} sites, {counts["rounds"]} rounds, one
self-assessment and {scale.panel} panel members per site and round on the shipped OCF surveys —
**{counts["answers"]:,} answers** (the shipped surveys have about 620 answers per site and round, so
this is fewer than the 5 million the issue estimated) — and {counts["detention_rows"]:,} detention
rows ({scale.sites} geographies × {scale.years} years × 4 measures × 6 groups × 12 age-sex bands).

| measure | result | target | |
|---|---|---|---|
{table}

## Details

- Scoring all rounds, no cache: {s["seconds"]:.1f} s ({s["read_seconds"]:.1f} s reading answers from
  SQLite, {s["score_seconds"]:.1f} s scoring), {s["answers_per_second"]:,.0f} answers per second end to end.
  Speed-up: scoring against the plain per-answer reference (`tests/scoring_reference.py`, one
  round), both on answers already read. Bound: the platform's read plus score against reading
  the same answers plus one numpy `bincount` pass. The marginal ratio compares the cost of the
  extra answers between a {small.sites}-site and the full dataset, so start-up time does not hide it.
- Imports: template CSV {i["template_rows"]:,} rows at {i["template_rows_per_second"]:,.0f} rows/s;
  NHS England file {i["nhs_rows"]:,} rows at {i["nhs_rows_per_second"]:,.0f} rows/s.
- Concurrency: {c["members"]} panel members signing in, saving and submitting at once (a thread and
  a connection each, one database file): {c["submissions_per_second"]:.1f} members/s. Save and submit
  latency p50 {c["p50"] * 1000:.0f} ms, p95 {c["p95"] * 1000:.0f} ms; sign-in (scrypt, deliberately slow against
  guessing) p50 {c["sign_in_p50"] * 1000:.0f} ms, p95 {c["sign_in_p95"] * 1000:.0f} ms. {c["submitted"]} submitted,
  {c["lost_answers"]} answers lost.
- Memory: peak RSS {results["memory"]:.0f} MiB for a process that scores every round.
- Page reruns: AppTest reruns of the compare, results and disparity pages as an admin on the
  national dataset, after a first run has warmed the caches (median of {results["reruns"]}). Scores are
  cached per round until the data change (the key includes the audit log's newest id).

## What the first run showed, and what was changed

Measured on this machine with the same dataset (`make bench`, before → after):

| what | before | after | change |
|---|---|---|---|
| Compare page, warm rerun | 4,035 ms | see above | scores and each panel's member views cached per round until the data change; the crosswalk computed column-wise; export files made only when a download button is pressed |
| Disparity page, warm rerun | 4,231 ms | see above | the disparity table and group totals computed column-wise (Poisson limits and rate ratios as array functions under the scalar API); detention rows and choices cached; the trend computed for one geography, not all |
| Results page, warm rerun | 439 ms | see above | the board report (two SVG renders) made only when its button is pressed; the action plan looks up one submission instead of listing the round's |
| Scoring one national round | 2.12 s | 0.24 s | Krippendorff's alpha: each site's members × items matrix built with numpy from one grouping, instead of filtering the whole round and a pandas pivot per site (cProfile: 89% of the time) |

Not met: scoring is only a few times faster than the per-answer reference loop, not 50×. The
reference is itself a tight loop of dictionary look-ups (about 4 µs per answer), and the
vectorised engine's remaining cost is pandas' per-operation overhead on a round of ~156,000
answers (about twenty merges and group-bys); end to end it is within 4× of the read-plus-bincount
bound, which is what a user waits for. Reaching 50× would need a numpy-only engine
(integer-coded items and `bincount` for every statistic, medians and order-statistic intervals
included): a rewrite for a later issue, with the reference implementation and the golden files
as its check.

"""


TINY_FOR_MARGINAL = Scale(sites=25, rounds=NATIONAL.rounds, panel=NATIONAL.panel, years=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tiny", action="store_true", help="A few sites: checks that the code runs."
    )
    parser.add_argument("--out", default=str(PROJECT / "BENCHMARKS.md"))
    args = parser.parse_args()
    scale = TINY if args.tiny else NATIONAL
    small_scale = (
        Scale(sites=2, rounds=TINY.rounds, panel=TINY.panel, years=1)
        if args.tiny
        else TINY_FOR_MARGINAL
    )
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        large, small = folder / "national.db", folder / "small.db"
        print(f"building {scale} …", flush=True)
        counts = build(large, scale)
        build(small, small_scale)
        results = {"reruns": 3 if args.tiny else 7}
        print("scoring …", flush=True)
        results["scoring"] = bench_scoring(large, small)
        print("memory …", flush=True)
        results["memory"] = bench_memory(large)
        print("pages …", flush=True)
        results["pages"] = bench_pages(large, results["reruns"])
        print("imports …", flush=True)
        results["imports"] = bench_imports(folder, large, scale)
        print("concurrency …", flush=True)
        results["concurrency"] = bench_concurrency(folder, 20 if args.tiny else 200)
    text = report(results, scale, small_scale, counts)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
