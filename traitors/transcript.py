"""Plain-text lines for events: the CLI's narration and ``traitors show`` (no styling, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    DecisionFallback,
    Event,
    GameCreated,
    GameEnded,
    MissionCompleted,
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

_BALLOT = {
    "banish": "Banishment vote",
    "murder": "Murder vote",
    "recruit": "Recruitment vote",
    "endgame": "Endgame vote",
}


#: Characters a terminal would act on: C0 and C1 controls (ANSI escapes start with ESC), DEL, the Unicode
#: line and paragraph separators, and the bidirectional overrides and isolates (text that reads reversed).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_FOLDED = frozenset("\n\r\t\v\f\u2028\u2029")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _FOLDED:
        return " "
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: line breaks and tabs folded into spaces, every other control
    character shown escaped (``\x1b`` for ESC), so speech or a name can neither colour the terminal nor
    forge a line. For the CLI and narration only: stored events and exports keep the raw text."""
    return _UNSAFE.sub(_shown, text)


#: The mark after a line (or a vote) that the seat did not decide itself.
FALLBACK_MARK = " [fallback]"


def _mark(decided_by: str) -> str:
    return FALLBACK_MARK if decided_by == "fallback" else ""


def _vote_lines(votes: list[VoteCast]) -> str:
    first = votes[0]
    ballot = f" (revote {first.ballot})" if first.ballot > 1 else ""
    cast = ", ".join(f"{v.voter}→{v.target if v.valid else '(invalid)'}{_mark(v.decided_by)}" for v in votes)
    return f"{_BALLOT[first.kind]}{ballot}: {cast}"


def describe(event: Event) -> str | None:
    """One line for an event, or ``None`` for events that narrate as a group (votes) or not at all."""
    match event:
        case GameCreated():
            names = ", ".join(p.name for p in event.players)
            return f"Game {event.game_id}: scenario {event.scenario}, seed {event.seed}, players {names}"
        case RolesAssigned():
            traitors = sorted(p for p, r in event.roles.items() if r == "traitor")
            return f"The Traitors are {', '.join(traitors)}."
        case DayStarted():
            return f"— Day {event.day} —"
        case MissionCompleted():
            outcome = f"succeeded: +{event.pot_added}" if event.success else "failed"
            return f"The mission {outcome} (pot {event.pot_total})."
        case ShieldAwarded():
            return f"{event.player} won a shield."
        case Statement():
            where = "[Traitors] " if event.channel == "traitors" else ""
            return f"{where}{event.speaker}: {event.text}{_mark(event.decided_by)}"
        case BeliefReported():
            top = sorted(event.beliefs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            suspects = ", ".join(f"{p} {v:.0%}" for p, v in top)
            return f"{event.observer} suspects {suspects}{_mark(event.decided_by)}"
        case VoteResult(outcome="tie"):
            return f"Tie between {', '.join(event.tied)}: revote."
        case VoteResult(outcome="no_decision", kind="banish"):
            return "Still tied: nobody is banished today."
        case VoteResult(outcome="tie_broken"):
            return f"Still tied: {event.target} chosen by lot."
        case VoteResult(kind="endgame"):
            return "Unanimous: the game ends." if event.target == "end" else "Not unanimous: banish again."
        case Banished():
            role = (
                f", a {event.revealed_role.capitalize()}" if event.revealed_role else " (role not revealed)"
            )
            return f"{event.player} is banished{role}."
        case Murdered():
            return f"{event.player} was murdered in the night."
        case MurderBlocked():
            return f"{event.player} was shielded: the murder failed."
        case RecruitOffered():
            kind = "an ultimatum" if event.ultimatum else "an offer"
            return f"The Traitors make {event.player} {kind} to join them."
        case RecruitAnswered():
            return f"{event.player} {'accepts' if event.accepted else 'declines'}.{_mark(event.decided_by)}"
        case DecisionFallback(source="agent"):
            return f"({event.player}'s {event.kind} was made by the agent's fallback: {event.error})"
        case DecisionFallback():
            return f"({event.player} gave no legal {event.kind} after {event.attempts} tries: {event.error})"
        case GameEnded():
            traitors = ", ".join(sorted(p for p, r in event.roles.items() if r == "traitor"))
            winner = "The Faithful win" if event.winner == "faithful" else "The Traitors win"
            return f"{winner} ({event.reason.replace('_', ' ')}). Traitors: {traitors}."
    return None


def lines(events: Iterable[Event]) -> Iterator[tuple[Event, str]]:
    """(event, text) pairs for a sequence of events; each ballot's votes become one line, every line
    :func:`printable`."""
    pending: list[VoteCast] = []
    for event in events:
        if pending and not (
            isinstance(event, VoteCast) and (event.kind, event.ballot) == (pending[0].kind, pending[0].ballot)
        ):
            yield pending[0], printable(_vote_lines(pending))
            pending = []
        if isinstance(event, VoteCast):
            pending.append(event)
            continue
        text = describe(event)
        if text is not None:
            yield event, printable(text)
    if pending:
        yield pending[0], printable(_vote_lines(pending))
