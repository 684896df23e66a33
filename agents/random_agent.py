"""The random baseline: every choice uniform over the legal options, from the request's seed."""

from __future__ import annotations

import random

from traitors.decisions import Decision, DecisionRequest
from traitors.views import PlayerView


class RandomAgent:
    """Chooses uniformly among legal options; reports uniform beliefs; says a short neutral line."""

    name = "random"

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """A uniformly random legal answer."""
        rng = random.Random(request.seed)
        if request.kind == "speak":
            target = rng.choice(request.options) if request.options else None
            if target is None:
                return Decision(text="I have nothing to add.")
            return Decision(text=f"I have a feeling about {target}.", accuses=(target,))
        if request.kind == "belief":
            n = view.n_traitors if view.n_traitors is not None else max(1, len(view.alive) // 4)
            share = min(1.0, n / max(1, len(request.options)))
            return Decision(beliefs=dict.fromkeys(request.options, share))
        return Decision(choice=rng.choice(request.options))
