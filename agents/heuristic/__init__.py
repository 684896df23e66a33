"""The heuristic baseline: a suspicion model over the evidence in a player's view, for both roles.

Modules: ``record`` (the shared fold of a game's public events into evidence), ``folds`` (one handler
per public event type), ``tracker`` (one player's view: the record plus private events), ``weights``
(the model's weights), ``evidence`` (suspicion scores, rankings, beliefs), ``traitor`` (the Traitors'
strategy), ``speech`` (sentence templates), ``talk`` (statements from evidence), ``agent``
(``HeuristicAgent``).
"""

from agents.heuristic.agent import HeuristicAgent
from agents.heuristic.record import PublicRecord
from agents.heuristic.tracker import Tracker

__all__ = ["HeuristicAgent", "PublicRecord", "Tracker"]
