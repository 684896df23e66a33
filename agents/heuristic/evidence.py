"""The suspicion model: scores, rankings, the Traitor count still at large, and belief reports.

Scores come from a :class:`~agents.heuristic.tracker.Tracker` (evidence in ``view.events`` only) plus what
the observer knows privately: a Faithful knows it is Faithful, so whoever accused or voted for it accused a
Faithful. Ties break on today's public accusations, then on a focal hash of (game salt, day, name) that every
heuristic player computes alike, so Faithfuls with the same evidence converge on the same suspect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from agents.heuristic import weights as W
from agents.heuristic.tracker import Tracker
from traitors.views import PlayerView


def focal(tracker: Tracker, name: str) -> int:
    """A tie-break every heuristic player shares: a stable hash of (game salt, day, name)."""
    return tracker.focal(name)


def public_scores(
    tracker: Tracker, candidates: Iterable[str], heat_weight: float = W.PUBLIC_HEAT
) -> dict[str, float]:
    """Suspicion from public evidence only: what the table would think of each candidate."""
    record = tracker.record
    score, heat, known = record.score, record.heat, record.known
    out: dict[str, float] = {}
    for c in candidates:
        role = known.get(c)
        if role is None:
            out[c] = score.get(c, 0.0) + heat_weight * heat.get(c, 0)
        else:
            out[c] = W.KNOWN if role == "traitor" else -W.KNOWN
    return out


def suspicion(tracker: Tracker, view: PlayerView, candidates: Iterable[str]) -> dict[str, float]:
    """This player's suspicion of each candidate (public evidence plus private knowledge)."""
    if view.role == "traitor":
        fellows = set(view.fellow_traitors)
        return {c: W.KNOWN if c in fellows else -W.KNOWN for c in candidates}
    record, me = tracker.record, view.me
    score, heat, known, toward = record.score, record.heat, record.known, record.toward.get(me, {})
    out: dict[str, float] = {}
    for c in candidates:
        role = known.get(c)
        if role is not None or c == me:
            out[c] = W.KNOWN if role == "traitor" else -W.KNOWN
        else:
            out[c] = score.get(c, 0.0) + W.HEAT * heat.get(c, 0) + toward.get(c, 0.0)
    return out


def top_suspect(tracker: Tracker, scores: dict[str, float]) -> str:
    """The most suspicious candidate by this observer's own ranking (first of ``ranked(..., own=True)``)."""
    prior = tracker.prior
    return min(scores, key=lambda c: (-scores[c], prior(c), c))


def ranked(tracker: Tracker, scores: dict[str, float], own: bool = False) -> list[str]:
    """Candidates from most to least suspicious. Ties: today's accusations, then the shared focal hash,
    or with ``own`` this observer's own hunch (Faithfuls without evidence spread, as real ones do)."""
    if own:
        prior = tracker.prior
        return sorted(scores, key=lambda c: (-scores[c], prior(c), c))
    heat, focal_ = tracker.record.heat, tracker.focal
    return sorted(scores, key=lambda c: (-scores[c], -heat.get(c, 0), focal_(c), c))


def remaining_traitors(tracker: Tracker, view: PlayerView) -> float:
    """How many Traitors this player believes are alive (exact for a Traitor; may be < 1 for a Faithful)."""
    if view.role == "traitor":
        return float(1 + sum(1 for p in view.fellow_traitors if p in view.alive))
    n = view.n_traitors
    if n is None:  # secret count: a rough prior that grows slowly with the table
        n = min(max(1, round(math.sqrt(len(view.players)))), (len(view.players) - 1) // 2)
    record = tracker.record
    left = n - record.revealed_traitors + record.inferred_recruits
    if record.unrevealed_banished:  # banished without a reveal: each was a Traitor at the prior rate
        left -= record.unrevealed_banished * n / max(1, len(view.players))
    return max(0.0, left)


def beliefs(tracker: Tracker, view: PlayerView, options: Sequence[str]) -> dict[str, float]:
    """P(traitor) for each option, summing to the Traitors believed alive among them, each in [0, 1]."""
    scores = suspicion(tracker, view, options)
    out = {o: 1.0 if s >= W.KNOWN else 0.0 for o, s in scores.items() if abs(s) >= W.KNOWN}
    open_ = [o for o in options if o not in out]
    mass = max(1.0, remaining_traitors(tracker, view)) - sum(out.values())  # the game goes on: >= 1 left
    if view.role == "traitor" or not open_:
        return {o: out.get(o, 0.0) for o in options}
    top = max(scores[o] for o in open_)
    odds = {o: math.exp(W.BELIEF_TEMPERATURE * (scores[o] - top)) for o in open_}
    mass = min(max(mass, 0.0), float(len(open_)))
    while odds:  # water-filling: proportional to odds, capped at 1
        total = sum(odds.values())
        capped = [o for o, w in odds.items() if mass * w / total >= 1.0]
        if not capped:
            out.update({o: mass * w / total for o, w in odds.items()})
            break
        for o in capped:
            out[o] = 1.0
            del odds[o]
        mass -= len(capped)
    return {o: min(1.0, max(0.0, out.get(o, 0.0))) for o in options}


def reasons(tracker: Tracker, player: str, positive: bool = True, private: bool = True) -> list[tuple]:
    """Evidence items ``(feature, other, day, weight)`` about ``player``, strongest then latest first."""
    sign = 1.0 if positive else -1.0
    held = tracker.record.evidence.get(player, {})
    items = [(f, o, d, w) for f, (w, o, d) in held.items() if sign * w > 0]
    if private:
        items += [e for e in tracker.me_items(player) if sign * e[3] > 0]
    return sorted(items, key=lambda e: (-sign * e[3], -e[2], e[0]))
