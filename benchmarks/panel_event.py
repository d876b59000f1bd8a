"""A panel event: N members answer at once through the app itself, each a real Streamlit
session driven over its websocket protocol (the messages a browser sends and receives: page
loads, widget values, button presses), signing in with a code, taking every part of the panel
survey and sending it, against a server started for the run on a copy of the demo database.

`python -m benchmarks.panel_event [--think S] [--spread S] [--processes P] N [N …]` prints,
per N, the time of each interaction (p50, p95), errors, lost answers, and the server's CPU time
and memory per session. `--think`: each member pauses a random time averaging S seconds before
each interaction, as people read a question (0: everyone clicks at once, a stress test);
`--spread`: members arrive over S seconds; `--processes`: that many app processes on the one
database file, each connection sent where the proxy in docs/deployment.md sends it (a hash of
the cookies and the address: every member here shares one address, as a room does, and
spreads by the browser cookie the first page gave it, then by its session cookie; the proxy's
own time is not in the figures). No browser: a browser per member would need more of these two cores than the
server does.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from pathlib import Path

import httpx
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

from ocf.access import SYSTEM, issue_invitations
from ocf.demo import DEMO_SITE
from ocf.store import Store

PROJECT = Path(__file__).resolve().parent.parent
AGREE = "Agree"


class Member:
    """One browser tab's worth of Streamlit session, spoken to in protobuf."""

    def __init__(self, bases: list[str], timings: dict[str, list[float]], pause=None) -> None:
        self.bases, self.timings, self.pause = bases, timings, pause
        self.cookie = ""
        self.ws = None
        self.cache: dict[str, ForwardMsg] = {}

    @property
    def base(self) -> str:
        """The process a sticky proxy sends this member to: by the hash of their session
        cookie (none before sign-in) and address (the same for everyone here)."""
        return self.bases[zlib.crc32(self.cookie.encode()) % len(self.bases)]

    async def open(self) -> None:
        url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await connect(
            url, additional_headers=headers, subprotocols=["streamlit"], max_size=None,
            open_timeout=120, ping_interval=None,
        )  # fmt: skip

    async def run(self, what: str, widgets: list[WidgetState] = ()) -> tuple[list, str]:
        """One script run as a browser asks for it; the elements drawn and any redirect. Runs
        that end early for a rerun (st.rerun) are followed to the run that finishes."""
        if self.pause is not None:
            await self.pause()  # reading the page before acting on it
        message = BackMsg()
        state = message.rerun_script
        state.page_name = "panel_survey"
        state.widget_states.widgets.extend(widgets)
        start = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        elements, redirect = [], ""
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout=120)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.HasField("ref_hash"):
                msg = self.cache[msg.ref_hash]
            elif msg.hash:
                self.cache[msg.hash] = msg
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.HasField("new_element"):
                element = msg.delta.new_element
                elements.append(element)
                # The page asks the browser to load an address (app_pages/scripts.load_address).
                if (
                    element.WhichOneof("type") == "bidi_component"
                    and element.bidi_component.component_name == "ocf.load_address"
                ):
                    redirect = json.loads(element.bidi_component.json)["url"]
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    elements = []
                    continue
                break
        self.timings[what].append(time.perf_counter() - start)
        if any(e.WhichOneof("type") == "exception" for e in elements):
            raise RuntimeError(f"{what}: the page raised an exception")
        return elements, redirect

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def widget(elements: list, kind: str, label: str):
    for element in elements:
        if element.WhichOneof("type") == kind and getattr(element, kind).label.endswith(label):
            return getattr(element, kind)
    raise LookupError(f"no {kind} {label!r} on the page")


async def take_part(
    bases: list[str], code: str, timings: dict, survey, think: float = 0.0, arrive: float = 0.0
) -> None:
    rng = random.Random(code)
    await asyncio.sleep(arrive)
    member = Member(
        bases,
        timings,
        lambda: asyncio.sleep(rng.expovariate(1 / think)) if think else asyncio.sleep(0),
    )
    # A browser first loads the page, which gives it the app's browser cookie (sign-in tickets
    # are bound to it: docs/security.md, login CSRF); it sends that with every request after.
    async with httpx.AsyncClient(base_url=member.base, timeout=120) as http:
        await http.get("/")
        browser = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    if not browser:
        raise RuntimeError("no browser cookie")
    member.cookie = browser
    await member.open()
    try:
        page, _ = await member.run("open the code page")
        box = widget(page, "text_input", "Your invitation code")
        start = widget(page, "button", "Start")
        _, redirect = await member.run(
            "sign in with the code",
            [
                WidgetState(id=box.id, string_value=code),
                WidgetState(id=start.id, trigger_value=True),
            ],
        )
        if not redirect:
            raise RuntimeError("sign-in did not lead anywhere")
        began = time.perf_counter()
        async with httpx.AsyncClient(base_url=member.base, timeout=120) as http:
            reply = await http.get(redirect, headers={"Cookie": browser}, follow_redirects=False)
        timings["start the session (cookie)"].append(time.perf_counter() - began)
        session = [c.split(";", 1)[0] for c in reply.headers.get_list("set-cookie")]
        if not session:
            raise RuntimeError("no session cookie")
        await member.close()
        member.cookie = "; ".join([browser, *session])
        await member.open()
        page, _ = await member.run("open the survey")
        for number, section in enumerate(survey.sections):
            answers = []
            for item in section.items:
                if item.required:
                    radio = widget(page, "radio", item.text)
                    answers.append(WidgetState(id=radio.id, string_value=AGREE))
            last = number == len(survey.sections) - 1
            button = widget(page, "button", "Send my answers" if last else "Save and continue")
            answers.append(WidgetState(id=button.id, trigger_value=True))
            page, _ = await member.run("send the answers" if last else "save a part", answers)
    finally:
        await member.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_figures(pids: list[int]) -> tuple[float, float]:
    """The server processes' CPU seconds and resident memory (MB) now, added up."""
    cpu, rss = 0.0, 0.0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/status") as handle:
            rss += next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024
    return cpu, rss


async def event(
    bases: list[str],
    codes: list[str],
    survey,
    pids: list[int],
    think: float = 0.0,
    spread: float = 0.0,
) -> dict:
    timings: dict[str, list[float]] = defaultdict(list)
    cpu_before, rss_before = server_figures(pids)
    peak = [rss_before]

    async def watch() -> None:
        while True:
            peak[0] = max(peak[0], server_figures(pids)[1])
            await asyncio.sleep(0.25)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    arrivals = random.Random(len(codes)).sample(range(len(codes)), len(codes))
    outcomes = await asyncio.gather(
        *(
            take_part(bases, code, timings, survey, think, spread * arrivals[i] / len(codes))
            for i, code in enumerate(codes)
        ),
        return_exceptions=True,
    )
    wall = time.perf_counter() - started
    watcher.cancel()
    cpu_after, _ = server_figures(pids)
    errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    return {
        "members": len(codes),
        "processes": len(pids),
        "think_seconds": think,
        "spread_seconds": spread,
        "wall_seconds": wall,
        "errors": errors,
        "timings": {
            what: (statistics.median(ts), quantile(ts, 0.95), len(ts))
            for what, ts in timings.items()
        },
        "server_cpu_seconds": cpu_after - cpu_before,
        "server_memory_mb_per_session": (peak[0] - rss_before) / len(codes),
        "server_peak_mb": peak[0],
    }


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_server(db: Path) -> tuple[subprocess.Popen, str]:
    """The app (`streamlit_app.py`) on a free port of this machine, on database `db`, once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=PROJECT, env={**os.environ, "OCF_DB": str(db)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/_stcore/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    return server, base


def measure(
    counts: list[int], think: float = 0.0, spread: float = 0.0, processes: int = 1
) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo.db"
        subprocess.run(
            [sys.executable, "-m", "ocf.cli", "demo", "--force", "--db", str(demo)],
            check=True, cwd=PROJECT, capture_output=True,
        )  # fmt: skip
        store = Store.open(demo)
        round_id = [r.id for r in store.rounds.list_rounds() if r.status == "open"][-1]
        survey = store.rounds.round_surveys(round_id)["ocf-panel"]
        for n in counts:
            db = Path(folder) / f"event-{n}.db"
            shutil.copy(demo, db)
            store = Store.open(db)
            codes = issue_invitations(store, SYSTEM, DEMO_SITE, round_id, n)
            earlier = set(store.submissions.list_submissions(round_id)["id"])
            store.close()
            servers = []
            try:
                for _ in range(processes):
                    servers.append(start_server(db))
                bases, pids = [b for _, b in servers], [s.pid for s, _ in servers]
                result = asyncio.run(event(bases, codes, survey, pids, think, spread))
            finally:
                for server, _ in servers:
                    server.terminate()
                    server.wait(timeout=30)
            store = Store.open(db)
            rows = store.submissions.list_submissions(round_id)
            mine = rows[~rows["id"].isin(earlier) & rows["respondent"].str.startswith("panel-")]
            sent = mine[mine["status"] == "submitted"]
            required = [i.id for i in survey.items if i.required]
            # Lost: a required answer of a member that is not stored as chosen, or a member
            # whose survey never arrived.
            lost = (n - len(sent)) * len(required)
            for submission in sent["id"]:
                answers = store.submissions.submission_answers(int(submission))
                lost += sum(answers.get(i) is None or answers[i].value != "4" for i in required)
            result["submitted"], result["lost_answers"] = len(sent), lost
            results.append(result)
            print(result, flush=True)
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("members", type=int, nargs="*", default=[5])
    parser.add_argument("--think", type=float, default=0.0)
    parser.add_argument("--spread", type=float, default=0.0)
    parser.add_argument("--processes", type=int, default=1)
    arguments = parser.parse_args()
    measure(arguments.members, arguments.think, arguments.spread, arguments.processes)
