"""Everything that decides: the ``Agent`` implementations and the registry that builds them by name.

``RandomAgent`` (uniform over legal options) and ``HeuristicAgent`` (a suspicion model over the evidence
in a player's view) are the offline baselines; ``ByRole`` plays a seat with one agent as a Faithful and
another as a Traitor; ``make_agent(spec)`` builds an agent from its name. ``agents`` imports the
``traitors`` core; the core never imports ``agents``.
"""

from agents.by_role import ByRole
from agents.heuristic import HeuristicAgent
from agents.random_agent import RandomAgent
from agents.registry import AGENT_KINDS, make_agent

__all__ = ["AGENT_KINDS", "ByRole", "HeuristicAgent", "RandomAgent", "make_agent"]
