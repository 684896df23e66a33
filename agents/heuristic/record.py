"""The public record of one game, folded once and shared by every observer of that game.

A :class:`PublicRecord` depends only on the public events fed to it, in order (``audience is None``: what
every player saw), so it is the same for every observer at the same point of the game. Each event is
processed once; a role becoming known (banishment reveal, murder) walks the actions that involve that
player once. Decisions then read small per-player sums instead of re-scanning the log.
"""

from __future__ import annotations

import zlib
from collections import defaultdict

from agents.heuristic import weights as W
from agents.heuristic.folds import ACC, DEF, HANDLERS, VOTE
from traitors.events import Event, Role


class PublicRecord:
    """Evidence counters of one game's public events; :meth:`feed` them in order."""

    def __init__(self, salt: str) -> None:
        self.salt = salt  # the game's public salt (``PlayerView.salt``): what the focal hash mixes in
        self.events: list[Event] = []  # the public events folded so far (to check an observer's log)
        self.day = 0
        self.known: dict[str, Role] = {}
        self.murdered: list[str] = []
        self.revealed_traitors = 0
        self.unrevealed_banished = 0
        self.inferred_recruits = 0
        self.score: defaultdict[str, float] = defaultdict(float)
        self.evidence: defaultdict[str, dict[str, tuple[float, str, int]]] = defaultdict(dict)
        self.by: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.on: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.pairs: dict[tuple[str, str], list[int]] = {}  # (actor, target) -> [accusations, votes, last day]
        self.defs: dict[tuple[str, str], int] = {}  # (actor, target) -> defences
        # target -> actor -> weight of what the actor did to the target, as the target itself sees it
        self.toward: defaultdict[str, dict[str, float]] = defaultdict(dict)
        self.ballots: list[dict[str, str]] = []
        self.open_ballot: dict[str, str] = {}
        self.heat: defaultdict[str, int] = defaultdict(int)
        self.latest: dict[str, str] = {}  # each speaker's latest public accusation since the last banishment
        self.tied: tuple[str, ...] = ()
        self.traitor_out_today = self.murder_today = False
        self.focal_cache: dict[str, int] = {}

    def feed(self, event: Event) -> None:
        """Fold one more public event."""
        self.events.append(event)
        handler = HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)

    def focal(self, name: str) -> int:
        """A tie-break every heuristic player shares: a stable hash of (game salt, day, name)."""
        value = self.focal_cache.get(name)
        if value is None:
            value = self.focal_cache[name] = zlib.crc32(f"{self.salt}|{self.day}|{name}".encode())
        return value

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
        toward = self.toward[target]
        toward[actor] = toward.get(actor, 0.0) + _TOWARD[kind]
        if kind == DEF:
            self.defs[(actor, target)] = self.defs.get((actor, target), 0) + 1
            return
        pair = self.pairs.get((actor, target))
        if pair is None:
            pair = self.pairs[(actor, target)] = [0, 0, 0]
        pair[kind >> 1] += 1
        pair[2] = self.day

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


_TOWARD = (W.FEATURES["accused_me"], W.FEATURES["defended_me"], W.FEATURES["voted_me"])  # by ACC, DEF, VOTE


def _rarity(together: int, size: int) -> float:
    """How telling one of ``together`` like actions among ``size`` players was (all of them: little)."""
    return max(W.MIN_RARITY, 1.0 - (together - 1) / max(1, size - 1))


def _ballot_rarity(ballots: list[dict[str, str]], ballot: int, target: str) -> float:
    votes = ballots[ballot] if 0 <= ballot < len(ballots) else {}
    return _rarity(sum(1 for t in votes.values() if t == target), len(votes))
