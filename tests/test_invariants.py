"""Invariants of whole games: hundreds of seeded games in three scenarios, random agents, and a mix where
every other seat sometimes answers illegally (or raises). Each event log is checked rule by rule."""

from __future__ import annotations

from collections import Counter

import pytest

from agents.random_agent import RandomAgent
from tests.scripted import CORPUS_SCENARIOS, corpus_game, corpus_scenario, seats
from traitors import rules
from traitors.engine import Game, setup_events
from traitors.events import (
    END,
    NO_RECRUIT,
    Banished,
    BeliefReported,
    DayStarted,
    DecisionFallback,
    GameCreated,
    GameEnded,
    MurderBlocked,
    Murdered,
    RecruitAnswered,
    RecruitOffered,
    RolesAssigned,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.state import GameState, apply, replay

GAMES = {"paper": 60, "classic": 40, "quick": 60}  # per agent mix: 2 × 160 = 320 games


def check_game(final: GameState, name: str, seed: int) -> Counter:
    """Assert every invariant on one finished game; returns counts of what happened (for coverage)."""
    sc = corpus_scenario(name, seed)
    events = final.events
    seen: Counter = Counter()
    # the log: contiguous seq, one game, setup first, exactly one GameEnded and it is last
    assert [e.seq for e in events] == list(range(len(events)))
    assert {e.game_id for e in events} == {final.game_id}
    assert isinstance(events[0], GameCreated) and isinstance(events[1], RolesAssigned)
    assert [isinstance(e, GameEnded) for e in events].count(True) == 1
    assert isinstance(events[-1], GameEnded)
    assert replay(events) == final

    names = final.names
    roles = dict(events[1].roles)
    assert Counter(roles.values()) == Counter({"traitor": sc.traitors, "faithful": sc.players - sc.traitors})
    alive = list(names)
    day, shields = 0, set()
    banished: list[str] = []
    murdered: list[str] = []
    tied: tuple[str, ...] = ()
    offer: str | None = None
    for i, e in enumerate(events[2:], start=2):
        assert e.day == day or (isinstance(e, DayStarted) and e.day == day + 1), (i, e)
        match e:
            case DayStarted():
                day, shields = e.day, set()
                assert day <= sc.max_days
            case ShieldAwarded():
                assert sc.missions.enabled and e.player in alive and e.audience == (e.player,)
                shields.add(e.player)
            case Statement():
                assert e.speaker in alive, (i, e)
                assert len(e.text) <= sc.discussion.max_chars and e.text.strip() == e.text and e.text
                assert set(e.accuses) | set(e.defends) <= set(alive) - {e.speaker}
                if e.channel == "traitors":
                    assert roles[e.speaker] == "traitor" and e.phase == "night"
                    assert set(e.audience) == {p for p in alive if roles[p] == "traitor"}
                else:
                    assert e.audience is None and e.phase == "roundtable"
            case BeliefReported():
                assert e.observer in alive and e.audience == (e.observer,)
                assert set(e.beliefs) == set(alive) - {e.observer}
                assert all(0.0 <= p <= 1.0 for p in e.beliefs.values())
            case DecisionFallback():
                assert e.player in alive and e.audience == ()
                seen["fallback"] += 1
            case VoteCast():
                assert e.voter in alive, (i, e)
                living_traitors = tuple(p for p in alive if roles[p] == "traitor")
                if e.kind in ("murder", "recruit"):
                    assert roles[e.voter] == "traitor" and e.audience == living_traitors
                else:
                    assert e.audience is None
                if not e.valid:
                    assert e.target is None
                    seen["invalid"] += 1
                    continue
                assert e.target != e.voter  # no self-vote, ever
                if e.kind == "banish":
                    assert e.target in alive
                    if e.ballot == 2:
                        assert e.target in tied
                elif e.kind == "murder":
                    assert e.target in alive and roles[e.target] == "faithful"
                elif e.kind == "recruit":
                    assert e.target == NO_RECRUIT or (e.target in alive and roles[e.target] == "faithful")
                else:
                    assert e.target in (END, "banish_again")
            case VoteResult():
                counted = Counter(
                    x.target for x in events[:i] if isinstance(x, VoteCast) and x.valid and x.kind == e.kind
                    and x.ballot == e.ballot and x.seq > _last_result_seq(events, i))
                assert e.counts == dict(counted)
                if e.kind == "banish" and e.ballot == 1:
                    tied = e.tied if e.outcome == "tie" else ()
                if e.outcome in ("decided", "tie_broken") and e.kind != "endgame":
                    top = max(counted.values(), default=0)
                    assert counted.get(e.target, 0) == top or not counted
            case Banished():
                assert e.player in alive and e.phase == "roundtable"
                assert e.revealed_role == (roles[e.player] if sc.banishment.reveal_role else None)
                alive.remove(e.player)
                banished.append(e.player)
                seen["banished_" + roles[e.player]] += 1
                _check_win_after(events, i, alive, roles)
            case Murdered():
                assert e.player in alive and roles[e.player] == "faithful"  # victim Faithful at the time
                assert e.phase == "night" and e.audience is None
                assert e.player not in shields  # a shield holds, also against an ultimatum
                alive.remove(e.player)
                murdered.append(e.player)
                seen["murdered"] += 1
                _check_win_after(events, i, alive, roles)
            case MurderBlocked():
                assert e.player in shields and roles[e.player] == "faithful" and e.player in alive
                seen["blocked"] += 1
            case RecruitOffered():
                assert sc.recruitment.enabled and roles[e.player] == "faithful" and e.player in alive
                assert e.ultimatum == (sc.recruitment.mode == "ultimatum")
                assert any(roles[p] == "traitor" for p in banished if _banished_on(events, p, day))
                offer = e.player
                seen["offer"] += 1
            case RecruitAnswered():
                assert e.player == offer
                if e.accepted:
                    roles[e.player] = "traitor"
                    seen["recruited"] += 1
                    _check_win_after(events, i, alive, roles)
            case GameEnded():
                assert i == len(events) - 1
                assert e.roles == roles
                expected = rules.winner(alive, roles)
                if e.reason == "all_traitors_gone":
                    assert expected == e.winner == "faithful"
                elif e.reason == "parity":
                    assert expected == e.winner == "traitors"
                else:
                    assert expected is None
                    assert e.winner == rules.winner_at_close(alive, roles)
                    if e.reason == "max_days":
                        assert day == sc.max_days and e.phase == "night"
                    else:
                        assert sc.endgame.enabled and len(alive) <= sc.endgame.at_players
                seen["end_" + e.reason] += 1
    # counts consistent with the final state
    assert list(final.alive) == alive
    assert len(final.alive) == sc.players - len(banished) - len(murdered)
    assert len(set(banished) | set(murdered)) == len(banished) + len(murdered)
    assert dict(final.roles) == roles and final.winner == events[-1].winner
    return seen


def _last_result_seq(events, i: int) -> int:
    """Seq of the last VoteResult before index ``i`` (ballots are counted from there on)."""
    return next((e.seq for e in reversed(events[:i]) if isinstance(e, VoteResult)), -1)


def _banished_on(events, player: str, day: int) -> bool:
    return any(isinstance(e, Banished) and e.player == player and e.day == day for e in events)


def _check_win_after(events, i: int, alive: list[str], roles: dict) -> None:
    """After an elimination (or a recruit), the game ends right away iff a side has won."""
    won = rules.winner(alive, roles)
    nxt = events[i + 1] if i + 1 < len(events) else None
    if won is not None:
        assert isinstance(nxt, GameEnded) and nxt.winner == won, (i, events[i])
    else:
        assert not (isinstance(nxt, GameEnded) and nxt.reason in ("all_traitors_gone", "parity"))


@pytest.mark.parametrize("flaky", [False, True], ids=["random", "flaky"])
@pytest.mark.parametrize("name", list(CORPUS_SCENARIOS))
def test_invariants_over_seeded_games(name: str, flaky: bool) -> None:
    seen: Counter = Counter()
    winners: Counter = Counter()
    for seed in range(GAMES[name]):
        final = corpus_game(name, seed, flaky=flaky)
        try:
            seen += check_game(final, name, seed)
        except AssertionError as err:
            raise AssertionError(f"{name} seed {seed} (flaky={flaky}): {err}") from err
        winners[final.winner] += 1
    # the corpus really exercises the rules it claims to check
    assert set(winners) == {"faithful", "traitors"}, winners
    assert seen["banished_traitor"] and seen["banished_faithful"] and seen["murdered"]
    if flaky:
        assert seen["fallback"] and seen["invalid"]
    else:
        assert not seen["fallback"] and not seen["invalid"]
    if name == "classic":
        assert seen["offer"] and seen["recruited"] and seen["blocked"] and seen["end_endgame_vote"], seen
    if name == "quick":
        assert seen["end_max_days"] or seen["end_parity"]


# -- the state fold and game construction -----------------------------------------------------------------


def test_apply_is_pure_and_checks_seq_and_game():
    final = corpus_game("quick", 5)
    events = final.events
    half = replay(events[:10])
    before = (half.alive, dict(half.roles), half.day, half.phase, len(half.events))
    after = apply(half, events[10])
    assert (half.alive, dict(half.roles), half.day, half.phase, len(half.events)) == before  # unchanged
    assert after.seq == 11 and after.events[-1] is events[10]
    with pytest.raises(ValueError, match="seq"):
        apply(half, events[11])  # a gap
    with pytest.raises(ValueError, match="seq"):
        apply(half, events[9])  # a repeat
    with pytest.raises(ValueError, match="game"):
        apply(half, events[10].model_copy(update={"game_id": "other"}))
    with pytest.raises(ValueError):
        replay([events[0], events[2]])


def test_every_prefix_replays_to_the_state_the_engine_had():
    """Folding event by event from the setup gives the engine's final state; only the last event ends it."""
    final = corpus_game("classic", 1)
    state = replay(final.events[:2])
    for e in final.events[2:]:
        state = apply(state, e)
    assert state == final
    assert replay(final.events[:-1]).winner is None and replay(final.events).winner == final.winner


def test_setup_and_game_construction_errors():
    sc = CORPUS_SCENARIOS["quick"]
    players = seats(sc)
    with pytest.raises(ValueError, match="seats"):
        setup_events("g", sc, 0, list(reversed(players)))
    with pytest.raises(ValueError, match="no agent for"):
        Game(replay(setup_events("g", sc, 0, players)), {p.name: RandomAgent() for p in players[1:]})
    with pytest.raises(ValueError):
        Game(replay([]), {})
    events = setup_events("g", sc, 42, players)
    assert [e.audience for e in events] == [(), ()]  # setup is for the host only
    traitors = [n for n, r in events[1].roles.items() if r == "traitor"]
    assert len(traitors) == sc.traitors
    assert setup_events("g", sc, 42, players) == events  # the seed deals the roles
