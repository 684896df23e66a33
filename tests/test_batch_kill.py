"""A batch killed with SIGKILL mid-run and re-run loses no event, duplicates none, and ends as an
uninterrupted run does (fake-LLM and heuristic games; the re-run reads the LLM response cache)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from agents.models.fake_server import FakeOpenAI
from tests.test_batch_llm import TINY
from traitors import runner
from traitors.batch import run_batch
from traitors.config import load_scenario
from traitors.store import Store, events, games


def experiment(tmp_path: Path, base_url: str, games_per_condition: int) -> Path:
    path = tmp_path / "killme.yaml"
    (tmp_path / "tiny.yaml").write_text(TINY)
    fake = f"openai:fake?base_url={base_url}"
    spec = {
        "name": "killme",
        "scenarios": [str(tmp_path / "tiny.yaml")],
        "games": games_per_condition,
        "seed": 7,
        "models": [fake, "heuristic"],
        "populations": [{"name": "mixed", "agents": {fake: 3, "random": 2}}],
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def comparable(url: str) -> dict[str, list[dict]]:
    """Event logs without the fake server's prefix-cache counts (they depend on request order)."""
    with Store(url) as store:
        out = {}
        for row in store.games():
            log = []
            for e in store.load_events(row["game_id"]):
                payload = json.loads(e.model_dump_json())
                payload.pop("cached_tokens", None)
                log.append(payload)
            out[row["game_id"]] = log
        return out


def assert_intact(url: str) -> None:
    """Every game's events are seq 0..n-1 exactly once, matching its summary row."""
    with Store(url) as store, store.engine.connect() as conn:
        rows = conn.execute(
            select(events.c.game_id, func.count(), func.min(events.c.seq), func.max(events.c.seq)).group_by(
                events.c.game_id
            )
        ).all()
        summary = {r.game_id: r for r in conn.execute(select(games))}
    for game_id, n, lo, hi in rows:
        assert (lo, hi) == (0, n - 1), game_id
        assert summary[game_id].n_events == n and summary[game_id].status == "finished"


def statuses(url: str) -> Counter[str]:
    """Games by status, read without creating anything (empty while the batch sets up its database)."""
    if not Path(url.removeprefix("sqlite:///")).exists():
        return Counter()
    try:
        with Store(url, create=False) as store:
            return Counter(r["status"] for r in store.games())
    except OperationalError:
        return Counter()


def kill_mid_run(path: Path, url: str) -> dict[str, int]:
    """Run the batch in a new process group and SIGKILL it once some games are done and some running;
    returns the number of stored events of each unfinished game."""
    command = [sys.executable, "-c", "from traitors.cli import main; main()", "batch", str(path), "--db", url]
    proc = subprocess.Popen(
        [*command, "--workers", "2", "--concurrency", "4", "--no-progress"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        now = statuses(url)
        if now["finished"] >= 2 and now["running"]:
            break
    assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stderr.read()!r}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store(url) as store:
        return {r["game_id"]: r["n_events"] for r in store.games(status="running")}


@pytest.mark.slow
def test_sigkilled_batch_resumes_without_lost_or_duplicated_events(tmp_path: Path) -> None:
    with FakeOpenAI(latency=0.01) as server:
        path = experiment(tmp_path, server.base_url, 4)
        killed, reference = f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'ref.db'}"
        cut = kill_mid_run(path, killed)
        assert cut, "the kill should leave games unfinished"
        rerun = run_batch(path, db=killed, backend="process", workers=2, concurrency=4, progress=False)
        assert rerun.count("failed") == 0 and rerun.count("finished", "skipped") == 12
        assert rerun.count("skipped") >= 2 and {o.game_id for o in rerun.outcomes if o.resumed} == set(cut)
        uninterrupted = run_batch(path, db=reference, backend="local", concurrency=8, progress=False)
        assert uninterrupted.count("finished") == 12
    assert_intact(killed)
    assert comparable(killed) == comparable(reference)
    assert [(o.game_id, o.winner, o.days) for o in rerun.outcomes] == [
        (o.game_id, o.winner, o.days) for o in uninterrupted.outcomes
    ]


class Crash(Exception):
    """Raised by the observer after a phase is stored."""


class CrashAfter:
    def __init__(self, n: int) -> None:
        self.n = n

    def append(self, _events: object) -> None:
        self.n -= 1
        if self.n == 0:
            raise Crash


class Phases:
    """Counts the stored phases of a game."""

    def __init__(self) -> None:
        self.n = 0

    def append(self, _events: object) -> None:
        self.n += 1


def test_llm_game_resumes_exactly(tmp_path: Path) -> None:
    scenario = load_scenario("quick")
    with FakeOpenAI() as server:
        spec = f"openai:fake?base_url={server.base_url}"
        for seed in range(8, 40):  # a game of at least four phases, cut in the middle
            with Store(f"sqlite:///{tmp_path / f'a{seed}.db'}") as ref:
                phases = Phases()
                asyncio.run(
                    runner.play_game(
                        scenario, seed, agents=spec, store=ref, game_id="g", observer=phases, memory=False
                    )
                )
            if phases.n >= 4:
                break
        assert phases.n >= 4
        with (
            Store(f"sqlite:///{tmp_path / f'a{seed}.db'}") as ref,
            Store(f"sqlite:///{tmp_path / 'b.db'}") as cut,
        ):
            with pytest.raises(Crash):
                asyncio.run(
                    runner.play_game(
                        scenario,
                        seed,
                        agents=spec,
                        store=cut,
                        game_id="g",
                        observer=CrashAfter(phases.n // 2),
                        memory=False,
                    )
                )
            asyncio.run(runner.resume(cut, "g", memory=False))
            strip = [json.loads(e.model_dump_json()) for e in ref.load_events("g")]
            again = [json.loads(e.model_dump_json()) for e in cut.load_events("g")]
    for log in (strip, again):
        for payload in log:
            payload.pop("cached_tokens", None)
    assert again == strip


@pytest.mark.slow
def test_ctrl_c_stops_at_a_phase_boundary_and_the_rerun_finishes(tmp_path: Path) -> None:
    with FakeOpenAI(latency=0.02) as server:
        path = experiment(tmp_path, server.base_url, 4)
        url = f"sqlite:///{tmp_path / 'int.db'}"
        command = [
            sys.executable,
            "-c",
            "from traitors.cli import main; main()",
            "batch",
            str(path),
            "--db",
            url,
        ]
        proc = subprocess.Popen(
            [*command, "--backend", "local", "--concurrency", "4", "--no-progress"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if statuses(url)["running"]:
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err.decode()
        assert "interrupted" in err.decode() and "re-run" in err.decode()
        with Store(url) as store:
            stopped = store.games(status="running")
            assert len(store.games()) < 12 and all(r["n_events"] > 0 for r in stopped)
        rerun = run_batch(path, db=url, backend="local", concurrency=4, progress=False)
    assert rerun.count("failed") == 0 and rerun.count("finished", "skipped") == 12
    assert_intact(url)
