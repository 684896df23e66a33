"""How each kind of event folds into a :class:`~agents.heuristic.tracker.Tracker` (one handler per type)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from traitors.events import Banished, DayStarted, Murdered, RecruitOffered, Statement, VoteCast, VoteResult

if TYPE_CHECKING:
    from agents.heuristic.tracker import Tracker

ACC, DEF, VOTE = 0, 1, 2  # kinds of action one player takes towards another


def _day(t: Tracker, ev: DayStarted) -> None:
    if t.traitor_out_today and not t.murder_today:
        t.inferred_recruits += 1
    t.day, t.proposals, t._focal = ev.day, [], {}
    t.traitor_out_today = t.murder_today = False


def _statement(t: Tracker, ev: Statement) -> None:
    if ev.channel == "traitors":
        t.proposals.append((ev.speaker, ev.accuses))
        if len(t.proposals) == 1:
            t.plan = ev.accuses
        return
    for target in ev.accuses:
        if t.heat.get(target, 0) and t.score.get(target, 0.0) <= 0.0 and target not in t.known:
            t.add(ev.speaker, "bandwagon", target)  # joins a pile-on with no public evidence behind it
        t.act(ACC, ev.speaker, target)
        t.latest[ev.speaker] = target
        t.heat[target] += 1
    for target in ev.defends:
        t.act(DEF, ev.speaker, target)


def _vote(t: Tracker, ev: VoteCast) -> None:
    if ev.kind == "banish" and ev.valid and ev.target is not None:
        t.open_ballot[ev.voter] = ev.target
        t.act(VOTE, ev.voter, ev.target, len(t.ballots))


def _result(t: Tracker, ev: VoteResult) -> None:
    if ev.kind != "banish":
        return
    t.ballots.append(t.open_ballot)
    t.open_ballot = {}
    t.tied = ev.tied if ev.outcome == "tie" else ()
    if ev.outcome != "tie":
        t.heat.clear()
        t.latest.clear()


def _banished(t: Tracker, ev: Banished) -> None:
    if ev.revealed_role is None:
        t.unrevealed_banished += 1
        return
    if ev.revealed_role == "traitor":
        t.revealed_traitors += 1
        t.traitor_out_today = True
    t.learn(ev.player, ev.revealed_role, murdered=False)


def _murdered(t: Tracker, ev: Murdered) -> None:
    t.murdered.append(ev.player)
    t.murder_today = True
    t.learn(ev.player, "faithful", murdered=True)


def _offered(t: Tracker, ev: RecruitOffered) -> None:
    if ev.player == t.me:
        t.offer_ultimatum = ev.ultimatum


HANDLERS: dict[str, Callable[[Tracker, Any], None]] = {
    "day_started": _day,
    "statement": _statement,
    "vote_cast": _vote,
    "vote_result": _result,
    "banished": _banished,
    "murdered": _murdered,
    "recruit_offered": _offered,
}
