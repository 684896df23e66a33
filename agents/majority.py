"""A worked example of a custom agent (docs/agents.md): vote with yesterday's majority, believe the votes."""

from __future__ import annotations

import random
from collections import Counter

from traitors.decisions import Decision, DecisionRequest
from traitors.events import VoteCast
from traitors.views import PlayerView


class MajorityAgent:
    """Votes for whoever the last banishment ballot's majority voted for (among the legal options) and
    reports as P(traitor) each player's share of the banishment votes seen so far."""

    def __init__(self, floor: float = 0.1) -> None:
        self.floor = floor  # the belief in a player nobody voted for

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer from the banishment votes in ``view`` (ties broken by the request's seed)."""
        votes = [e for e in view.events if isinstance(e, VoteCast) and e.kind == "banish" and e.target]
        last = (
            Counter(e.target for e in votes if (e.day, e.ballot) == (votes[-1].day, votes[-1].ballot))
            if votes
            else Counter()
        )
        options = list(request.options)
        random.Random(request.seed).shuffle(options)  # this decision's own randomness: reproducible
        pick = max(options, key=lambda o: last[o]) if options else None
        if request.kind == "belief":
            seen = Counter(e.target for e in votes)
            total = max(sum(seen.values()), 1)
            return Decision(beliefs={o: min(1.0, self.floor + seen[o] / total) for o in request.options})
        if request.kind == "speak":
            said = f"The last vote leaned to {pick}; so do I." if last else f"No votes yet; I watch {pick}."
            return Decision(text=said, accuses=(pick,) if pick else ())
        if request.kind == "answer_offer":
            return Decision(choice="decline")
        return Decision(choice=pick)
