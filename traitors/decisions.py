"""What the engine asks an agent (``DecisionRequest``), what it gets back (``Decision``), and the check
that a decision is legal. The ``Agent`` protocol is the only interface between engine and deciders."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from traitors.events import BANISH_AGAIN, END, Channel, DecidedBy, ModelCallRecord, VoteKind

if TYPE_CHECKING:
    from traitors.views import PlayerView

DecisionKind = Literal["speak", "vote", "murder", "recruit", "answer_offer", "belief", "endgame"]
ACCEPT, DECLINE = "accept", "decline"

#: Options of the kinds whose answer is a fixed word rather than a player name.
FIXED_OPTIONS: dict[str, tuple[str, ...]] = {
    "answer_offer": (ACCEPT, DECLINE),
    "endgame": (END, BANISH_AGAIN),
}


#: The ballot kind each voting request kind fills (the one table; ``REQUEST_KIND_OF`` is its inverse).
VOTE_KIND_OF: dict[str, VoteKind] = {
    "vote": "banish",
    "murder": "murder",
    "recruit": "recruit",
    "endgame": "endgame",
}
REQUEST_KIND_OF: dict[VoteKind, str] = {v: k for k, v in VOTE_KIND_OF.items()}


class DecisionRequest(BaseModel):
    """One question to one agent. ``options`` are the legal choices (for ``speak`` and ``belief``: the
    players that may be named). ``seed`` is the agent's own randomness for this decision, derived from the
    game seed, so that a resumed game decides exactly as before."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: DecisionKind
    options: tuple[str, ...]
    seed: int
    channel: Channel = "public"
    ballot: int = 1
    turn: int = 0
    max_chars: int = 400
    error: str | None = None
    attempt: int = 1

    @property
    def vote_kind(self) -> VoteKind | None:
        """The ballot kind this request fills, if it is a vote."""
        return VOTE_KIND_OF.get(self.kind)


class Decision(BaseModel):
    """An agent's answer: ``choice`` for votes and answers, ``text`` (with optional structured
    ``accuses``/``defends``) for speech, ``beliefs`` (P(traitor) per player) for belief reports, the
    model calls it took (``calls``; the engine logs them as ``ModelCall`` events), and who made it
    (``decided_by``, see :data:`traitors.events.DecidedBy`; ``reason`` says why when a fallback did).
    ``reasoning`` is the agent's private reasoning, logged host-only (``DecisionReasoning``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    choice: str | None = None
    text: str = ""
    accuses: tuple[str, ...] = ()
    defends: tuple[str, ...] = ()
    beliefs: dict[str, float] = Field(default_factory=dict)
    calls: tuple[ModelCallRecord, ...] = ()
    decided_by: DecidedBy = "agent"
    reason: str = ""
    reasoning: str = ""


@runtime_checkable
class Agent(Protocol):
    """Anything that decides. It receives only its player's view."""

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer ``request`` from what ``view`` shows."""
        ...


def validate_decision(request: DecisionRequest, decision: Decision) -> str | None:
    """``None`` if ``decision`` legally answers ``request``, else a one-line reason."""
    if request.kind == "speak":
        named = set(decision.accuses) | set(decision.defends)
        bad = sorted(n for n in named if n not in request.options)
        if bad:
            return f"cannot accuse or defend {', '.join(bad)}: not among {', '.join(request.options)}"
        if not decision.text.strip():
            return "empty statement"
        return None
    if request.kind == "belief":
        missing = sorted(set(request.options) - set(decision.beliefs))
        extra = sorted(set(decision.beliefs) - set(request.options))
        if missing or extra:
            return f"beliefs must cover exactly {', '.join(request.options)}"
        bad = [k for k, v in decision.beliefs.items() if not (math.isfinite(v) and 0.0 <= v <= 1.0)]
        return f"probabilities out of [0, 1] for {', '.join(sorted(bad))}" if bad else None
    if decision.choice not in request.options:
        return f"{decision.choice!r} is not one of: {', '.join(request.options)}"
    return None
