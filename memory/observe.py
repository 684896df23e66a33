"""What a player's memory says about an event it saw: one line of text and an importance in [0, 1], and
the baseline end-of-day reflection. Everything here reads only a :class:`~traitors.views.PlayerView`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    Event,
    GameEnded,
    Murdered,
    RecruitAnswered,
    RecruitOffered,
    ShieldAwarded,
    Statement,
    VoteCast,
)
from traitors.transcript import describe
from traitors.views import PlayerView

_BASE = {
    "day_started": 0.2,
    "mission_completed": 0.3,
    "shield_awarded": 0.5,
    "statement": 0.3,
    "belief_reported": 0.6,
    "vote_cast": 0.3,
    "vote_result": 0.4,
    "banished": 0.8,
    "murdered": 0.8,
    "murder_blocked": 0.7,
    "recruit_offered": 0.9,
    "recruit_answered": 0.9,
    "game_ended": 1.0,
}
_VERB = {"banish": "to banish", "murder": "to murder", "recruit": "to recruit", "endgame": ":"}


def render(event: Event) -> str:
    """One plain line for ``event`` (the same for every player who saw it)."""
    if isinstance(event, VoteCast):
        target = event.target if event.valid else "(invalid)"
        ballot = f" (ballot {event.ballot})" if event.ballot > 1 else ""
        return f"{event.voter} voted {_VERB[event.kind]} {target}{ballot}".replace(" : ", ": ")
    if isinstance(event, BeliefReported):
        ranked = sorted(event.beliefs.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"Day {event.day}, I believed P(traitor): " + ", ".join(f"{p} {v:.0%}" for p, v in ranked)
    if isinstance(event, GameEnded):
        traitors = ", ".join(sorted(p for p, r in event.roles.items() if r == "traitor"))
        return f"Game over on day {event.day}: the {event.winner} win; the Traitors were {traitors}."
    return describe(event) or event.type.replace("_", " ")


def importance(event: Event, me: str) -> float:
    """How much ``event`` matters to ``me``: a base per event type, raised when it concerns ``me``."""
    base = _BASE.get(event.type, 0.3)
    if isinstance(event, Statement):
        if event.channel == "traitors":
            base = 0.6
        if me in event.accuses:
            base += 0.4
        elif me in event.defends:
            base += 0.2
    elif isinstance(event, VoteCast) and event.target == me:
        base += 0.3
    elif isinstance(event, Banished) and event.revealed_role == "traitor":
        base = 1.0
    elif isinstance(event, ShieldAwarded | RecruitOffered | RecruitAnswered) and event.player == me:
        base = min(1.0, base + 0.2)
    return round(min(1.0, base), 3)


def day_events(view: PlayerView, day: int) -> list[Event]:
    """The events of ``day`` in ``view``."""
    return [e for e in view.events if e.day == day]


def baseline_reflection(view: PlayerView, day: int) -> str:
    """A reflection on ``day`` from the evidence this player saw that day: eliminations, who was accused
    and voted against, who targeted me, and what I believed. ``day`` 0 never happens (no evidence)."""
    events = day_events(view, day)
    parts = [f"Day {day} reflection ({view.me}, {view.role})."]
    for e in events:
        if isinstance(e, Banished | Murdered | GameEnded):
            parts.append(render(e))
    public = [e for e in events if isinstance(e, Statement) and e.channel == "public"]
    accused = Counter(t for e in public for t in e.accuses)
    first = [e for e in events if isinstance(e, VoteCast) and e.kind == "banish" and e.ballot == 1]
    votes = Counter(e.target for e in first if e.valid)
    if accused:
        parts.append("Most accused: " + _top(accused) + ".")
    if votes:
        parts.append("First-ballot votes: " + _top(votes) + ".")
    against = sorted(
        {e.voter for e in events if isinstance(e, VoteCast) and e.target == view.me}
        | {e.speaker for e in events if isinstance(e, Statement) and view.me in e.accuses}
    )
    if against:
        parts.append(f"Against me: {', '.join(against)}.")
    mine = [e for e in events if isinstance(e, BeliefReported) and e.observer == view.me]
    if mine:
        top = sorted(mine[-1].beliefs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        parts.append("My top suspects: " + ", ".join(f"{p} {v:.0%}" for p, v in top) + ".")
    return " ".join(parts)


def _top(counts: Counter[str], n: int = 3) -> str:
    return ", ".join(f"{p} ({c})" for p, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def new_day_started(events: Sequence[Event]) -> list[int]:
    """Days (≥ 2) that began among ``events``: each closes the previous day, which gets a reflection."""
    return [e.day for e in events if isinstance(e, DayStarted) and e.day >= 2]


_SUMMARY = re.compile(r"the Traitors were (?P<traitors>[^.]*)\. Players: (?P<players>[^.]*)\.")


def game_summary(view: PlayerView, ended: GameEnded) -> str:
    """The end-of-game belief summary kept for later games: who the Traitors were among whom, and how my
    last beliefs fared (parsed back by :func:`traitors_in_summary`)."""
    traitors = sorted(p for p, r in ended.roles.items() if r == "traitor")
    text = (
        f"Game over on day {ended.day}: the {ended.winner} win; the Traitors were {', '.join(traitors)}. "
        f"Players: {', '.join(view.players)}. I was {ended.roles.get(view.me, view.role)}."
    )
    mine = [e for e in view.events if isinstance(e, BeliefReported) and e.observer == view.me]
    if mine:
        top = sorted(mine[-1].beliefs.items(), key=lambda kv: (-kv[1], kv[0]))[: max(1, len(traitors))]
        hits = sum(1 for p, _ in top if p in traitors)
        text += f" My last top suspects: {', '.join(p for p, _ in top)} ({hits} of them Traitors)."
    return text


def traitors_in_summary(text: str) -> tuple[set[str], list[str]]:
    """(Traitors, players) named in a :func:`game_summary` text (empty when it is not one)."""
    match = _SUMMARY.search(text)
    if match is None:
        return set(), []
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    return set(split(match["traitors"])), split(match["players"])
