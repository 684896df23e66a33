"""The heuristic baseline: legal in every situation, evidence-driven, deterministic cold or warm, and a
Traitor that protects its fellows. Also ``ByRole`` and the agent registry."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from agents import AGENT_KINDS, ByRole, HeuristicAgent, RandomAgent, make_agent
from agents.heuristic.evidence import suspicion
from agents.heuristic.traitor import Table
from traitors.config import Scenario
from traitors.decisions import Agent, Decision, DecisionRequest, validate_decision
from traitors.engine import Game
from traitors.events import (
    Banished,
    DayStarted,
    DecisionFallback,
    Event,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    RecruitOffered,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.state import GameState, replay
from traitors.views import PlayerView

NAMES = ("Alex", "Bea", "Cal", "Dana", "Eli", "Fay", "Gus", "Lee")
ALL_KINDS = {"speak", "vote", "murder", "recruit", "answer_offer", "belief", "endgame"}


class Checked:
    """Wraps an agent: validates every answer, records (view, request, decision) and the kinds asked."""

    def __init__(self, agent: Any) -> None:
        self.agent, self.calls, self.kinds, self.errors = agent, [], Counter(), []

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Ask the wrapped agent and check its answer."""
        decision = await self.agent.act(view, request)
        error = validate_decision(request, decision)
        if error is None and request.kind == "speak" and len(decision.text) > request.max_chars:
            error = f"{len(decision.text)} chars > {request.max_chars}"
        if error is not None:
            self.errors.append((request.kind, error))
        self.kinds[request.kind] += 1
        self.calls.append((view, request, decision))
        return decision


def play(scenario: Scenario, seed: int, agents: dict[str, Any] | Any, game_id: str | None = None
         ) -> GameState:
    """Play one game to its end (one agent for every seat, or one per seat)."""
    players = [PlayerInfo(name=n, agent="heuristic") for n in scenario.player_names()]
    seats = agents if isinstance(agents, dict) else {p.name: agents for p in players}
    game_id = game_id or f"{scenario.name}-{seed}"
    return asyncio.run(Game.create(game_id, scenario, seed, players, seats).run())


SCENARIOS = [
    Scenario(name="paper", players=10, traitors=3),
    Scenario(name="tv", players=12, traitors=3, recruitment={"enabled": True}, missions={"enabled": True},
             endgame={"enabled": True, "at_players": 6}, discussion={"turns": 2, "max_chars": 60}),
    Scenario(name="harsh", players=9, traitors=2, recruitment={"enabled": True, "mode": "ultimatum"},
             endgame={"enabled": True, "at_players": 5}, night={"turns": 2, "murder_rule": "unanimity"},
             reveal_traitor_count=False, banishment={"second_tie": "no_banishment"}),
    Scenario(name="blind", players=8, traitors=2, banishment={"reveal_role": False},
             discussion={"max_chars": 20, "order": "fixed"}, max_days=4),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_decision_is_legal_in_many_games(scenario: Scenario) -> None:
    checked = Checked(HeuristicAgent())
    for seed in range(25):
        state = play(scenario, seed, checked)
        assert state.ended
        assert not [e for e in state.events if isinstance(e, DecisionFallback)]
    assert checked.errors == []
    assert {"speak", "vote", "murder", "belief"} <= set(checked.kinds)


def test_every_kind_is_asked_and_answered_legally_with_mixed_seats() -> None:
    checked, rnd = Checked(HeuristicAgent()), RandomAgent()
    for scenario in SCENARIOS[1:3]:
        for seed in range(40):
            # random Faithfuls banish Traitors late: recruitment and endgame votes come up more often
            seat = ByRole(faithful=rnd, traitor=checked) if seed % 2 else checked
            state = play(scenario, seed, seat)
            assert not [e for e in state.events if isinstance(e, DecisionFallback)]
    assert checked.errors == []
    assert set(checked.kinds) == ALL_KINDS


def test_decisions_do_not_depend_on_a_warm_cache() -> None:
    warm = Checked(HeuristicAgent())
    play(SCENARIOS[1], 7, warm)
    cold = HeuristicAgent()
    for view, request, decision in warm.calls[::3]:
        cold.clear()
        assert cold.decide(view, request) == decision
    # a cache warmed on another game (same names and game id prefix) is rebuilt, not reused
    stale = HeuristicAgent()
    other = Checked(stale)
    play(SCENARIOS[1], 8, other)
    for view, request, decision in warm.calls[::5]:
        assert stale.decide(view, request) == decision


def test_a_cache_ahead_of_the_view_or_on_another_branch_gives_the_same_answers() -> None:
    agent = HeuristicAgent()
    first = Checked(agent)
    play(SCENARIOS[0], 11, first)
    for view, request, decision in first.calls[::4]:  # the shared record has seen the whole game
        assert agent.decide(view, request) == decision
    # the same game id, another seed: the warm record is of another game and must not leak into this one
    second = Checked(agent)
    play(SCENARIOS[0], 12, second, game_id="paper-11")
    fresh = HeuristicAgent()
    for view, request, decision in second.calls[::4]:
        fresh.clear()
        assert fresh.decide(view, request) == decision


def test_one_agent_per_seat_plays_the_same_game_as_one_shared_agent() -> None:
    scenario = SCENARIOS[1]
    shared = play(scenario, 5, HeuristicAgent())
    per_seat = play(scenario, 5, {n: HeuristicAgent() for n in scenario.player_names()})
    assert per_seat.events == shared.events


def test_a_resumed_game_with_fresh_agents_matches_an_uninterrupted_one() -> None:
    scenario = SCENARIOS[0]
    full = play(scenario, 3, HeuristicAgent())
    cut = next(i for i, e in enumerate(full.events) if isinstance(e, DayStarted) and e.day == 2)
    resumed = asyncio.run(Game(replay(full.events[:cut]), dict.fromkeys(scenario.player_names(),
                                                                          HeuristicAgent())).run())
    assert resumed.events == full.events


# -- hand-built evidence ------------------------------------------------------------------------------------


class Log:
    """Builds a game's visible events by hand."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.day = 1

    def add(self, cls: type, phase: str = "roundtable", **fields: Any) -> Log:
        """Append one event."""
        self.events.append(cls(game_id="hand", seq=len(self.events) + 2, day=self.day, phase=phase, **fields))
        return self

    def say(self, speaker: str, accuses: Sequence[str] = (), defends: Sequence[str] = (),
            channel: str = "public") -> Log:
        """A statement (the Traitors' channel is heard by Bea and Lee)."""
        audience = None if channel == "public" else ("Bea", "Lee")
        return self.add(Statement, speaker=speaker, channel=channel, turn=0, text="...",
                        accuses=tuple(accuses), defends=tuple(defends), audience=audience)

    def ballot(self, votes: dict[str, str], banished: str, role: str | None) -> Log:
        """A decided first ballot and the banishment with its reveal."""
        for voter, target in votes.items():
            self.add(VoteCast, kind="banish", ballot=1, voter=voter, target=target)
        self.add(VoteResult, kind="banish", ballot=1, counts=dict(Counter(votes.values())), outcome="decided",
                 target=banished)
        return self.add(Banished, player=banished, revealed_role=role)

    def night(self, victim: str) -> Log:
        """A murder, then the next day."""
        self.add(Murdered, phase="night", player=victim)
        self.day += 1
        return self.add(DayStarted, phase="breakfast")

    def view(self, me: str, role: str = "faithful", fellows: Sequence[str] = (), n_traitors: int | None = 2
             ) -> PlayerView:
        """``me``'s view of the log so far."""
        dead = {e.player for e in self.events if isinstance(e, Banished | Murdered)}
        return PlayerView(game_id="hand", salt="hand", me=me, role=role, fellow_traitors=tuple(fellows),
                          players=NAMES,
                          alive=tuple(n for n in NAMES if n not in dead), day=self.day, phase="roundtable",
                          n_traitors=n_traitors, has_shield=False, events=tuple(self.events))


def _options(view: PlayerView) -> tuple[str, ...]:
    return tuple(p for p in view.alive if p != view.me)


def ask(agent: HeuristicAgent, view: PlayerView, kind: str, seed: int = 1, **extra: Any) -> Decision:
    """One legal decision of ``kind`` with the living others as options."""
    request = DecisionRequest(kind=kind, options=extra.pop("options", _options(view)), seed=seed, **extra)
    decision = asyncio.run(agent.act(view, request))
    assert validate_decision(request, decision) is None
    return decision


def defended_traitor_log() -> Log:
    """Dana defends Lee; everyone else accuses someone; Lee is banished and revealed a Traitor."""
    log = Log().add(DayStarted, phase="breakfast")
    log.say("Alex", ["Lee"]).say("Dana", ["Cal"], defends=["Lee"]).say("Eli", ["Lee"]).say("Cal", ["Gus"])
    log.ballot({"Alex": "Lee", "Bea": "Lee", "Cal": "Lee", "Dana": "Cal", "Eli": "Lee", "Fay": "Gus",
                "Gus": "Lee", "Lee": "Cal"}, banished="Lee", role="traitor")
    return log.night("Fay")


def test_who_defended_a_revealed_traitor_becomes_the_top_suspect_and_is_named_with_the_evidence() -> None:
    view = defended_traitor_log().view("Alex")
    agent = HeuristicAgent()
    assert ask(agent, view, "vote").choice == "Dana"
    beliefs = ask(agent, view, "belief").beliefs
    assert max(beliefs, key=beliefs.__getitem__) == "Dana"
    assert sum(beliefs.values()) == pytest.approx(1.0)  # 2 Traitors, 1 revealed
    texts = set()
    for seed in range(12):
        said = ask(agent, view, "speak", seed=seed, max_chars=400)
        assert said.accuses == ("Dana",)
        assert "Lee" in said.text and "Dana" in said.text
        texts.add(said.text)
    assert len(texts) >= 3  # several templates
    assert any("defended Lee" in t or "stood up for Lee" in t or "protected Lee" in t for t in texts)


def test_a_murder_victims_suspect_and_whoever_accused_me_rise() -> None:
    log = Log().add(DayStarted, phase="breakfast")
    log.say("Fay", ["Gus"]).say("Cal", ["Alex"]).say("Bea", ["Eli"])
    log.night("Fay")
    view = log.view("Alex")
    agent = HeuristicAgent()
    scores = suspicion(agent.tracker(view), view, _options(view))
    assert scores["Gus"] > scores["Cal"] > 0 and scores["Bea"] == 0
    assert ask(agent, view, "vote").choice == "Gus"
    said = ask(agent, view, "speak", max_chars=400)
    assert said.accuses[0] in {"Gus", "Cal"}


def test_every_kind_of_evidence_can_be_put_into_words() -> None:
    from agents.heuristic import weights
    from agents.heuristic.speech import ACCUSE

    for feature, weight in weights.FEATURES.items():
        if weight > 0:
            assert len(ACCUSE[feature]) >= 2, feature


def test_speech_respects_max_chars_and_never_is_empty() -> None:
    view = defended_traitor_log().view("Alex")
    for limit in (1, 5, 20, 60, 4000):
        said = ask(HeuristicAgent(), view, "speak", max_chars=limit)
        assert 0 < len(said.text) <= limit


# -- the Traitor -----------------------------------------------------------------------------------------


def test_traitor_never_votes_a_fellow_when_a_faithful_is_plausible() -> None:
    log = Log().add(DayStarted, phase="breakfast")
    log.say("Alex", ["Lee"]).say("Cal", ["Gus"]).say("Dana", ["Eli"])  # Lee under some suspicion
    view = log.view("Bea", role="traitor", fellows=["Lee"])
    agent = HeuristicAgent()
    for seed in range(10):
        assert ask(agent, view, "vote", seed=seed).choice != "Lee"
        assert "Lee" not in ask(agent, view, "speak", seed=seed).accuses
    # a revote between Lee and a Faithful: the Faithful
    assert ask(agent, view, "vote", options=("Lee", "Gus"), ballot=2).choice == "Gus"


def test_traitor_throws_a_doomed_fellow_under_the_bus() -> None:
    log = Log().add(DayStarted, phase="breakfast")
    for speaker in ("Alex", "Cal", "Dana", "Eli", "Fay"):
        log.say(speaker, ["Lee"])
    view = log.view("Bea", role="traitor", fellows=["Lee"])
    assert ask(HeuristicAgent(), view, "vote").choice == "Lee"


def test_traitor_votes_against_fellows_only_when_doomed_in_real_games() -> None:
    heuristic = HeuristicAgent()
    seen = 0

    class Spy:
        async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
            nonlocal seen
            decision = await heuristic.act(view, request)
            if view.role == "traitor" and request.kind == "vote" and decision.choice in view.fellow_traitors:
                table = Table(heuristic.tracker(view), view)
                faithful_options = [o for o in request.options if o not in table.team]
                assert table.doomed(decision.choice) or not faithful_options
                seen += 1
            return decision

    for seed in range(40):
        play(SCENARIOS[0], seed, Spy())
    assert seen > 0  # the bus does happen


def test_traitor_channel_names_victim_and_scapegoat_and_the_murder_follows_the_first_proposal() -> None:
    log = defended_traitor_log()
    log.say("Cal", ["Bea"]).say("Dana", ["Bea"]).say("Gus", ["Eli"])
    view = log.view("Bea", role="traitor", fellows=["Lee", "Gus"])
    agent = HeuristicAgent()
    said = ask(agent, view, "speak", channel="traitors", max_chars=400)
    victim, goat = said.accuses
    assert victim in said.text and goat in said.text
    assert {victim, goat} <= {"Alex", "Cal", "Dana", "Eli"} and victim != goat
    log.say("Gus", ["Eli", "Dana"], channel="traitors")  # Gus proposed first: Bea's murder vote follows
    view = log.view("Bea", role="traitor", fellows=["Lee", "Gus"])
    assert ask(agent, view, "murder", options=("Alex", "Cal", "Dana", "Eli")).choice == "Eli"


def test_traitor_beliefs_are_its_true_knowledge_and_faithful_beliefs_match_the_count() -> None:
    log = defended_traitor_log()
    traitor = ask(HeuristicAgent(), log.view("Gus", role="traitor", fellows=["Lee", "Eli"]), "belief").beliefs
    assert traitor["Eli"] == 1.0 and all(v == 0.0 for k, v in traitor.items() if k != "Eli")
    secret = ask(HeuristicAgent(), log.view("Alex", n_traitors=None), "belief").beliefs
    assert all(0.0 <= v <= 1.0 for v in secret.values()) and sum(secret.values()) >= 1.0 - 1e-9


def test_endgame_and_offers() -> None:
    log = defended_traitor_log()
    agent = HeuristicAgent()
    assert ask(agent, log.view("Gus", role="traitor", fellows=["Eli"]), "endgame",
               options=("end", "banish_again")).choice == "end"
    assert ask(agent, log.view("Alex"), "endgame", options=("end", "banish_again")).choice == "banish_again"
    log.add(RecruitOffered, phase="night", player="Alex", ultimatum=True, audience=("Gus", "Alex"))
    assert ask(agent, log.view("Alex"), "answer_offer", options=("accept", "decline")).choice == "accept"


def test_traitors_recruit_the_least_suspected_faithful_who_has_not_declined() -> None:
    log = defended_traitor_log()  # Dana defended the revealed Traitor Lee: the most suspected
    options = ("Alex", "Cal", "Dana", "Eli", "none")
    view = log.view("Gus", role="traitor", fellows=["Lee"])
    first = ask(HeuristicAgent(), view, "recruit", options=options).choice
    assert first not in ("Dana", "none")
    log.add(RecruitOffered, phase="night", player=first, ultimatum=False, audience=("Gus", first))
    log.add(RecruitAnswered, phase="night", player=first, accepted=False, audience=("Gus", first))
    later = log.view("Gus", role="traitor", fellows=["Lee"])
    again = ask(HeuristicAgent(), later, "recruit", options=options)
    assert again.choice not in (first, "none")
    assert ask(HeuristicAgent(), view, "recruit", options=("none",)).choice == "none"


# -- ByRole and the registry ---------------------------------------------------------------------------


def test_by_role_dispatches_on_the_current_role() -> None:
    class Fixed:
        def __init__(self, word: str) -> None:
            self.word = word

        async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
            return Decision(text=self.word)

    seat = ByRole(faithful=Fixed("F"), traitor=Fixed("T"))
    log = defended_traitor_log()
    request = DecisionRequest(kind="speak", options=("Bea",), seed=0)
    assert asyncio.run(seat.act(log.view("Alex"), request)).text == "F"
    assert asyncio.run(seat.act(log.view("Alex", role="traitor", fellows=["Gus"]), request)).text == "T"


def test_registry_builds_known_agents_and_names_them_in_errors() -> None:
    assert set(AGENT_KINDS) >= {"random", "heuristic"}
    assert isinstance(make_agent("heuristic"), HeuristicAgent) and isinstance(make_agent("heuristic"), Agent)
    assert isinstance(make_agent("random"), RandomAgent)
    assert make_agent("heuristic") is not make_agent("heuristic")
    with pytest.raises(ValueError, match=r"known agents are .*heuristic.*random") as err:
        make_agent("clever")
    assert "\n" not in str(err.value)
