"""How each kind of public event folds into a :class:`~agents.heuristic.record.PublicRecord`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from traitors.events import (
    Banished,
    DayStarted,
    Murdered,
    Statement,
    VoteCast,
    VoteResult,
)

if TYPE_CHECKING:
    from agents.heuristic.record import PublicRecord

ACC, DEF, VOTE = 0, 1, 2  # kinds of action one player takes towards another


def _day(t: PublicRecord, ev: DayStarted) -> None:
    if t.traitor_out_today and not t.murder_today:
        t.inferred_recruits += 1
    t.day, t.focal_cache = ev.day, {}
    t.traitor_out_today = t.murder_today = False


def _statement(t: PublicRecord, ev: Statement) -> None:
    if ev.channel != "public":
        return
    for target in ev.accuses:
        if t.heat.get(target, 0) and t.score.get(target, 0.0) <= 0.0 and target not in t.known:
            t.add(ev.speaker, "bandwagon", target)  # joins a pile-on with no public evidence behind it
        t.act(ACC, ev.speaker, target)
        t.latest[ev.speaker] = target
        t.heat[target] += 1
    for target in ev.defends:
        t.act(DEF, ev.speaker, target)


def _vote(t: PublicRecord, ev: VoteCast) -> None:
    if ev.kind == "banish" and ev.valid and ev.target is not None:
        t.open_ballot[ev.voter] = ev.target
        t.act(VOTE, ev.voter, ev.target, len(t.ballots))


def _result(t: PublicRecord, ev: VoteResult) -> None:
    if ev.kind != "banish":
        return
    t.ballots.append(t.open_ballot)
    t.open_ballot = {}
    t.tied = ev.tied if ev.outcome == "tie" else ()
    if ev.outcome != "tie":
        t.heat.clear()
        t.latest.clear()


def _banished(t: PublicRecord, ev: Banished) -> None:
    if ev.revealed_role is None:
        t.unrevealed_banished += 1
        return
    if ev.revealed_role == "traitor":
        t.revealed_traitors += 1
        t.traitor_out_today = True
    t.learn(ev.player, ev.revealed_role, murdered=False)


def _murdered(t: PublicRecord, ev: Murdered) -> None:
    t.murdered.append(ev.player)
    t.murder_today = True
    t.learn(ev.player, "faithful", murdered=True)


HANDLERS: dict[str, Callable[[PublicRecord, Any], None]] = {
    "day_started": _day,
    "statement": _statement,
    "vote_cast": _vote,
    "vote_result": _result,
    "banished": _banished,
    "murdered": _murdered,
}
