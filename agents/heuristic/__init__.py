"""The heuristic baseline: a suspicion model over the evidence in a player's view, for both roles.

A Faithful scores every player from what it saw: votes and accusations against players later revealed
Faithful (weighted by how few others did the same), defences of revealed Traitors, voting with a revealed
Traitor, whom murder victims suspected, who accused it, pile-ons without evidence; it votes its top
suspect (its own hunch breaks ties) and says why. A Traitor talks and votes like a Faithful but never
against a fellow, rallies the Traitors onto one scapegoat only when a fellow is at risk, throws a doomed
fellow under the bus, murders the Faithful most dangerous to it, and coordinates in the Traitors' channel.

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
