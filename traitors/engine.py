"""The async game loop: runs phases, asks agents through their views, validates, emits events.

One game is one coroutine. Each phase's events are handed to the sink as one batch (breakfast's single
``DayStarted`` rides with the next phase's batch), so a stored game always ends at a phase boundary and
``Game(replay(stored_events), ...)`` resumes exactly where it stopped: all randomness is derived from
(seed, purpose, logical position), never from generator state, ``seq``, the game id or hidden events
(seeding scheme 2; logs of scheme 1 replay with their own formulas).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Protocol

from traitors import rules
from traitors.config import Scenario
from traitors.decisions import (
    FIXED_OPTIONS,
    REQUEST_KIND_OF,
    Agent,
    Decision,
    DecisionRequest,
    validate_decision,
)
from traitors.events import (
    NO_RECRUIT,
    SEEDING,
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
    ModelCallRecord,
    MurderBlocked,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    RecruitOffered,
    RolesAssigned,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteKind,
    VoteResult,
)
from traitors.rng import derive_rng, derive_seed
from traitors.state import GameState, apply, replay
from traitors.views import view

_Answer = tuple[Decision | None, str | None, list[ModelCallRecord]]
#: The longest private reasoning the log keeps for one decision.
MAX_REASONING_CHARS = 2000
NEXT_PHASE = {
    "setup": "breakfast",
    "breakfast": "mission",
    "mission": "roundtable",
    "roundtable": "night",
    "night": "breakfast",
}


class EventSink(Protocol):
    """Where each phase's batch of events goes (the SQL store, a list in tests)."""

    def append(self, events: Sequence[Event]) -> None:
        """Persist ``events`` atomically."""
        ...


def setup_events(game_id: str, scenario: Scenario, seed: int, players: Sequence[PlayerInfo]) -> list[Event]:
    """The first events of a game: creation and the seeded secret roles."""
    names = [p.name for p in players]
    if names != list(scenario.player_names()):
        raise ValueError(f"seats {names} do not match the scenario's players {list(scenario.player_names())}")
    traitors = set(derive_rng(seed, "roles").sample(names, scenario.traitors))
    common = {"game_id": game_id, "day": 0, "phase": "setup", "audience": ()}
    return [
        GameCreated(
            seq=0,
            scenario=scenario.name,
            config=scenario.model_dump(mode="json"),
            seed=seed,
            players=tuple(players),
            seeding=SEEDING,
            **common,
        ),
        RolesAssigned(seq=1, roles={n: "traitor" if n in traitors else "faithful" for n in names}, **common),
    ]


class Game:
    """Plays one game from any phase boundary to its end."""

    def __init__(
        self,
        state: GameState,
        agents: Mapping[str, Agent],
        sink: EventSink | None = None,
        max_attempts: int = 3,
    ) -> None:
        if not state.events:
            raise ValueError("a Game starts from setup_events() or stored events")
        missing = sorted(set(state.names) - set(agents))
        if missing:
            raise ValueError(f"no agent for {', '.join(missing)}")
        self.state = state
        self.agents = agents
        self.sink = sink
        self.max_attempts = max_attempts
        self._phase = state.phase
        self._batch: list[Event] = []
        self._where = "setup"  # the logical position of this phase's draws: "r<round table>" or "night"

    @classmethod
    def create(
        cls,
        game_id: str,
        scenario: Scenario,
        seed: int,
        players: Sequence[PlayerInfo],
        agents: Mapping[str, Agent],
        sink: EventSink | None = None,
    ) -> Game:
        """A new game; its setup events go to the sink at once."""
        events = setup_events(game_id, scenario, seed, players)
        if sink is not None:
            sink.append(events)
        return cls(replay(events), agents, sink)

    @property
    def scenario(self) -> Scenario:
        assert self.state.scenario is not None
        return self.state.scenario

    async def run(self) -> GameState:
        """Play phase after phase until someone wins; returns the final state."""
        while not self.state.ended:
            phase = NEXT_PHASE[self.state.phase]
            if phase == "mission" and not self.scenario.missions.enabled:
                phase = "roundtable"
            self._phase = phase
            await getattr(self, f"_{phase}")()
            if phase != "breakfast":  # the morning's one event travels with the next phase's batch
                self._flush()
        return self.state

    # -- plumbing ---------------------------------------------------------------------------------------

    def _emit(
        self, cls: type, audience: tuple[str, ...] | None = None, day: int | None = None, **fields: object
    ) -> None:
        event = cls(
            game_id=self.state.game_id,
            seq=self.state.seq,
            phase=self._phase,
            day=self.state.day if day is None else day,
            audience=audience,
            **fields,
        )
        self.state = apply(self.state, event)
        self._batch.append(event)

    def _flush(self) -> None:
        if self.sink is not None and self._batch:
            self.sink.append(self._batch)
        self._batch = []

    def _traitors(self) -> tuple[str, ...]:
        return self.state.alive_with("traitor")

    def _request(self, player: str, kind: str, options: Sequence[str], **extra: object) -> DecisionRequest:
        state = self.state
        if state.seeding >= 2:  # (player, kind, day, round table or night, channel, ballot, turn)
            position = (state.day, self._where, extra.get("channel", "public"))
        else:  # scheme 1: the log position, which counts hidden events (kept to replay old logs)
            position = (state.seq,)
        seed = derive_seed(
            state.seed, "agent", player, *position, kind, extra.get("ballot", 1), extra.get("turn", 0)
        )
        # built only here, from typed values: skip re-validation on this hot path
        return DecisionRequest.model_construct(kind=kind, options=tuple(options), seed=seed, **extra)

    async def _ask(self, player: str, request: DecisionRequest) -> _Answer:
        """Ask with bounded retries: the legal decision (or None), the last error, every model call."""
        agent, player_view, error, calls = self.agents[player], view(self.state, player), None, []
        for attempt in range(1, self.max_attempts + 1):
            try:
                decision = await agent.act(player_view, request)
                calls.extend(decision.calls)
                error = validate_decision(request, decision)
            except Exception as exc:  # an agent failure is a bad answer, never a crashed game
                decision, error = None, f"{type(exc).__name__}: {exc}"
            if error is None:
                if attempt > 1 and decision.decided_by in ("agent", "model"):
                    decision = decision.model_copy(update={"decided_by": "retry"})
                return decision, None, calls
            request = request.model_copy(update={"error": error, "attempt": attempt + 1})
        return None, error, calls

    async def _ask_all(self, requests: Mapping[str, DecisionRequest]) -> dict[str, Decision | None]:
        """Independent questions run concurrently; model calls and fallbacks are logged in seat order."""
        players = list(requests)
        if len(players) == 1:  # a lone question needs no task
            answers = [await self._ask(players[0], requests[players[0]])]
        else:
            answers = await asyncio.gather(*(self._ask(p, requests[p]) for p in players))
        for player, (decision, error, calls) in zip(players, answers, strict=True):
            for call in calls:
                self._emit(ModelCall, audience=(), player=player, **call.model_dump())
            if decision is not None and decision.reasoning:
                request = requests[player]
                self._emit(
                    DecisionReasoning,
                    audience=(),
                    player=player,
                    kind=request.kind,
                    ballot=request.ballot,
                    turn=request.turn,
                    channel=request.channel,
                    text=decision.reasoning.strip()[:MAX_REASONING_CHARS],
                )
            if decision is None:
                self._emit(
                    DecisionFallback,
                    audience=(),
                    player=player,
                    kind=requests[player].kind,
                    attempts=self.max_attempts,
                    error=str(error)[:500],
                )
            elif decision.decided_by == "fallback":
                self._emit(
                    DecisionFallback,
                    audience=(),
                    player=player,
                    kind=requests[player].kind,
                    attempts=requests[player].attempt,
                    error=decision.reason[:500] or "the agent's fallback decided",
                    source="agent",
                )
        return {p: a[0] for p, a in zip(players, answers, strict=True)}

    def _check_win(self) -> bool:
        winner = rules.winner(self.state.alive, self.state.roles)
        if winner is not None:
            reason = "all_traitors_gone" if winner == "faithful" else "parity"
            self._emit(GameEnded, winner=winner, reason=reason, roles=dict(self.state.roles))
        return winner is not None

    # -- voting -----------------------------------------------------------------------------------------

    async def _ballot(
        self,
        kind: VoteKind,
        voters: Sequence[str],
        options_for: Mapping[str, Sequence[str]],
        ballot: int,
        audience: tuple[str, ...] | None,
    ) -> rules.Tally:
        request_kind = REQUEST_KIND_OF[kind]
        decisions = await self._ask_all(
            {v: self._request(v, request_kind, options_for[v], ballot=ballot) for v in voters}
        )
        for voter in voters:
            decision = decisions[voter]
            valid = decision is not None
            self._emit(
                VoteCast,
                audience=audience,
                kind=kind,
                ballot=ballot,
                voter=voter,
                target=decision.choice if valid else None,
                valid=valid,
                decided_by=decision.decided_by if decision is not None else "fallback",
            )
        return rules.tally(d.choice if d is not None else None for d in decisions.values())

    def _result(
        self,
        kind: VoteKind,
        ballot: int,
        t: rules.Tally,
        outcome: str,
        target: str | None,
        audience: tuple[str, ...] | None,
    ) -> None:
        tied = t.leaders if len(t.leaders) > 1 else ()
        self._emit(
            VoteResult,
            audience=audience,
            kind=kind,
            ballot=ballot,
            counts=t.counts,
            outcome=outcome,
            target=target,
            tied=tied,
        )

    async def _banishment(self) -> str | None:
        """Secret ballot, revote among the tied, then the scenario's second-tie rule. Returns the banished."""
        alive, candidates = self.state.alive, None
        for ballot in (1, 2):
            options = {v: rules.banish_options(alive, v, candidates) for v in alive}
            t = await self._ballot("banish", alive, options, ballot, None)
            leaders = t.leaders or tuple(sorted(candidates or alive))
            if len(leaders) == 1:
                self._result("banish", ballot, t, "decided", leaders[0], None)
                return self._banish(leaders[0])
            if ballot == 1:
                self._result("banish", ballot, t, "tie", None, None)
                candidates = leaders
        if self.scenario.banishment.second_tie == "no_banishment":
            self._result("banish", 2, t, "no_decision", None, None)
            return None
        state = self.state
        position = (state.day, self._where) if state.seeding >= 2 else (state.day, state.seq)
        chosen = rules.break_tie(leaders, derive_rng(state.seed, "tiebreak", "banish", *position))
        self._result("banish", 2, t, "tie_broken", chosen, None)
        return self._banish(chosen)

    def _banish(self, player: str) -> str:
        role = self.state.roles[player] if self.scenario.banishment.reveal_role else None
        self._emit(Banished, player=player, revealed_role=role)
        return player

    async def _traitor_choice(self, kind: VoteKind, options: Sequence[str], ballots: int) -> str:
        """The Traitors' secret vote: plurality (or unanimity over ``ballots``) with a seeded tie-break."""
        traitors = self._traitors()
        for ballot in range(1, ballots + 1):
            t = await self._ballot(kind, traitors, dict.fromkeys(traitors, options), ballot, traitors)
            leaders = t.leaders or tuple(sorted(options))
            valid = sum(t.counts.values())
            if len(leaders) == 1 and (ballots == 1 or t.counts[leaders[0]] == valid == len(traitors)):
                self._result(kind, ballot, t, "decided", leaders[0], traitors)
                return leaders[0]
            if ballot < ballots:
                self._result(kind, ballot, t, "no_decision", None, traitors)
        chosen = rules.break_tie(leaders, derive_rng(self.state.seed, "tiebreak", kind, self.state.day))
        self._result(kind, ballots, t, "tie_broken" if len(leaders) > 1 else "decided", chosen, traitors)
        return chosen

    # -- phases -----------------------------------------------------------------------------------------

    async def _breakfast(self) -> None:
        self._emit(DayStarted, day=self.state.day + 1)

    async def _mission(self) -> None:
        cfg, state = self.scenario.missions, self.state
        rng = derive_rng(state.seed, "mission", state.day)
        success = rng.random() < cfg.success_rate
        added = cfg.pot_per_mission if success else 0
        self._emit(MissionCompleted, success=success, pot_added=added, pot_total=state.pot + added)
        if success:
            for player in sorted(rng.sample(list(state.alive), min(cfg.shields, len(state.alive)))):
                self._emit(ShieldAwarded, audience=(player,), player=player)

    async def _discussion(self, channel: str, turns: int) -> None:
        cfg = self.scenario.discussion
        for turn in range(turns):
            speakers = list(self.state.alive if channel == "public" else self._traitors())
            if cfg.order == "random":
                where = (self._where,) if self.state.seeding >= 2 else ()
                derive_rng(self.state.seed, "order", channel, self.state.day, *where, turn).shuffle(speakers)
            audience = None if channel == "public" else self._traitors()
            for speaker in speakers:
                options = [p for p in self.state.alive if p != speaker]
                request = self._request(
                    speaker, "speak", options, channel=channel, turn=turn, max_chars=cfg.max_chars
                )
                decision = (await self._ask_all({speaker: request}))[speaker]
                if decision is not None:
                    self._emit(
                        Statement,
                        audience=audience,
                        speaker=speaker,
                        channel=channel,
                        turn=turn,
                        text=decision.text.strip()[: cfg.max_chars],
                        accuses=decision.accuses,
                        defends=decision.defends,
                        decided_by=decision.decided_by,
                    )

    async def _beliefs(self) -> None:
        alive = self.state.alive
        requests = {p: self._request(p, "belief", [q for q in alive if q != p]) for p in alive}
        for player, decision in (await self._ask_all(requests)).items():
            if decision is not None:
                beliefs = {q: round(float(decision.beliefs[q]), 6) for q in requests[player].options}
                why = decision.text.strip()[:250]
                self._emit(
                    BeliefReported,
                    audience=(player,),
                    observer=player,
                    beliefs=beliefs,
                    rationale=why,
                    decided_by=decision.decided_by,
                )

    async def _roundtable(self) -> None:
        cfg = self.scenario
        while True:
            self._where = f"r{self.state.rounds + 1}"
            await self._discussion("public", cfg.discussion.turns)
            if cfg.beliefs.enabled:
                await self._beliefs()
            banished = await self._banishment()
            if banished is None or self._check_win():
                return
            if not (cfg.endgame.enabled and len(self.state.alive) <= cfg.endgame.at_players):
                return
            if await self._endgame_vote():
                return

    async def _endgame_vote(self) -> bool:
        alive = self.state.alive
        options = dict.fromkeys(alive, FIXED_OPTIONS["endgame"])
        t = await self._ballot("endgame", alive, options, 1, None)
        unanimous = t.counts.get("end", 0) == len(alive)
        self._result("endgame", 1, t, "decided", "end" if unanimous else "banish_again", None)
        if unanimous:
            self._emit(
                GameEnded,
                winner=rules.winner_at_close(alive, self.state.roles),
                reason="endgame_vote",
                roles=dict(self.state.roles),
            )
        return unanimous

    async def _night(self) -> None:
        cfg = self.scenario
        self._where = "night"
        if len(self._traitors()) > 1:
            await self._discussion("traitors", cfg.night.turns)
        if not await self._recruitment():
            victims = rules.murder_options(self.state.alive, self.state.roles)
            ballots = cfg.night.unanimity_ballots if cfg.night.murder_rule == "unanimity" else 1
            victim = await self._traitor_choice("murder", victims, ballots)
            if victim in self.state.shields:
                self._emit(MurderBlocked, audience=self._traitors(), player=victim)
            else:
                self._emit(Murdered, player=victim)
        if not self.state.ended and not self._check_win() and self.state.day >= cfg.max_days:
            self._emit(
                GameEnded,
                winner=rules.winner_at_close(self.state.alive, self.state.roles),
                reason="max_days",
                roles=dict(self.state.roles),
            )

    async def _recruitment(self) -> bool:
        """Offer to recruit if allowed; True when tonight's murder is replaced (accepted, or ultimatum)."""
        cfg, state = self.scenario.recruitment, self.state
        banished_roles = [state.roles[p] for p in state.banished_today]
        if not (
            cfg.enabled and rules.recruitment_allowed(banished_roles, len(self._traitors()), cfg.max_traitors)
        ):
            return False
        faithful = rules.murder_options(state.alive, state.roles)
        target = await self._traitor_choice("recruit", [*faithful, NO_RECRUIT], 1)
        if target == NO_RECRUIT:
            return False
        audience = (*self._traitors(), target)
        ultimatum = cfg.mode == "ultimatum"
        self._emit(RecruitOffered, audience=audience, player=target, ultimatum=ultimatum)
        request = self._request(target, "answer_offer", FIXED_OPTIONS["answer_offer"])
        decision = (await self._ask_all({target: request}))[target]
        accepted = decision is not None and decision.choice == "accept"
        decided_by = decision.decided_by if decision is not None else "fallback"
        self._emit(
            RecruitAnswered, audience=audience, player=target, accepted=accepted, decided_by=decided_by
        )
        if accepted:
            self._check_win()
            return True
        if ultimatum:  # a refusal is murdered, unless a shield protects the refuser tonight
            if target in self.state.shields:
                self._emit(MurderBlocked, audience=self._traitors(), player=target)
            else:
                self._emit(Murdered, player=target)
                self._check_win()
            return True
        return False
