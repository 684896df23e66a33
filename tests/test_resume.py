"""An interrupted game resumes from its stored events and ends exactly as an uninterrupted run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import Sequence

import pytest

from agents.random_agent import RandomAgent
from tests.test_store import play
from traitors.config import Scenario
from traitors.engine import Game
from traitors.events import Event, event_to_json
from traitors.state import replay
from traitors.store import Store

CLASSIC = Scenario(
    name="classic",
    players=22,
    traitors=3,
    recruitment={"enabled": True},
    missions={"enabled": True},
    endgame={"enabled": True, "at_players": 5},
    night={"murder_rule": "unanimity"},
)


class Crash(Exception):
    """The simulated failure."""


class CrashAfter:
    """Stores batches, then fails after ``n`` of them (like a process dying between phases)."""

    def __init__(self, store: Store, n: int) -> None:
        self.store, self.n = store, n

    def append(self, events: Sequence[Event]) -> None:
        self.store.append(events)
        self.n -= 1
        if self.n == 0:
            raise Crash


def log(events: Sequence[Event]) -> list[str]:
    return [event_to_json(e) for e in events]


@pytest.mark.parametrize(
    "scenario", [Scenario(name="paper", players=10, traitors=3), CLASSIC], ids=["paper", "classic"]
)
@pytest.mark.parametrize("crash_after", [1, 2, 4, 6])
def test_resume_after_crash_matches_uninterrupted(tmp_path, scenario: Scenario, crash_after: int) -> None:
    reference = play(None, seed=15, game_id="r", scenario=scenario)  # 4 days of paper: 6 phases and more
    with Store(f"sqlite:///{tmp_path / 'crash.db'}") as store:
        with pytest.raises(Crash):
            play(CrashAfter(store, crash_after), seed=15, game_id="r", scenario=scenario)
        stored = store.load_events("r")
        assert 0 < len(stored) < reference.seq
        assert store.game("r")["status"] == "running"
        state = replay(stored)
        resumed = asyncio.run(Game(state, {n: RandomAgent() for n in state.names}, store).run())
        assert log(store.load_events("r")) == log(reference.events)
        assert resumed == reference
        assert store.game("r")["status"] == "finished"


KILLED_GAME = textwrap.dedent("""
    import asyncio, os, signal, sys
    from agents.random_agent import RandomAgent
    from traitors.config import Scenario
    from traitors.engine import Game
    from traitors.events import PlayerInfo
    from traitors.store import Store

    class KillAfter:
        def __init__(self, store, n):
            self.store, self.n = store, n
        def append(self, events):
            self.store.append(events)
            self.n -= 1
            if self.n == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    scenario = Scenario(name="paper", players=10, traitors=3)
    players = [PlayerInfo(name=n, agent="random") for n in scenario.player_names()]
    store = Store(sys.argv[1])
    agents = {p.name: RandomAgent() for p in players}
    game = Game.create("k", scenario, 4, players, agents, KillAfter(store, 4))
    asyncio.run(game.run())
""")


def test_resume_after_sigkill(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    proc = subprocess.run([sys.executable, "-c", KILLED_GAME, url], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    reference = play(None, seed=4, game_id="k")
    with Store(url) as store:
        state = replay(store.load_events("k"))
        assert not state.ended
        asyncio.run(Game(state, {n: RandomAgent() for n in state.names}, store).run())
        assert log(store.load_events("k")) == log(reference.events)
