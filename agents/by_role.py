"""``ByRole``: one seat played by one agent as a Faithful and another as a Traitor."""

from __future__ import annotations

from traitors.decisions import Agent, Decision, DecisionRequest
from traitors.views import PlayerView


class ByRole:
    """Dispatches each request on ``view.role``: a recruited Faithful switches to the Traitor agent."""

    def __init__(self, faithful: Agent, traitor: Agent) -> None:
        self.faithful = faithful
        self.traitor = traitor

    @property
    def name(self) -> str:
        """``faithful_name/traitor_name`` (the agents' ``name`` attributes, or their class names)."""
        return f"{_name(self.faithful)}/{_name(self.traitor)}"

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer with the agent for this player's current role."""
        agent = self.traitor if view.role == "traitor" else self.faithful
        return await agent.act(view, request)


def _name(agent: Agent) -> str:
    return str(getattr(agent, "name", type(agent).__name__))
