"""Determinism: same seed and game id → byte-identical event log (also across processes with different
hash seeds); different seeds → different games; every event round-trips through its canonical JSON."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from tests.scripted import CORPUS_SCENARIOS, corpus_game
from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    DecisionFallback,
    DecisionReasoning,
    Event,
    GameCreated,
    GameEnded,
    MissionCompleted,
    ModelCall,
    MurderBlocked,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    RecruitOffered,
    RolesAssigned,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteResult,
    event_from_json,
    event_to_json,
)
from traitors.state import replay

ROOT = Path(__file__).resolve().parent.parent


def log(events) -> list[str]:
    """The canonical JSON of every event."""
    return [event_to_json(e) for e in events]


@pytest.mark.parametrize("flaky", [False, True], ids=["random", "flaky"])
@pytest.mark.parametrize("name", list(CORPUS_SCENARIOS))
def test_same_seed_same_log(name: str, flaky: bool) -> None:
    for seed in (0, 1, 7):
        first = log(corpus_game(name, seed, flaky=flaky).events)
        second = log(corpus_game(name, seed, flaky=flaky).events)
        assert first == second, f"{name} seed {seed}"


@pytest.mark.parametrize("name", list(CORPUS_SCENARIOS))
def test_different_seeds_differ(name: str) -> None:
    games = {}
    for seed in range(8):
        events = corpus_game(name, seed).events
        # ignore GameCreated (it holds the seed itself) and the game id (derived from the seed here)
        games[seed] = tuple(e.model_dump_json(exclude={"game_id"}) for e in events[1:])
    assert len(set(games.values())) == len(games)
    roles = {tuple(sorted(p for p, r in corpus_game(name, s).initial_roles.items() if r == "traitor"))
             for s in range(8)}
    assert len(roles) > 1  # the seed deals the roles


_SUBPROCESS = """
import hashlib, sys
from tests.scripted import corpus_game
from traitors.events import event_to_json
h = hashlib.sha256()
for seed in (3, 4):
    for e in corpus_game("classic", seed, flaky=True).events:
        h.update(event_to_json(e).encode() + b"\\n")
print(h.hexdigest())
"""


def test_log_identical_across_processes_and_hash_seeds() -> None:
    """Nothing depends on set/dict iteration order of strings (PYTHONHASHSEED) or process state."""
    digests = []
    for hash_seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", _SUBPROCESS], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120, check=True)
        digests.append(out.stdout.strip())
    assert len(digests[0]) == 64 and len(set(digests)) == 1, digests


def _event_types() -> set[type]:
    union = typing.get_args(Event)[0]
    return set(typing.get_args(union))


def _one_of_each() -> list[Event]:
    """A hand-made instance of every event type, with non-default values."""
    c = {"game_id": "g-1", "day": 2, "phase": "night"}
    return [
        GameCreated(seq=0, scenario="s", config={"name": "s", "players": 6, "traitors": 1}, seed=2**62 + 1,
                    players=(PlayerInfo(name="Alex", agent="random", persona="calm, 40"),), audience=(), **c),
        RolesAssigned(seq=1, roles={"Alex": "traitor", "Bea": "faithful"}, audience=(), **c),
        DayStarted(seq=2, **c),
        MissionCompleted(seq=3, success=True, pot_added=5000, pot_total=15000, **c),
        ShieldAwarded(seq=4, player="Bea", audience=("Bea",), **c),
        Statement(seq=5, speaker="Alex", channel="traitors", turn=1, text='Quote "é" \n ✓', accuses=("Bea",),
                  defends=("Cal",), audience=("Alex", "Dana"), decided_by="retry", **c),
        BeliefReported(seq=6, observer="Bea", beliefs={"Alex": 0.1234567, "Cal": 1.0, "Dana": 0.0},
                       audience=("Bea",), **c),
        VoteCast(seq=7, kind="murder", ballot=3, voter="Alex", target=None, valid=False, audience=("Alex",),
                 decided_by="fallback", **c),
        VoteResult(seq=8, kind="banish", ballot=2, counts={"Bea": 2, "Cal": 2}, outcome="tie_broken",
                   target="Cal", tied=("Bea", "Cal"), **c),
        Banished(seq=9, player="Cal", revealed_role=None, **c),
        Murdered(seq=10, player="Bea", **c),
        MurderBlocked(seq=11, player="Eli", audience=("Alex",), **c),
        RecruitOffered(seq=12, player="Fay", ultimatum=True, audience=("Alex", "Fay"), **c),
        RecruitAnswered(seq=13, player="Fay", accepted=True, audience=("Alex", "Fay"), **c),
        DecisionFallback(seq=14, player="Bea", kind="vote", attempts=3, error="ValueError: x", audience=(),
                         source="agent", **c),
        DecisionReasoning(seq=14, player="Bea", kind="vote", ballot=2, turn=1, channel="traitors",
                          text="Bea said \"x\" twice.", audience=(), **c),
        ModelCall(seq=15, player="Bea", purpose="vote", model="m", route="openai", prompt_tokens=10,
                  completion_tokens=2, cached_tokens=1, attempts=2, outcome="retried", request_hash="ab",
                  audience=(), **c),
        GameEnded(seq=16, winner="traitors", reason="endgame_vote", roles={"Alex": "traitor"}, **c),
    ]


def test_hand_made_events_cover_every_type_and_round_trip() -> None:
    events = _one_of_each()
    assert {type(e) for e in events} == _event_types()
    for e in events:
        text = event_to_json(e)
        back = event_from_json(text)
        assert back == e and type(back) is type(e)
        assert event_to_json(back) == text
        assert event_from_json(text.encode()) == e


@pytest.mark.parametrize("name", list(CORPUS_SCENARIOS))
def test_game_events_round_trip_and_replay_from_json(name: str) -> None:
    types = set()
    for seed in range(6):
        final = corpus_game(name, seed, flaky=True)
        texts = log(final.events)
        parsed = [event_from_json(t) for t in texts]
        assert parsed == list(final.events)
        assert log(parsed) == texts
        assert replay(parsed) == final
        types |= {type(e) for e in parsed}
    assert {GameCreated, RolesAssigned, DayStarted, VoteCast, VoteResult, Banished, GameEnded} <= types
