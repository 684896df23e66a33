"""What a heuristic player says: a statement built from its real evidence, as a legal ``Decision``."""

from __future__ import annotations

import random

from agents.heuristic import evidence as E
from agents.heuristic import traitor as T
from agents.heuristic import weights as W
from agents.heuristic.speech import ACCUSE, PLAN, TRUST, fit, line
from agents.heuristic.tracker import Tracker
from traitors.decisions import Decision, DecisionRequest
from traitors.views import PlayerView


def _case(rng: random.Random, tracker: Tracker, x: str, private: bool) -> list[str]:
    """One or two sentences on why ``x`` is suspect, from the strongest evidence about them."""
    me = tracker.me
    items = [
        e for e in E.reasons(tracker, x, positive=True, private=private) if e[1] != me or e[0].endswith("_me")
    ]  # what x did to me: told in the first person
    if items:
        out = [line(rng, ACCUSE, items[0][0], x=x, o=items[0][1])]
        second = next((e for e in items[1:] if e[0] != items[0][0]), None)
        if second is not None:
            out.append(line(rng, ACCUSE, second[0], x=x, o=second[1]))
        return out
    return [_heat_line(rng, tracker, x)]


def _heat_line(rng: random.Random, tracker: Tracker, x: str) -> str:
    """Going along with the table's doubts about ``x`` (or a hunch when nobody has named them)."""
    heat = tracker.record.heat.get(x, 0)
    quiet = "none_early" if tracker.day <= 1 else "none"
    return line(rng, ACCUSE, "heat" if heat > 1 else ("heat_one" if heat else quiet), x=x, n=heat)


def _trust(rng: random.Random, tracker: Tracker, y: str) -> str | None:
    """A sentence on why ``y`` is trusted, or None without evidence for it."""
    items = [e for e in E.reasons(tracker, y, positive=False) if e[0] in TRUST]
    return line(rng, TRUST, items[0][0], x=y, o=items[0][1]) if items else None


def faithful_statement(tracker: Tracker, view: PlayerView, request: DecisionRequest) -> Decision:
    """Accuse the top suspect with the evidence against them; vouch for the most cleared player."""
    rng = random.Random(request.seed)
    options = request.options
    scores = E.suspicion(tracker, view, options)
    order = E.ranked(tracker, scores, own=True)
    x = order[0]
    sentences = _case(rng, tracker, x, private=True)
    defends: tuple[str, ...] = ()
    y = order[-1] if len(order) > 1 else None
    if y is not None and scores[y] < 0:
        trust = _trust(rng, tracker, y)
        if trust is not None:
            sentences.append(trust)
            defends = (y,)
    return Decision(text=fit(sentences, request.max_chars), accuses=(x,), defends=defends)


def traitor_statement(tracker: Tracker, view: PlayerView, request: DecisionRequest) -> Decision:
    """In public: talk like a Faithful about a Faithful; push the scapegoat when a fellow is at risk (and
    sometimes vouch for that fellow); accuse a fellow only when the table has already doomed them."""
    rng = random.Random(request.seed)
    options, table = request.options, T.Table(tracker, view)
    fopts = [o for o in options if o not in table.team]
    if not fopts:
        return Decision(text=fit([line(rng, TRUST, "self")], request.max_chars))
    likely = table.predicted()
    at_risk = table.at_risk(likely)
    if at_risk and likely != view.me and likely in options and table.doomed(likely):
        text = _heat_line(rng, tracker, likely)
        return Decision(text=fit([text], request.max_chars), accuses=(likely,))
    planned = tracker.plan[1] if len(tracker.plan) > 1 else None
    if at_risk:
        target = table.scapegoat(fopts) or fopts[0]
    elif planned in fopts and table.scores.get(planned, 0.0) > 0:
        target = planned
    else:
        target = table.cover(fopts)
    sentences = _case(rng, tracker, target, private=True)
    defends: tuple[str, ...] = ()
    if at_risk and likely == view.me:
        sentences.insert(0, line(rng, TRUST, "self"))
    elif at_risk and likely in options and rng.random() < W.DEFEND_FELLOW:
        sentences.append(line(rng, TRUST, "loyal", x=likely))
        defends = (likely,)
    return Decision(text=fit(sentences, request.max_chars), accuses=(target,), defends=defends)


def channel_statement(tracker: Tracker, view: PlayerView, request: DecisionRequest) -> Decision:
    """In the Traitors' channel: propose (or second) tonight's victim and tomorrow's scapegoat.

    Convention: ``accuses`` is ``(victim, scapegoat)``; later speakers and the murder vote follow the first
    proposal of the night.
    """
    rng = random.Random(request.seed)
    table = T.Table(tracker, view)
    victim, goat = T.night_plan(table)
    if victim is None or victim not in request.options:
        return Decision(text=fit(["Nothing to plan tonight."], request.max_chars))
    goat = goat if goat in request.options and goat != victim else None
    key = "follow" if tracker.proposals else "propose"
    sentences = [line(rng, PLAN, key, v=victim, s=goat or "whoever the table already doubts")]
    if key == "propose":
        pairs = tracker.record.pairs
        hunted = [(t, pairs[(victim, t)]) for t in sorted(table.team) if (victim, t) in pairs]
        if hunted:
            t, pair = hunted[0]
            sentences.append(line(rng, PLAN, "why_vote" if pair[1] else "why_accuse", v=victim, t=t))
    if tracker.record.revealed_traitors and any(p in tracker.known for p in view.fellow_traitors):
        pool = [p for p in table.faithful if p not in (victim, goat)]
        if pool:
            sentences.append(line(rng, PLAN, "recruit", r=T.recruit_vote(tracker, pool)))
    accuses = (victim, goat) if goat else (victim,)
    return Decision(text=fit(sentences, request.max_chars), accuses=accuses)
