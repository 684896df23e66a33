"""A batch killed with SIGKILL mid-run and re-run loses no event, duplicates none, and ends as an
uninterrupted run does (LLM agents against the fake OpenAI server; the re-run reads the response cache)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from agents.models.fake_server import FakeOpenAI
from traitors.batch import run_batch
from traitors.store import Store, events, games


def experiment(tmp_path: Path, base_url: str, games_per_condition: int) -> Path:
    path = tmp_path / "killme.yaml"
    spec = {
        "name": "killme",
        "scenarios": ["quick"],
        "games": games_per_condition,
        "seed": 7,
        "memory": False,  # LLM agents with memory do not resume exactly yet (reported to memory/)
        "models": [f"openai:fake?base_url={base_url}"],
        "populations": [{"name": "mixed", "agents": {f"openai:fake?base_url={base_url}": 3, "heuristic": 3}}],
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


@pytest.mark.slow
def test_sigkilled_batch_resumes_without_lost_or_duplicated_events(tmp_path: Path) -> None:
    with FakeOpenAI(latency=0.01) as server:
        path = experiment(tmp_path, server.base_url, 3)
        killed, reference = f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'ref.db'}"
        command = [
            sys.executable,
            "-c",
            "from traitors.cli import main; main()",
            "batch",
            str(path),
            "--db",
            killed,
        ]
        proc = subprocess.Popen(
            [*command, "--workers", "2", "--concurrency", "4", "--no-progress"],
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 90
        finished = 0
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if Path(killed.removeprefix("sqlite:///")).exists():
                with Store(killed) as store:
                    finished = len(store.games(status="finished"))
                    running = len(store.games(status="running"))
                if finished >= 2 and running >= 1:
                    break
        assert proc.poll() is None, f"the batch ended before it could be killed: {proc.stderr.read()!r}"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        with Store(killed) as store:
            assert store.games(status="running"), "the kill should leave games unfinished"
            assert len(store.games(status="finished")) < 6

        calls_before = len(server.requests)
        rerun = run_batch(path, db=killed, backend="process", workers=2, concurrency=4, progress=False)
        assert rerun.count("failed") == 0 and rerun.count("finished", "skipped") == 6
        assert rerun.count("skipped") >= 2 and any(o.resumed for o in rerun.outcomes)
        assert len(server.requests) > calls_before

        uninterrupted = run_batch(path, db=reference, backend="local", concurrency=8, progress=False)
        assert uninterrupted.count("finished") == 6
    assert_intact(killed)
    assert [(o.game_id, o.winner, o.days) for o in rerun.outcomes] == [
        (o.game_id, o.winner, o.days) for o in uninterrupted.outcomes
    ]
    assert comparable(killed) == comparable(reference)
