"""``HeuristicAgent``: the rule-based baseline, for both roles, with a rebuildable evidence cache."""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict

from agents.heuristic import evidence as E
from agents.heuristic import talk
from agents.heuristic import traitor as T
from agents.heuristic.record import PublicRecord
from agents.heuristic.tracker import Tracker
from traitors.decisions import ACCEPT, DECLINE, Decision, DecisionRequest, validate_decision
from traitors.events import BANISH_AGAIN, END
from traitors.views import PlayerView


class HeuristicAgent:
    """Plays from evidence in its view: a Faithful votes its top suspect; a Traitor steers and murders.

    The only state is a bounded cache of :class:`Tracker` per (game, player), sharing one
    :class:`PublicRecord` per game with every heuristic seat in the thread, advanced over new events only
    and rebuilt from ``view.events`` when missing or stale, so answers are the same cold or warm.
    All randomness (wording) comes from ``request.seed``.
    """

    name = "heuristic"

    def __init__(self, cache_size: int = 4096) -> None:
        self._cache: OrderedDict[tuple[str, str, str], Tracker] = OrderedDict()
        self._cache_size = cache_size

    def tracker(self, view: PlayerView) -> Tracker:
        """The evidence of ``view.me`` in this game, up to date with ``view.events``."""
        key = (view.game_id, view.salt, view.me)
        tracker = self._cache.get(key)
        if tracker is None or not tracker.fits(view.events):
            tracker = self._cache[key] = Tracker(view.salt, view.me, shared_record(view.game_id, view.salt))
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        tracker.update(view.events)
        return tracker

    def clear(self) -> None:
        """Drop every cached tracker and shared record (answers do not change; they are rebuilt)."""
        self._cache.clear()
        _records().clear()

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """A legal answer to ``request`` from the evidence in ``view``."""
        decision = self.decide(view, request)
        if validate_decision(request, decision) is not None:  # defensive: never hand back an illegal move
            decision = _fallback(request)
        return decision

    def decide(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """The heuristic's answer (synchronous core of :meth:`act`)."""
        tracker = self.tracker(view)
        kind, options = request.kind, request.options
        traitor = view.role == "traitor"
        if kind == "speak":
            if not options:
                return Decision(text="I have nothing to add.")
            if request.channel == "traitors":
                return talk.channel_statement(tracker, view, request)
            if traitor:
                return talk.traitor_statement(tracker, view, request)
            return talk.faithful_statement(tracker, view, request)
        if kind == "belief":
            return Decision(beliefs=E.beliefs(tracker, view, options))
        if not options:
            return Decision(choice=None)
        if kind == "vote":
            if traitor:
                return Decision(choice=T.banish_vote(T.Table(tracker, view), options))
            return Decision(choice=E.top_suspect(tracker, E.suspicion(tracker, view, options)))
        if kind == "murder":
            return Decision(choice=T.murder_vote(T.Table(tracker, view), options))
        if kind == "recruit":
            return Decision(choice=T.recruit_vote(tracker, options))
        if kind == "answer_offer":
            return Decision(choice=_answer_offer(tracker, view))
        if kind == "endgame":
            return Decision(choice=_endgame(tracker, view))
        return _fallback(request)


_LOCAL = threading.local()
RECORDS_KEPT = 256  # games whose public record stays cached (per thread)


def _records() -> OrderedDict[str, PublicRecord]:
    records = getattr(_LOCAL, "records", None)
    if records is None:
        records = _LOCAL.records = OrderedDict()
    return records


def shared_record(game_id: str, salt: str) -> PublicRecord:
    """The public record of ``game_id`` (hashing ``salt``) shared by every heuristic seat of this thread
    (one agent per seat still folds each public event once). Only a cache: a tracker checks it against its
    own view and folds a private copy when it does not match, so answers never depend on it."""
    records = _records()
    record = records.get((game_id, salt))
    if record is None:
        record = records[game_id, salt] = PublicRecord(salt)
        if len(records) > RECORDS_KEPT:
            records.popitem(last=False)
    return record


def _answer_offer(tracker: Tracker, view: PlayerView) -> str:
    """Accept an ultimatum (declining is death); otherwise join only a side with a real chance.

    After accepting, the Traitors would be the believed survivors plus this player; a Faithful joins when
    they would then make up at least a third of the table, and stays loyal when the Faithfuls are winning.
    """
    if tracker.offer_ultimatum:
        return ACCEPT
    traitors_after = math.ceil(E.remaining_traitors(tracker, view)) + 1
    return ACCEPT if 3 * traitors_after >= len(view.alive) else DECLINE


def _endgame(tracker: Tracker, view: PlayerView) -> str:
    """A Traitor ends the game; a Faithful ends it only when it believes no Traitor is left."""
    if view.role == "traitor":
        return END
    return END if E.remaining_traitors(tracker, view) < 0.5 else BANISH_AGAIN


def _fallback(request: DecisionRequest) -> Decision:
    """A plain legal answer for any request (used only if the heuristic ever produced an illegal one)."""
    if request.kind == "speak":
        return Decision(text="I'm still thinking.")
    if request.kind == "belief":
        return Decision(beliefs=dict.fromkeys(request.options, 0.0))
    if request.kind == "endgame" and BANISH_AGAIN in request.options:
        return Decision(choice=BANISH_AGAIN)
    return Decision(choice=random.Random(request.seed).choice(request.options) if request.options else None)
