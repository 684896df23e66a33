"""Memory in whole games: isolation, idempotent resume, carry-over on and off, hooks, CLI."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from typer.testing import CliRunner

from memory import Memory, MemoryAgent
from memory.observe import ballot_note, note
from traitors import runner
from traitors.cli import app
from traitors.config import Scenario
from traitors.decisions import Decision, DecisionRequest
from traitors.events import BeliefReported, Event, RecruitAnswered, Statement, VoteCast, VoteResult
from traitors.store import Store
from traitors.views import PlayerView

QUICK = Scenario(name="quick", players=6, traitors=1, max_days=6)
PAPER = Scenario(name="paper", players=10, traitors=3)
CLASSIC = Scenario(
    name="classic",
    players=14,
    traitors=3,
    recruitment={"enabled": True, "mode": "ultimatum"},
    missions={"enabled": True},
    endgame={"enabled": True, "at_players": 5},
)
SECRET_MARKERS = ("[Traitors]", "Murder vote", "Recruitment vote", "was shielded: the murder failed")


def play(store: Store, scenario: Scenario, seed: int, agents: str = "heuristic", **kw: object):
    return asyncio.run(runner.play_game(scenario, seed, agents=agents, store=store, game_id=f"g{seed}", **kw))


def notes(events: Sequence[Event]) -> list[tuple[Event, str]]:
    """Each event with its memory text (a ballot's result with the note of the whole ballot)."""
    out, votes = [], []
    for e in events:
        if isinstance(e, VoteCast):
            votes.append(e)
            out.append((e, note(e).text))
        elif isinstance(e, VoteResult):
            out.append((e, ballot_note([v for v in votes if v.audience == e.audience], e).text))
            votes = [v for v in votes if v.audience != e.audience]
        else:
            out.append((e, note(e).text))
    return out


def secret_texts(events: Sequence[Event], player: str) -> set[str]:
    """Memory texts of events this player did not see, that are not also the text of an event it saw."""
    texts = notes(events)
    hidden = {t for e, t in texts if not e.visible_to(player)}
    return hidden - {t for e, t in texts if e.visible_to(player)}


@pytest.mark.parametrize(
    ("scenario", "agents", "seeds"),
    [(QUICK, "heuristic", 100), (PAPER, "heuristic", 40), (PAPER, "random", 20), (CLASSIC, "heuristic", 15)],
    ids=["quick", "paper", "paper-random", "classic"],
)
def test_no_memory_holds_what_its_player_did_not_see(tmp_path, scenario, agents, seeds) -> None:
    with Store(f"sqlite:///{tmp_path / 'iso.db'}") as store:
        memory = Memory.for_engine(store.engine)
        for seed in range(seeds):
            state = play(store, scenario, seed, agents)
            events = state.events
            for player in state.names:
                assert memory.items(state.game_id, player=player), player
                assert not leaks(memory, state, player), player
                reports = [e for e in events if isinstance(e, BeliefReported) and e.observer == player]
                rows = memory.beliefs(state.game_id, observer=player)
                assert len(rows) == sum(len(e.beliefs) for e in reports)
                assert {(r["seq"], r["target"], r["p_traitor"]) for r in rows} == {
                    (e.seq, t, p) for e in reports for t, p in e.beliefs.items()
                }


def leaks(memory: Memory, state, player: str) -> list[dict]:
    """The memory items of ``player`` that hold something it did not see: an observation of a hidden
    event, the text of one, or (for a player Faithful all game) a mark of the Traitors' secrets."""
    events = state.events
    recruited = {e.player for e in events if isinstance(e, RecruitAnswered) and e.accepted}
    faithful = state.initial_roles[player] == "faithful" and player not in recruited
    visible = {e.seq for e in events if e.visible_to(player)}
    hidden = secret_texts(events, player)
    bad = []
    for it in memory.items(state.game_id, player=player):
        text = it["content"]
        if (
            (it["kind"] == "observation" and it["source_seq"] not in visible)
            or text in hidden
            or any(t in text for t in hidden if len(t) > 25)
            or (faithful and any(m in text for m in SECRET_MARKERS))
        ):
            bad.append(it)
    return bad


def test_leak_check_catches_a_planted_secret(tmp_path) -> None:
    """The isolation check is not vacuous: a Traitor-channel line planted in a Faithful's memory is found."""
    with Store(f"sqlite:///{tmp_path / 'plant.db'}") as store:
        memory = Memory.for_engine(store.engine)
        state = play(store, PAPER, 2)
        secret = next(e for e in state.events if isinstance(e, Statement) and e.channel == "traitors")
        faithful = next(p for p in state.names if state.initial_roles[p] == "faithful")
        assert not leaks(memory, state, faithful)
        row = {
            "identity": f"heuristic|{faithful}",
            "game_id": state.game_id,
            "player": faithful,
            "day": secret.day,
            "phase": secret.phase,
            "kind": "reflection",
            "content": f"I overheard: {note(secret).text}",
            "importance": 0.5,
            "source_seq": secret.seq,
        }
        memory.add_items([row])
        assert leaks(memory, state, faithful)


def snapshot(memory: Memory, game_id: str) -> list[tuple]:
    rows = memory.items(game_id)
    return sorted((r["player"], r["kind"], r["source_seq"], r["day"], r["content"]) for r in rows)


class CrashAfter:
    """An observer that fails after ``n`` batches, like a process dying between phases."""

    def __init__(self, n: int) -> None:
        self.n = n

    def append(self, events: Sequence[Event]) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


@pytest.mark.parametrize("crash_after", [2, 4, 6])
def test_resumed_game_remembers_exactly_as_an_uninterrupted_one(db_url: str, tmp_path, crash_after) -> None:
    with Store(f"sqlite:///{tmp_path / 'ref.db'}") as ref:
        play(ref, PAPER, 4)
        expected = snapshot(Memory.for_engine(ref.engine), "g4")
        expected_beliefs = len(Memory.for_engine(ref.engine).beliefs("g4"))
    with Store(db_url) as store, pytest.raises(KeyboardInterrupt):
        play(store, PAPER, 4, observer=CrashAfter(crash_after))
    with Store(db_url) as store:  # a new process: new engine, cold cursors
        asyncio.run(runner.resume(store, "g4"))
        memory = Memory.for_engine(store.engine)
        assert snapshot(memory, "g4") == expected
        assert len(memory.beliefs("g4")) == expected_beliefs


def test_memory_off_writes_nothing_and_plays_the_same_game(tmp_path) -> None:
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as a, Store(f"sqlite:///{tmp_path / 'b.db'}") as b:
        with_memory, without = play(a, PAPER, 3), play(b, PAPER, 3, memory=False)
        assert with_memory.events == without.events
        assert Memory.for_engine(a.engine).items("g3")
        assert not Memory.for_engine(b.engine).items("g3")


@pytest.mark.parametrize("carry_over", [False, True])
def test_carry_over_brings_earlier_games_only_when_on(db_url: str, carry_over: bool) -> None:
    scenario = Scenario.model_validate({**PAPER.model_dump(), "memory": {"carry_over": carry_over}})
    with Store(db_url) as store:
        play(store, scenario, 1)
        play(store, scenario, 2)
        memory = Memory.for_engine(store.engine)
        items = memory.items("g2", player="Alex")
        reputation = [it for it in items if it["day"] == 0]
        recalled = memory.retrieve(
            "heuristic|Alex",
            "Traitors were",
            game_id="g2",
            day=1,
            k=50,
            token_budget=10_000,
            carry_over=carry_over,
        )
        earlier = [r for r in recalled if r.game_id == "g1"]
        if carry_over:
            assert len(reputation) == 1 and reputation[0]["content"].startswith("From earlier games: ")
            assert earlier and {r.kind for r in earlier} <= {"reflection", "belief", "plan"}
            assert all(r.recency < min(x.recency for x in recalled if x.game_id == "g2") for r in earlier)
        else:
            assert not reputation and not earlier
            assert {r.game_id for r in recalled} == {"g2"}


class Reflective:
    """An inner agent using the hooks: ``bind_memory``, ``reflect`` and a belief rationale."""

    name = "reflective"

    def __init__(self) -> None:
        self.memory = None
        self.recalled: list[list[str]] = []
        self.saw_today: list[bool] = []  # (an assert in act would only become a fallback decision)

    def bind_memory(self, memory) -> None:
        self.memory = memory

    async def reflect(self, view: PlayerView) -> str:
        return f"{view.me} reflects before day {view.day}."

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        if request.kind == "vote":
            self.recalled.append([r.content for r in self.memory.retrieve(view, "voted", k=3)])
            self.saw_today.append(view.day in {row["day"] for row in self.memory.beliefs(view)})
        if request.kind == "speak":
            return Decision(text="Hello.")
        if request.kind == "belief":
            return Decision(beliefs=dict.fromkeys(request.options, 0.2), text="everyone looks calm")
        return Decision(choice=request.options[0])


def test_hooks_reflect_bind_memory_and_rationale(tmp_path) -> None:
    from traitors.engine import Game

    with Store(f"sqlite:///{tmp_path / 'h.db'}") as store:
        memory = Memory.for_engine(store.engine)
        players = runner.seat_players(QUICK, "random")
        inner = {p.name: Reflective() for p in players}
        from memory import finish_game, with_memory

        agents = with_memory(inner, players, memory)
        assert all(isinstance(a, MemoryAgent) and inner[n].memory is a.handle for n, a in agents.items())
        game = Game.create("h", QUICK, 5, players, agents, runner.Tee(store, memory))
        state = asyncio.run(game.run())
        asyncio.run(finish_game(agents, state))
        assert not [e for e in state.events if e.type == "decision_fallback"]  # no hook ever failed
        reflections = [it for it in memory.items("h") if it["kind"] == "reflection"]
        assert reflections and all(" reflects before day " in it["content"] for it in reflections)
        assert all(r["rationale"] == "everyone looks calm" for r in memory.beliefs("h"))
        assert any(inner[p.name].recalled for p in players)
        seen = [ok for p in players for ok in inner[p.name].saw_today]
        assert seen and all(seen)  # the handle's beliefs include today's report before it is stored


def test_cli_show_memory(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(db) as store:
        play(store, QUICK, 7)
    result = CliRunner().invoke(app, ["show", "g7", "--as", "Alex", "--memory", "--db", db])
    assert result.exit_code == 0, result.output
    assert "Memory of Alex (heuristic|Alex)" in result.output
    assert "— Day 1 —" in result.output and "beliefs (event" in result.output
    assert "[reflection" in result.output
    bad = CliRunner().invoke(app, ["show", "g7", "--memory", "--db", db])
    assert bad.exit_code == 2


def test_a_recruits_reflections_name_its_role_at_the_time(tmp_path) -> None:
    """Baseline reflections are written at the end of the game; each still names the role its player had
    when that day closed (a recruit was Faithful before it accepted)."""
    with Store(f"sqlite:///{tmp_path / 'recruit.db'}") as store:
        memory = Memory.for_engine(store.engine)
        for seed in range(30):
            state = play(store, CLASSIC, seed)
            joined = [e for e in state.events if isinstance(e, RecruitAnswered) and e.accepted]
            if not joined:
                continue
            recruit, at = joined[0].player, joined[0].seq
            days = [r for r in memory.items(state.game_id, player=recruit) if r["kind"] == "reflection"]
            before = [r for r in days if r["source_seq"] < at]
            after = [r for r in days if r["source_seq"] > at]
            if before and after:
                assert all(f"({recruit}, faithful)" in r["content"] for r in before)
                assert all(f"({recruit}, traitor)" in r["content"] for r in after)
                return
    pytest.fail("no seed in 0-29 has a recruit with reflections before and after joining")
