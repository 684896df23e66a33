"""The heuristic baseline: a suspicion model over the evidence in a player's view, for both roles.

Modules: ``tracker`` (incremental fold of events into evidence), ``weights`` (the model's weights),
``evidence`` (suspicion scores, rankings, beliefs), ``traitor`` (the Traitors' strategy), ``speech``
(sentence templates), ``talk`` (statements from evidence), ``agent`` (``HeuristicAgent``).
"""

from agents.heuristic.agent import HeuristicAgent
from agents.heuristic.tracker import Tracker

__all__ = ["HeuristicAgent", "Tracker"]
