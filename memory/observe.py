"""What a player's memory says about an event it saw — a :class:`Note`: one line of text and an importance
in [0, 1] — and the baseline end-of-day reflection and end-of-game summary. Everything here reads only
events of a :class:`~traitors.views.PlayerView`."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from traitors.events import (
    BeliefReported,
    Event,
    GameEnded,
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
_DIGESTED = ("banished", "murdered", "game_ended")
_CONCERNS_ONE = ("shield_awarded", "recruit_offered", "recruit_answered")
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
    etype = event.type  # dispatch on the type name: isinstance on pydantic models is slow
    base = _BASE.get(etype, 0.3)
    if etype == "statement":
        said: Statement = event  # type: ignore[assignment]
        base = 0.6 if said.channel == "traitors" else base
        personal = {p: min(1.0, base + 0.2) for p in said.defends}
        personal.update({p: min(1.0, base + 0.4) for p in said.accuses})
        return Note(render(event), base, personal)
    if etype == "vote_cast":
        target = event.target  # type: ignore[union-attr]
        return Note(render(event), base, {target: 0.6} if target else {})
    if etype == "banished" and event.revealed_role == "traitor":  # type: ignore[union-attr]
        return Note(render(event), 1.0)
    if etype in _CONCERNS_ONE:
        return Note(render(event), base, {event.player: min(1.0, base + 0.2)})  # type: ignore[union-attr]
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
    personal = {v.target: 0.7 for v in votes if v.target}  # (every living player votes: no bump for that)
    if result.target:
        personal[result.target] = 0.8
    return Note(f"{head}: {cast}. Result: {outcome}.", 0.5, personal)


def render(event: Event) -> str:
    """One plain line for ``event`` (dispatch on the type name: isinstance on pydantic models is slow)."""
    etype = event.type
    if etype == "statement":
        where = "[Traitors] " if event.channel == "traitors" else ""  # type: ignore[union-attr]
        return f"{where}{event.speaker}: {event.text}"  # type: ignore[union-attr]
    if etype == "day_started":
        return f"— Day {event.day} —"
    if etype == "vote_cast":
        vote: VoteCast = event  # type: ignore[assignment]
        target = vote.target if vote.valid else "(invalid)"
        ballot = f" (ballot {vote.ballot})" if vote.ballot > 1 else ""
        return f"{vote.voter} voted {vote.kind} {target}{ballot}"
    if etype == "belief_reported":
        report: BeliefReported = event  # type: ignore[assignment]
        return f"Day {report.day}, I believed P(traitor): " + percents(report.beliefs)
    if etype == "game_ended":
        ended: GameEnded = event  # type: ignore[assignment]
        traitors = ", ".join(sorted(p for p, r in ended.roles.items() if r == "traitor"))
        return f"Game over on day {ended.day}: the {ended.winner} win; the Traitors were {traitors}."
    return describe(event) or event.type.replace("_", " ")


def ranked(beliefs: Mapping[str, float]) -> list[str]:
    """Players by belief, highest first, ties by name."""
    names = sorted(beliefs)
    names.sort(key=beliefs.__getitem__, reverse=True)  # stable: ties keep the name order
    return names


def percents(beliefs: Mapping[str, float], n: int | None = None) -> str:
    """``"Bea 80%, Gus 40%"``: the ``n`` (default all) highest beliefs, ranked."""
    return ", ".join([f"{p} {round(100 * beliefs[p])}%" for p in ranked(beliefs)[:n]])


@dataclass(frozen=True, slots=True)
class DayDigest:
    """The public evidence of one closed day, the same for every player: eliminations, the most
    accused, the first-ballot votes, and per player who publicly accused or voted against them."""

    lines: tuple[str, ...]
    against: dict[str, tuple[str, ...]]


def day_digest(events: Sequence[Event], day: int) -> DayDigest:
    """The digest of ``day`` from the public events among ``events`` (a view that has seen the day end)."""
    day_of = attrgetter("day")  # events are in seq order, so days never decrease
    start, stop = bisect_left(events, day, key=day_of), bisect_right(events, day, key=day_of)
    public = [e for e in events[start:stop] if e.audience is None]
    lines = [render(e) for e in public if e.type in _DIGESTED]
    said: list[Statement] = [e for e in public if e.type == "statement"]  # type: ignore[misc]
    ballots: list[VoteCast] = [
        e  # type: ignore[misc]
        for e in public
        if e.type == "vote_cast" and e.kind == "banish" and e.valid  # type: ignore[union-attr]
    ]
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
    role: str | None = None,
) -> str:
    """A reflection on ``day`` from the evidence this player saw: the day's public digest (eliminations,
    who was accused and voted against, who targeted me) and what I believed that day. ``reports``: this
    player's last belief report of each day, where the caller kept them (else the view is searched);
    ``role``: its role when the day closed (a recruit was Faithful before; default its role now)."""
    digest = digest or day_digest(view.events, day)
    parts = [f"Day {day} reflection ({view.me}, {role or view.role}).", *digest.lines]
    if digest.against.get(view.me):
        parts.append(f"Against me: {', '.join(digest.against[view.me])}.")
    mine = reports[day] if reports is not None and day in reports else last_beliefs(view, day)
    if mine is not None:
        parts.append(f"My top suspects: {percents(mine.beliefs, 3)}.")
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


def game_summary(view: PlayerView, ended: GameEnded, last: BeliefReported | None = None) -> str:
    """The end-of-game belief summary kept for later games: who the Traitors were among whom, and how my
    last beliefs fared (parsed back by :func:`traitors_in_summary`). ``last``: my last belief report, where
    the caller kept it (else the view is searched)."""
    traitors = sorted(p for p, r in ended.roles.items() if r == "traitor")
    text = (
        f"Game over on day {ended.day}: the {ended.winner} win; the Traitors were {', '.join(traitors)}. "
        f"Players: {', '.join(view.players)}. I was {ended.roles.get(view.me, view.role)}."
    )
    mine = last or last_beliefs(view)
    if mine is not None:
        top = ranked(mine.beliefs)[: max(1, len(traitors))]
        hits = sum(1 for p in top if p in traitors)
        text += f" My last top suspects: {', '.join(top)} ({hits} of them Traitors)."
    return text


def traitors_in_summary(text: str) -> tuple[set[str], list[str]]:
    """(Traitors, players) named in a :func:`game_summary` text (empty when it is not one)."""
    match = _SUMMARY.search(text)
    if match is None:
        return set(), []
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    return set(split(match["traitors"])), split(match["players"])
