"""How a heuristic Traitor plays: pass as a Faithful, steer the table off its fellows, murder the danger.

In public a Traitor reasons like a heuristic Faithful over the public evidence (its own hunch breaks ties,
so Traitors do not pile on together) but never picks a fellow. It predicts the vote from each speaker's
latest accusation; it joins a Faithful who is the likely outcome anyway, all Traitors push the same
scapegoat (the most-suspected Faithful) only when a fellow is at risk, and a fellow the Faithfuls have
already doomed is thrown under the bus. At night it murders the Faithful most dangerous to the Traitors
(who accused or voted for them, recently) and keeps the scapegoat alive for the next round table.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from agents.heuristic import weights as W
from agents.heuristic.evidence import public_scores, ranked
from agents.heuristic.tracker import Tracker
from traitors.events import NO_RECRUIT
from traitors.views import PlayerView


def traitors_of(view: PlayerView) -> set[str]:
    """This Traitor and its fellows (alive or not)."""
    return {view.me, *view.fellow_traitors}


def living_faithful(view: PlayerView) -> list[str]:
    """Living players this Traitor knows to be Faithful."""
    team = traitors_of(view)
    return [p for p in view.alive if p not in team]


def faithful_votes(tracker: Tracker, view: PlayerView) -> Counter[str]:
    """Predicted Faithful votes: each living Faithful speaker's latest accusation this round."""
    team, alive = traitors_of(view), set(view.alive)
    return Counter(t for s, t in tracker.latest.items() if s not in team and s in alive)


def doomed(tracker: Tracker, view: PlayerView, player: str) -> bool:
    """Whether most living Faithfuls already accuse ``player`` (no point in saving them)."""
    n_faithful = len(living_faithful(view))
    return faithful_votes(tracker, view)[player] >= max(2, math.ceil(n_faithful / 2))


def predicted_banishment(tracker: Tracker, view: PlayerView) -> str:
    """Whom the table will most likely banish now (among the tied on a revote)."""
    pool = [p for p in tracker.tied if p in view.alive] or list(view.alive)
    votes, scores, focal = Counter(tracker.latest.values()), public_scores(tracker, pool, 0.0), tracker.focal
    return min(pool, key=lambda p: (-votes[p], -scores[p], focal(p), p))


def scapegoat(tracker: Tracker, view: PlayerView, pool: Iterable[str] | None = None) -> str | None:
    """The Faithful the table suspects most (votes, then evidence): the one all Traitors push."""
    pool = [p for p in (living_faithful(view) if pool is None else pool)]
    if not pool:
        return None
    votes, scores, focal = faithful_votes(tracker, view), public_scores(tracker, pool, 0.0), tracker.focal
    planned = tracker.plan[1] if len(tracker.plan) > 1 else None
    return min(pool, key=lambda p: (-votes[p], -scores[p], p != planned, focal(p), p))


def cover_pick(tracker: Tracker, view: PlayerView, pool: Sequence[str]) -> str:
    """The Faithful this Traitor would name if it were Faithful: public evidence, then its own hunch."""
    scores = public_scores(tracker, pool, W.HEAT)
    for p in scores:
        scores[p] += tracker.me_score.get(p, 0.0)
    return ranked(tracker, scores, own=True)[0]


def danger(tracker: Tracker, view: PlayerView, faithful: str) -> float:
    """How dangerous ``faithful`` is to the Traitors: accusations and votes against them, recent ones more."""
    total, alive = 0.0, set(view.alive)
    for t in traitors_of(view):
        pair = tracker.pairs.get((faithful, t))
        if pair is None:
            continue
        weight = 1.0 if t in alive else 0.5
        total += weight * (pair[0] + 1.5 * pair[1] + (1.0 if pair[2] >= tracker.day - 1 else 0.0))
    return total - 0.2 * public_scores(tracker, (faithful,), 0.0)[faithful]


def night_plan(tracker: Tracker, view: PlayerView) -> tuple[str | None, str | None]:
    """(victim, scapegoat) for tonight and tomorrow; tonight's first proposal in the channel wins."""
    faithful = living_faithful(view)
    if tracker.proposals:
        proposal = tracker.proposals[0][1]
        if proposal and proposal[0] in faithful:
            goat = proposal[1] if len(proposal) > 1 and proposal[1] in faithful else None
            return proposal[0], goat
    goat = scapegoat(tracker, view)
    pool = [f for f in faithful if f != goat] or faithful
    if not pool:
        return None, goat
    focal = tracker.focal
    return max(pool, key=lambda f: (danger(tracker, view, f), -focal(f), f)), goat


def banish_vote(tracker: Tracker, view: PlayerView, options: Sequence[str]) -> str:
    """A banishment vote that protects the Traitors without a needless bloc."""
    team = traitors_of(view)
    fopts = [o for o in options if o not in team]
    if not fopts:  # only Traitors to choose from: the one the table is set on
        votes = Counter(tracker.latest.values())
        return min(options, key=lambda o: (-votes[o], o))
    likely = predicted_banishment(tracker, view)
    if likely in team:
        if likely != view.me and likely in options and doomed(tracker, view, likely):
            return likely  # under the bus: the table has decided anyway
        return scapegoat(tracker, view, fopts) or fopts[0]  # all Traitors on one Faithful to save a fellow
    if likely in fopts and faithful_votes(tracker, view)[likely] > 0:
        return likely  # the likely outcome anyway: joining it is not conspicuous
    return cover_pick(tracker, view, fopts)


def murder_vote(tracker: Tracker, view: PlayerView, options: Sequence[str]) -> str:
    """Tonight's victim: the agreed (or own) plan if legal, else the most dangerous option."""
    victim, _ = night_plan(tracker, view)
    if victim in options:
        return victim
    focal = tracker.focal
    return max(options, key=lambda f: (danger(tracker, view, f), -focal(f), f))


def recruit_vote(tracker: Tracker, view: PlayerView, options: Sequence[str]) -> str:
    """Recruit the least-suspected Faithful (a recruit the table trusts is safest); 'none' if nobody."""
    pool = [o for o in options if o != NO_RECRUIT]
    if not pool:
        return NO_RECRUIT
    return ranked(tracker, public_scores(tracker, pool))[-1]
