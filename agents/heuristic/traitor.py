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
from collections.abc import Sequence

from agents.heuristic import weights as W
from agents.heuristic.evidence import public_scores, ranked
from agents.heuristic.tracker import Tracker
from traitors.events import NO_RECRUIT
from traitors.views import PlayerView


class Table:
    """What a Traitor reads off the table at one decision (computed once, used by every rule below)."""

    __slots__ = ("faithful", "fvotes", "me", "scores", "team", "tracker", "votes")

    def __init__(self, tracker: Tracker, view: PlayerView) -> None:
        self.tracker, self.me = tracker, view.me
        self.team = {view.me, *view.fellow_traitors}
        self.faithful = [p for p in view.alive if p not in self.team]
        alive = set(view.alive)
        latest = [(s, t) for s, t in tracker.record.latest.items() if s in alive]
        self.votes = Counter(t for _, t in latest)  # predicted votes: each speaker's latest accusation
        self.fvotes = Counter(t for s, t in latest if s not in self.team)
        self.scores = public_scores(tracker, view.alive, 0.0)

    def doomed(self, player: str) -> bool:
        """Whether most living Faithfuls already accuse ``player`` (no point in saving them)."""
        return self.fvotes[player] >= max(2, math.ceil(len(self.faithful) / 2))

    def likely(self, pool: Sequence[str]) -> str:
        """Whom the table will most likely banish among ``pool`` (votes, then evidence, then focal)."""
        votes, scores, focal = self.votes, self.scores, self.tracker.focal
        return min(pool, key=lambda p: (-votes[p], -scores.get(p, 0.0), focal(p), p))

    def at_risk(self, player: str) -> bool:
        """Whether ``player`` is a Traitor the table is really turning on (enough accusers, or a revote)."""
        return player in self.team and (self.votes[player] >= W.AT_RISK or player in self.tracker.record.tied)

    def predicted(self) -> str:
        """The likely banishment now (among the tied on a revote)."""
        tied = [p for p in self.tracker.record.tied if p in self.scores]
        return self.likely(tied or list(self.scores))

    def scapegoat(self, pool: Sequence[str] | None = None) -> str | None:
        """The Faithful the table suspects most (Faithful votes, evidence, last night's plan): push them."""
        pool = self.faithful if pool is None else pool
        if not pool:
            return None
        fvotes, scores, focal = self.fvotes, self.scores, self.tracker.focal
        plan = self.tracker.plan
        planned = plan[1] if len(plan) > 1 else None
        return min(pool, key=lambda p: (-fvotes[p], -scores.get(p, 0.0), p != planned, focal(p), p))

    def cover(self, pool: Sequence[str]) -> str:
        """The Faithful this Traitor would name if it were Faithful: public evidence, then its own hunch."""
        me_score, scores, prior = self.tracker.me_score, self.scores, self.tracker.prior
        return min(pool, key=lambda p: (-scores.get(p, 0.0) - me_score(p), prior(p), p))

    def danger(self, faithful: str, alive: set[str]) -> float:
        """How dangerous ``faithful`` is: accusations and votes against Traitors, recent ones more."""
        total, pairs, day = 0.0, self.tracker.record.pairs, self.tracker.day
        for t in self.team:
            pair = pairs.get((faithful, t))
            if pair is not None:
                weight = 1.0 if t in alive else 0.5
                total += weight * (pair[0] + 1.5 * pair[1] + (1.0 if pair[2] >= day - 1 else 0.0))
        return total - W.DANGER_SUSPECTED * self.scores.get(faithful, 0.0)

    def most_dangerous(self, pool: Sequence[str]) -> str:
        """The most dangerous of ``pool`` (ties: the shared focal hash, so Traitors agree)."""
        alive, focal = set(self.scores), self.tracker.focal
        return max(pool, key=lambda f: (self.danger(f, alive), -focal(f), f))


def night_plan(table: Table) -> tuple[str | None, str | None]:
    """(victim, scapegoat) for tonight and tomorrow; tonight's first proposal in the channel wins."""
    proposals = table.tracker.proposals
    if proposals:
        proposal = proposals[0][1]
        if proposal and proposal[0] in table.faithful:
            goat = proposal[1] if len(proposal) > 1 and proposal[1] in table.faithful else None
            return proposal[0], goat
    goat = table.scapegoat()
    pool = [f for f in table.faithful if f != goat] or table.faithful
    return (table.most_dangerous(pool) if pool else None), goat


def banish_vote(table: Table, options: Sequence[str]) -> str:
    """A banishment vote that protects the Traitors without a needless bloc."""
    fopts = [o for o in options if o not in table.team]
    if not fopts:  # only Traitors to choose from: the one the table is set on
        return table.likely(options)
    likely = table.predicted()
    if table.at_risk(likely):
        if likely != table.me and likely in options and table.doomed(likely):
            return likely  # under the bus: the table has decided anyway
        return table.scapegoat(fopts) or fopts[0]  # all Traitors on one Faithful to save a fellow
    if likely in fopts and table.fvotes[likely] >= W.JOIN_MIN:
        return likely  # the likely outcome anyway: joining it is not conspicuous
    return table.cover(fopts)


def murder_vote(table: Table, options: Sequence[str]) -> str:
    """Tonight's victim: the agreed (or own) plan if legal, else the most dangerous option."""
    victim, _ = night_plan(table)
    return victim if victim in options else table.most_dangerous(options)


def recruit_vote(tracker: Tracker, options: Sequence[str]) -> str:
    """Recruit the least-suspected Faithful (a recruit the table trusts is safest) who has not declined
    before; 'none' if nobody."""
    pool = [o for o in options if o != NO_RECRUIT]
    pool = [o for o in pool if o not in tracker.declined] or pool
    if not pool:
        return NO_RECRUIT
    return ranked(tracker, public_scores(tracker, pool))[-1]
