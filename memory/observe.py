"""What a player's memory says about an event it saw — a :class:`Note`: one line of text and an importance
in [0, 1] — and the baseline end-of-day reflection and end-of-game summary. Everything here reads only
events of a :class:`~traitors.views.PlayerView`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from traitors.events import (
    Banished,
    BeliefReported,
    Event,
    GameEnded,
    Murdered,
    RecruitAnswered,
    RecruitOffered,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteResult,
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
_BALLOT = {"banish": "Banishment vote", "murder": "Murder vote", "recruit": "Recruitment vote"}


@dataclass(frozen=True, slots=True)
class Note:
    """What an event (or a ballot) becomes in memory: one line, a base importance, and a higher
    importance for the players it concerns."""

    text: str
    base: float
    personal: dict[str, float] = field(default_factory=dict)

    def importance(self, me: str) -> float:
        """Importance of this note to ``me``."""
        return self.personal.get(me, self.base)


def note(event: Event) -> Note:
    """The memory note of one event (the same for every player who saw it)."""
    base = _BASE.get(event.type, 0.3)
    if isinstance(event, Statement):
        base = 0.6 if event.channel == "traitors" else base
        personal = {p: min(1.0, base + 0.2) for p in event.defends}
        personal.update({p: min(1.0, base + 0.4) for p in event.accuses})
        return Note(render(event), base, personal)
    if isinstance(event, VoteCast):
        return Note(render(event), base, {event.target: 0.6} if event.target else {})
    if isinstance(event, Banished) and event.revealed_role == "traitor":
        return Note(render(event), 1.0)
    if isinstance(event, ShieldAwarded | RecruitOffered | RecruitAnswered):
        return Note(render(event), base, {event.player: min(1.0, base + 0.2)})
    return Note(render(event), base)


def ballot_note(votes: Sequence[VoteCast], result: VoteResult) -> Note:
    """One note for a ballot: every vote cast and the result (votes are cast and shown together)."""
    head = _BALLOT.get(result.kind, "Endgame vote") + (
        f" (ballot {result.ballot})" if result.ballot > 1 else ""
    )
    cast = ", ".join(f"{v.voter}→{v.target if v.valid else '(invalid)'}" for v in votes)
    outcome = {
        "decided": f"{result.target} chosen",
        "tie": f"tie between {', '.join(result.tied)}",
        "tie_broken": f"still tied, {result.target} chosen by lot",
        "no_decision": "no decision",
    }[result.outcome]
    personal = {v.voter: 0.5 for v in votes}
    personal.update({v.target: 0.7 for v in votes if v.target})
    if result.target:
        personal[result.target] = 0.8
    return Note(f"{head}: {cast}. Result: {outcome}.", 0.4, personal)


def render(event: Event) -> str:
    """One plain line for ``event`` (dispatch on the type name: isinstance on pydantic models is slow)."""
    etype = event.type
    if etype == "statement":
        where = "[Traitors] " if event.channel == "traitors" else ""  # type: ignore[union-attr]
        return f"{where}{event.speaker}: {event.text}"  # type: ignore[union-attr]
    if etype == "day_started":
        return f"— Day {event.day} —"
    if isinstance(event, VoteCast):
        target = event.target if event.valid else "(invalid)"
        ballot = f" (ballot {event.ballot})" if event.ballot > 1 else ""
        return f"{event.voter} voted {event.kind} {target}{ballot}"
    if isinstance(event, BeliefReported):
        ranked = sorted(event.beliefs.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"Day {event.day}, I believed P(traitor): " + ", ".join(
            f"{p} {round(100 * v)}%" for p, v in ranked
        )
    if isinstance(event, GameEnded):
        traitors = ", ".join(sorted(p for p, r in event.roles.items() if r == "traitor"))
        return f"Game over on day {event.day}: the {event.winner} win; the Traitors were {traitors}."
    return describe(event) or event.type.replace("_", " ")


@dataclass(frozen=True, slots=True)
class DayDigest:
    """The public evidence of one closed day, the same for every player: eliminations, the most
    accused, the first-ballot votes, and per player who publicly accused or voted against them."""

    lines: tuple[str, ...]
    against: dict[str, tuple[str, ...]]


def day_digest(events: Sequence[Event], day: int) -> DayDigest:
    """The digest of ``day`` from the public events among ``events`` (a view that has seen the day end)."""
    public = [e for e in events if e.day == day and e.audience is None]
    lines = [render(e) for e in public if isinstance(e, Banished | Murdered | GameEnded)]
    said = [e for e in public if isinstance(e, Statement)]
    ballots = [e for e in public if isinstance(e, VoteCast) and e.kind == "banish" and e.valid]
    accused = Counter(t for e in said for t in e.accuses)
    votes = Counter(e.target for e in ballots if e.ballot == 1)
    if accused:
        lines.append("Most accused: " + _top(accused) + ".")
    if votes:
        lines.append("First-ballot votes: " + _top(votes) + ".")
    against: dict[str, set[str]] = {}
    for e in ballots:
        against.setdefault(str(e.target), set()).add(e.voter)
    for e in said:
        for t in e.accuses:
            against.setdefault(t, set()).add(e.speaker)
    return DayDigest(tuple(lines), {p: tuple(sorted(v)) for p, v in against.items()})


def baseline_reflection(
    view: PlayerView,
    day: int,
    digest: DayDigest | None = None,
    reports: Mapping[int, BeliefReported] | None = None,
) -> str:
    """A reflection on ``day`` from the evidence this player saw: the day's public digest (eliminations,
    who was accused and voted against, who targeted me) and what I believed that day. ``reports``: this
    player's last belief report of each day, where the caller kept them (else the view is searched)."""
    digest = digest or day_digest(view.events, day)
    parts = [f"Day {day} reflection ({view.me}, {view.role}).", *digest.lines]
    if digest.against.get(view.me):
        parts.append(f"Against me: {', '.join(digest.against[view.me])}.")
    mine = reports[day] if reports is not None and day in reports else last_beliefs(view, day)
    if mine is not None:
        top = sorted(mine.beliefs.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        parts.append("My top suspects: " + ", ".join(f"{p} {round(100 * v)}%" for p, v in top) + ".")
    return " ".join(parts)


def last_beliefs(view: PlayerView, day: int | None = None) -> BeliefReported | None:
    """This player's last belief report (of ``day``, when given), searched from the newest event."""
    for e in reversed(view.events):
        if day is not None and e.day < day:
            return None
        if e.type == "belief_reported" and e.observer == view.me and (day is None or e.day == day):  # type: ignore[union-attr]
            return e  # type: ignore[return-value]
    return None


def _top(counts: Counter[str], n: int = 3) -> str:
    return ", ".join(f"{p} ({c})" for p, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


_SUMMARY = re.compile(r"the Traitors were (?P<traitors>[^.]*)\. Players: (?P<players>[^.]*)\.")


def game_summary(view: PlayerView, ended: GameEnded) -> str:
    """The end-of-game belief summary kept for later games: who the Traitors were among whom, and how my
    last beliefs fared (parsed back by :func:`traitors_in_summary`)."""
    traitors = sorted(p for p, r in ended.roles.items() if r == "traitor")
    text = (
        f"Game over on day {ended.day}: the {ended.winner} win; the Traitors were {', '.join(traitors)}. "
        f"Players: {', '.join(view.players)}. I was {ended.roles.get(view.me, view.role)}."
    )
    mine = last_beliefs(view)
    if mine is not None:
        top = sorted(mine.beliefs.items(), key=lambda kv: (-kv[1], kv[0]))[: max(1, len(traitors))]
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
