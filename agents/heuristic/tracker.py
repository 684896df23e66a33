"""An incremental fold of one player's visible events into evidence counters.

A :class:`Tracker` depends only on ``(game_id, me)`` and the events fed to it, in order, so a cold tracker
fed a whole ``view.events`` equals a warm one fed the same events in pieces: caches are safe across restarts.
Each event is processed once; a role becoming known (banishment reveal, murder) walks the actions that
involve that player once. Decisions then read small per-player sums instead of re-scanning the log.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence

from agents.heuristic import weights as W
from agents.heuristic.folds import ACC, DEF, HANDLERS, VOTE
from traitors.events import Event, Role


class Tracker:
    """Evidence counters of one observer in one game; feed with :meth:`update`."""

    def __init__(self, game_id: str, me: str) -> None:
        self.game_id, self.me = game_id, me
        self.n = 0
        self.last: Event | None = None
        self.day = 0
        self.known: dict[str, Role] = {}
        self.murdered: list[str] = []
        self.revealed_traitors = 0
        self.unrevealed_banished = 0
        self.inferred_recruits = 0
        self.score: defaultdict[str, float] = defaultdict(float)
        self.me_score: defaultdict[str, float] = defaultdict(float)
        self.evidence: defaultdict[str, dict[str, tuple[float, str, int]]] = defaultdict(dict)
        self.by: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.on: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.pairs: dict[tuple[str, str], list[int]] = {}
        self.ballots: list[dict[str, str]] = []
        self.open_ballot: dict[str, str] = {}
        self.heat: defaultdict[str, int] = defaultdict(int)
        self.latest: dict[str, str] = {}  # each speaker's latest public accusation since the last banishment
        self.tied: tuple[str, ...] = ()
        self.proposals: list[tuple[str, tuple[str, ...]]] = []
        self.plan: tuple[str, ...] = ()
        self.offer_ultimatum: bool | None = None
        self.traitor_out_today = self.murder_today = False
        self._focal: dict[str, int] = {}
        self._prior: dict[str, int] = {}

    def focal(self, name: str) -> int:
        """A tie-break every heuristic player shares: a stable hash of (game, day, name)."""
        value = self._focal.get(name)
        if value is None:
            value = self._focal[name] = zlib.crc32(f"{self.game_id}|{self.day}|{name}".encode())
        return value

    def prior(self, name: str) -> int:
        """This observer's own hunch about ``name`` (a stable hash of game, observer and name)."""
        value = self._prior.get(name)
        if value is None:
            value = self._prior[name] = zlib.crc32(f"{self.game_id}|{self.me}|{name}".encode())
        return value

    def fits(self, events: Sequence[Event]) -> bool:
        """Whether ``events`` extends what this tracker has seen (append-only log of the same game)."""
        if self.n > len(events):
            return False
        if self.n == 0:
            return True
        prev = events[self.n - 1]
        return prev is self.last or prev == self.last

    def update(self, events: Sequence[Event]) -> None:
        """Fold the events not seen yet."""
        for i in range(self.n, len(events)):
            ev = events[i]
            handler = HANDLERS.get(ev.type)
            if handler is not None:
                handler(self, ev)
        if len(events) > self.n:
            self.n, self.last = len(events), events[-1]

    # -- feature bookkeeping ----------------------------------------------------------------------------

    def add(self, player: str, feature: str, other: str, strength: float = 1.0) -> None:
        """Move ``player``'s score by ``feature`` and keep the strongest item of each kind, for speech."""
        weight = W.FEATURES[feature] * strength
        self.score[player] += weight
        items = self.evidence[player]
        held = items.get(feature)
        if held is None or abs(weight) >= abs(held[0]):
            items[feature] = (weight, other, self.day)

    def act(self, kind: int, actor: str, target: str, ballot: int = -1) -> None:
        """Record that ``actor`` accused, defended or voted (``kind``) ``target`` (on banish ``ballot``)."""
        self.by[actor].append((kind, target, ballot))
        self.on[target].append((kind, actor, ballot))
        if kind != DEF:
            pair = self.pairs.get((actor, target))
            if pair is None:
                pair = self.pairs[(actor, target)] = [0, 0, 0]
            pair[kind >> 1] += 1
            pair[2] = self.day
        if target == self.me:
            feature = _ME_FEATURE[kind]
            self.me_score[actor] += W.FEATURES[feature]
            self.evidence[actor][feature] = (W.FEATURES[feature], target, self.day)

    def learn(self, player: str, role: Role, murdered: bool) -> None:
        """A role became public: score everyone's earlier actions towards and by ``player``, once.

        Each action counts by how rare it was: one of ``k`` players doing the same among a table of ``n``
        earns ``1 - (k - 1) / (n - 1)`` (at least ``MIN_RARITY``); what everyone did tells nothing.
        """
        if player in self.known:
            return
        self.known[player] = role
        gains: dict[tuple[str, str], float] = {}
        on, ballots = self.on[player], self.ballots
        if on:
            n = len(ballots[-1]) if ballots else 10
            spoken = (
                _rarity(len({a for k, a, _ in on if k == ACC}), n),
                _rarity(len({a for k, a, _ in on if k == DEF}), n),
            )
            voted: dict[int, float] = {}
            features = W.ACTOR_FEATURE[role]
            for kind, actor, ballot in on:
                if kind == VOTE:
                    rarity = voted.get(ballot)
                    if rarity is None:
                        rarity = voted[ballot] = _ballot_rarity(ballots, ballot, player)
                else:
                    rarity = spoken[kind]
                key = (actor, features[kind])
                gains[key] = gains.get(key, 0.0) + rarity
        source = "traitor" if role == "traitor" else ("victim" if murdered else "faithful")
        features = W.TARGET_FEATURE[source]
        known = self.known
        for kind, target, ballot in self.by[player]:
            if features[kind] and target not in known:
                key = (target, features[kind])
                gains[key] = gains.get(key, 0.0) + 1.0
            if role == "traitor" and kind == VOTE and 0 <= ballot < len(ballots):
                rarity = _ballot_rarity(ballots, ballot, target)
                for voter, chosen in ballots[ballot].items():
                    if chosen == target and voter != player:
                        gains[(voter, "bloc")] = gains.get((voter, "bloc"), 0.0) + rarity
        for (who, feature), strength in gains.items():
            self.add(who, feature, player, strength)


_ME_FEATURE = ("accused_me", "defended_me", "voted_me")


def _rarity(together: int, size: int) -> float:
    """How telling one of ``together`` like actions among ``size`` players was (all of them: little)."""
    return max(W.MIN_RARITY, 1.0 - (together - 1) / max(1, size - 1))


def _ballot_rarity(ballots: list[dict[str, str]], ballot: int, target: str) -> float:
    votes = ballots[ballot] if 0 <= ballot < len(ballots) else {}
    return _rarity(sum(1 for t in votes.values() if t == target), len(votes))
