"""Reproducible by seed and paired by construction (docs/reproducibility.md): the same seed gives the same
game from the CLI, the API and batches whatever the game id; a seat's draws do not depend on the other
seats; logs of the first seeding scheme still replay exactly."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from agents.heuristic import HeuristicAgent
from agents.models.fake_server import FakeOpenAI
from agents.random_agent import RandomAgent
from tests.llm_support import SPEC
from traitors.batch.driver import prepare, run_batch
from traitors.config import load_scenario
from traitors.engine import Game
from traitors.events import SEEDING, Event, GameCreated, Statement, VoteCast, event_from_json
from traitors.runner import play_game, run_game
from traitors.state import replay
from traitors.store import Store

ROOT = Path(__file__).resolve().parent.parent


def without_id(events: list[Event]) -> list[str]:
    """Canonical JSON of every event with the game id blanked (ids differ; nothing else may)."""
    return [e.model_copy(update={"game_id": ""}).model_dump_json() for e in events]


def test_cli_same_seed_same_game_across_processes_and_hash_seeds(tmp_path) -> None:
    logs, ids = [], []
    for i, hash_seed in enumerate(("0", "4242")):
        db = f"sqlite:///{tmp_path / f'run{i}.db'}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-c", "from traitors.cli import main; main()"]
        args = ["run", "--scenario", "paper", "--seed", "11", "--db", db, "-q"]
        done = subprocess.run(
            [*command, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        with Store(db) as store:
            (row,) = store.games()
            ids.append(row["game_id"])
            logs.append(without_id(store.load_events(row["game_id"])))
    assert ids[0] != ids[1] and ids[0].startswith("paper-s11-")  # unique, readable ids
    assert logs[0] == logs[1] and len(logs[0]) > 50


def test_api_and_batch_give_the_cli_game(tmp_path) -> None:
    first = run_game("paper", seed=11, db=f"sqlite:///{tmp_path / 'a.db'}")
    second = run_game("paper", seed=11, db=f"sqlite:///{tmp_path / 'b.db'}", game_id="any-other-id")
    assert first.game_id != second.game_id
    assert without_id(list(first.events)) == without_id(list(second.events))
    created = first.events[0]
    assert isinstance(created, GameCreated) and created.seeding == SEEDING == 2
    spec = tmp_path / "exp.yaml"
    spec.write_text("name: same\nscenarios: [paper]\ngames: 2\nseed: 11\nmodels: [heuristic, random]\n")
    db = f"sqlite:///{tmp_path / 'batch.db'}"
    result = run_batch(spec, db=db, backend="local", progress=False)
    assert result.count("finished") == 4
    _, tasks = prepare(spec)
    with Store(db) as store:
        for task in tasks:
            api = run_game(
                task.scenario, seed=task.seed, agents=list(task.agents), db=f"sqlite:///{tmp_path / 'api.db'}"
            )
            assert without_id(store.load_events(task.game_id)) == without_id(list(api.events)), task.game_id


def _day_one(store: Store, game_id: str, seats: set[str]) -> list[tuple]:
    """The day-1 public statements and first-ballot votes of ``seats`` (a revote's options are the tied
    players, which the other seats' votes decide)."""
    out = []
    for e in store.load_events(game_id):
        if e.day == 1 and isinstance(e, Statement) and e.channel == "public" and e.speaker in seats:
            out.append(("say", e.speaker, e.turn, e.text, e.accuses))
        elif (
            e.day == 1
            and isinstance(e, VoteCast)
            and e.kind == "banish"
            and e.ballot == 1
            and e.voter in seats
        ):
            out.append(("vote", e.voter, e.target))
    return out


def test_common_random_numbers_across_populations(tmp_path, monkeypatch) -> None:
    """One LLM seat (its model calls are hidden events) and five random seats draw exactly what six random
    seats draw: the random seats' day-1 statements and votes are identical."""
    scenario = load_scenario("quick")
    names = scenario.player_names()
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
        for seed in (3, 4, 5):
            store = Store(f"sqlite:///{tmp_path / f'crn{seed}.db'}")
            mixed = asyncio.run(
                play_game(scenario, seed, agents=[SPEC, *["random"] * 5], store=store, memory=False)
            )
            plain = asyncio.run(play_game(scenario, seed, agents="random", store=store, memory=False))
            assert any(e.type == "model_call" for e in mixed.events)
            others = set(names[1:])
            a, b = _day_one(store, mixed.game_id, others), _day_one(store, plain.game_id, others)
            assert a == b and len(a) >= 2 * len(others)
            store.close()


def _scheme1_batches() -> list[list[str]]:
    """A classic game (heuristic and random seats) stored by the engine before seeding scheme 2, one
    list of canonical JSON events per stored phase."""
    with gzip.open(ROOT / "tests/data/scheme1_classic_s5.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def test_scheme1_logs_replay_exactly() -> None:
    batches = _scheme1_batches()
    old = [event_from_json(t) for b in batches for t in b]
    created = old[0]
    assert isinstance(created, GameCreated) and created.seeding == 1  # the field did not exist then
    for cut in (1, 2, 7, len(batches) // 2, len(batches) - 1):
        state = replay(old[: sum(len(b) for b in batches[:cut])])
        agents = {
            p.name: HeuristicAgent() if p.agent == "heuristic" else RandomAgent() for p in state.players
        }
        final = asyncio.run(Game(state, agents).run())
        assert list(final.events) == old, f"resumed after {cut} phases"
