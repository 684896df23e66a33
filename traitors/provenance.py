"""Who made each decision of a game, read from its events: the seat's own agent or model, a retry, or a
fallback (docs/reproducibility.md, "Provenance").

Every decision the engine asks for leaves one record: a ``Statement``, ``VoteCast``, ``BeliefReported`` or
``RecruitAnswered`` carrying ``decided_by``, or, when the engine abstained on a speech or a belief report
(no event of its own), the host-only ``DecisionFallback``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from traitors.events import (
    BeliefReported,
    DecidedBy,
    DecisionFallback,
    Event,
    RecruitAnswered,
    Statement,
    VoteCast,
)

#: The backends a model spec names: ``openai:MODEL``, ``langchain:PROVIDER:MODEL``, ``local[:PATH]``.
MODEL_BACKENDS: tuple[str, ...] = ("openai", "langchain", "local")


def is_model_spec(spec: object) -> bool:
    """Whether an agent spec names a language model (``openai:gpt-4o-mini``, ``langchain:…``, ``local``)
    rather than an offline agent (``heuristic``, ``random``, ``human``) or an import path such as
    ``mypkg.sleuth:Sleuth``: the one rule the runner, batches, agents and metrics share."""
    if not isinstance(spec, str):
        return False
    head = spec.strip().partition("?")[0]
    return head == "local" or (":" in head and head.partition(":")[0] in MODEL_BACKENDS)


#: The ``decided_by`` values that are the seat's own play (what by-model metrics count by default).
OWN_PLAY: frozenset[str] = frozenset({"agent", "model", "retry", "human"})
#: The kinds of decision whose engine fallback leaves no decision event, only a ``DecisionFallback``.
_SILENT = frozenset({"speak", "belief"})


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One decision: when, by which seat, of which kind, and who made it."""

    day: int
    seq: int
    player: str
    kind: str
    decided_by: DecidedBy


def decisions(events: Iterable[Event]) -> list[DecisionRecord]:
    """Every decision of a game in log order (``kind``: speak, belief, banish, murder, recruit, endgame,
    answer_offer)."""
    out = []
    for e in events:
        if isinstance(e, Statement):
            out.append(DecisionRecord(e.day, e.seq, e.speaker, "speak", e.decided_by))
        elif isinstance(e, VoteCast):
            out.append(DecisionRecord(e.day, e.seq, e.voter, e.kind, e.decided_by))
        elif isinstance(e, BeliefReported):
            out.append(DecisionRecord(e.day, e.seq, e.observer, "belief", e.decided_by))
        elif isinstance(e, RecruitAnswered):
            out.append(DecisionRecord(e.day, e.seq, e.player, "answer_offer", e.decided_by))
        elif isinstance(e, DecisionFallback) and e.source == "engine" and e.kind in _SILENT:
            out.append(DecisionRecord(e.day, e.seq, e.player, e.kind, "fallback"))
    return out


@dataclass(frozen=True, slots=True)
class FallbackShare:
    """How many of some seats' decisions a fallback made."""

    decisions: int
    fallbacks: int

    @property
    def rate(self) -> float | None:
        """``fallbacks / decisions``, or ``None`` when there was no decision."""
        return self.fallbacks / self.decisions if self.decisions else None


def fallback_share(events: Iterable[Event], players: Collection[str] | None = None) -> FallbackShare:
    """The share of the decisions of ``players`` (default: every seat) that a fallback made."""
    made = [d for d in decisions(events) if players is None or d.player in players]
    return FallbackShare(len(made), sum(d.decided_by == "fallback" for d in made))
