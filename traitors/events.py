"""Typed game events: one pydantic discriminated union, the only record of a game.

Every event carries ``game_id``, ``seq`` (0, 1, 2, ... per game), ``day``, ``phase`` and ``audience``:
``None`` means public; otherwise the tuple of players who saw it *when it happened* (a Faithful recruited
later does not see earlier Traitor-channel talk). An empty tuple means only the host (omniscient) saw it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

Role = Literal["faithful", "traitor"]
Phase = Literal["setup", "breakfast", "mission", "roundtable", "night", "end"]
VoteKind = Literal["banish", "murder", "recruit", "endgame"]
Channel = Literal["public", "traitors"]
Winner = Literal["faithful", "traitors"]
#: Who made a decision: ``agent`` (a non-model agent such as ``heuristic`` or ``random``, first answer),
#: ``model`` (a language model's first answer), ``retry`` (the seat's answer after a correction: the
#: model's correction prompt or the engine's re-ask with the error), ``fallback`` (not the seat: an LLM
#: agent's built-in heuristic, or the engine's abstention when no legal answer came), ``human``.
DecidedBy = Literal["agent", "model", "retry", "fallback", "human"]

#: The seeding scheme new games use (``GameCreated.seeding``). Scheme 1 derived request seeds and the
#: banishment tie-break from the log position ``seq`` and let the heuristic hash the game id; scheme 2
#: derives every draw from the seed and a logical position only (docs/reproducibility.md).
SEEDING = 2

END, BANISH_AGAIN = "end", "banish_again"
NO_RECRUIT = "none"


class PlayerInfo(BaseModel):
    """A seat: its name and who plays it (agent kind, model id or import path), an optional persona, and
    the version of the installed package that provided a custom agent (left out of the JSON when none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    agent: str
    persona: str = ""
    version: str = Field("", exclude_if=lambda v: not v)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    game_id: str
    seq: int = Field(ge=0)
    day: int = Field(ge=0)
    phase: Phase
    audience: tuple[str, ...] | None = None

    def visible_to(self, player: str) -> bool:
        """Whether ``player`` saw this event."""
        return self.audience is None or player in self.audience


class GameCreated(_Event):
    type: Literal["game_created"] = "game_created"
    scenario: str
    config: dict
    seed: int
    players: tuple[PlayerInfo, ...]
    seeding: int = 1  # absent in logs made before scheme 2


class RolesAssigned(_Event):
    """Secret role of every seat (host only; views derive each player's own knowledge from it)."""

    type: Literal["roles_assigned"] = "roles_assigned"
    roles: dict[str, Role]


class DayStarted(_Event):
    type: Literal["day_started"] = "day_started"


class MissionCompleted(_Event):
    type: Literal["mission_completed"] = "mission_completed"
    success: bool
    pot_added: int
    pot_total: int


class ShieldAwarded(_Event):
    type: Literal["shield_awarded"] = "shield_awarded"
    player: str


class Statement(_Event):
    type: Literal["statement"] = "statement"
    speaker: str
    channel: Channel
    turn: int
    text: str
    accuses: tuple[str, ...] = ()
    defends: tuple[str, ...] = ()
    decided_by: DecidedBy = "agent"


class BeliefReported(_Event):
    """An observer's P(traitor) for each other living player, and its short reason (at most 250
    characters; empty when the agent gave none)."""

    type: Literal["belief_reported"] = "belief_reported"
    observer: str
    beliefs: dict[str, float]
    rationale: str = ""
    decided_by: DecidedBy = "agent"


class VoteCast(_Event):
    """One ballot. ``valid`` is False when the agent gave no legal choice after retries (not counted)."""

    type: Literal["vote_cast"] = "vote_cast"
    kind: VoteKind
    ballot: int
    voter: str
    target: str | None
    valid: bool = True
    decided_by: DecidedBy = "agent"


class VoteResult(_Event):
    type: Literal["vote_result"] = "vote_result"
    kind: VoteKind
    ballot: int
    counts: dict[str, int]
    outcome: Literal["decided", "tie", "tie_broken", "no_decision"]
    target: str | None = None
    tied: tuple[str, ...] = ()


class Banished(_Event):
    type: Literal["banished"] = "banished"
    player: str
    revealed_role: Role | None


class Murdered(_Event):
    type: Literal["murdered"] = "murdered"
    player: str


class MurderBlocked(_Event):
    """The chosen victim held a shield; nobody dies tonight."""

    type: Literal["murder_blocked"] = "murder_blocked"
    player: str


class RecruitOffered(_Event):
    type: Literal["recruit_offered"] = "recruit_offered"
    player: str
    ultimatum: bool


class RecruitAnswered(_Event):
    type: Literal["recruit_answered"] = "recruit_answered"
    player: str
    accepted: bool
    decided_by: DecidedBy = "agent"


class DecisionFallback(_Event):
    """A decision the seat did not make (host only): ``source="engine"`` when the agent gave no legal
    answer after the allowed retries (the engine abstains: an invalid ``VoteCast``, no statement, no belief
    report, a declined offer); ``source="agent"`` when the agent's own fallback (an LLM agent's heuristic)
    chose. ``error`` is the reason."""

    type: Literal["decision_fallback"] = "decision_fallback"
    player: str
    kind: str
    attempts: int
    error: str
    source: Literal["engine", "agent"] = "engine"


class DecisionReasoning(_Event):
    """The private reasoning an agent gave with one decision (host only: never in any player's view).
    ``kind``, ``ballot``, ``turn`` and ``channel`` with ``day`` and ``player`` name the decision."""

    type: Literal["decision_reasoning"] = "decision_reasoning"
    player: str
    kind: str
    ballot: int = 1
    turn: int = 0
    channel: Channel = "public"
    text: str


class ModelCallRecord(BaseModel):
    """The reproducible facts of one model call made for a decision (measurements such as latency, cost and
    cache hits live in the ``model_calls`` table, so that a re-run from the cache logs identical events)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    purpose: str
    model: str
    route: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0  # a reasoning model's hidden reasoning, part of completion_tokens
    attempts: int = 1
    outcome: Literal["ok", "retried", "fallback", "error"] = "ok"
    request_hash: str = ""


class ModelCall(_Event, ModelCallRecord):
    """A model call made on behalf of ``player`` (host only)."""

    type: Literal["model_call"] = "model_call"
    player: str


class GameEnded(_Event):
    type: Literal["game_ended"] = "game_ended"
    winner: Winner
    reason: Literal["all_traitors_gone", "parity", "endgame_vote", "max_days"]
    roles: dict[str, Role]


Event = Annotated[
    GameCreated
    | RolesAssigned
    | DayStarted
    | MissionCompleted
    | ShieldAwarded
    | Statement
    | BeliefReported
    | VoteCast
    | VoteResult
    | Banished
    | Murdered
    | MurderBlocked
    | RecruitOffered
    | RecruitAnswered
    | DecisionFallback
    | DecisionReasoning
    | ModelCall
    | GameEnded,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_to_json(event: Event) -> str:
    """Canonical JSON of an event (what the store keeps; byte-identical for equal events)."""
    return event.model_dump_json()


def event_from_json(text: str | bytes) -> Event:
    """Parse one event from its canonical JSON."""
    return EVENT_ADAPTER.validate_json(text)
