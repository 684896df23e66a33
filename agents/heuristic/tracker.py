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
from traitors.events import Event, Role

ACC, DEF, VOTE = 0, 1, 2


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
        self.evidence: defaultdict[str, list[tuple[str, str, int, float]]] = defaultdict(list)
        self.by: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.on: defaultdict[str, list[tuple[int, str, int]]] = defaultdict(list)
        self.pairs: dict[tuple[str, str], list[int]] = {}
        self.ballots: list[dict[str, str]] = []
        self.open_ballot: dict[str, str] = {}
        self.heat: defaultdict[str, int] = defaultdict(int)
        self.accusers: defaultdict[str, set[str]] = defaultdict(set)
        self.defenders: defaultdict[str, set[str]] = defaultdict(set)
        self.latest: dict[str, str] = {}  # each speaker's latest public accusation since the last banishment
        self.tied: tuple[str, ...] = ()
        self.proposals: list[tuple[str, tuple[str, ...]]] = []
        self.plan: tuple[str, ...] = ()
        self.offer_ultimatum: bool | None = None
        self._traitor_out_today = self._murder_today = False
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
            handler = _HANDLERS.get(ev.type)
            if handler is not None:
                handler(self, ev)
        if len(events) > self.n:
            self.n, self.last = len(events), events[-1]

    # -- feature bookkeeping ----------------------------------------------------------------------------

    def _add(self, player: str, feature: str, other: str, strength: float = 1.0) -> None:
        weight = W.FEATURES[feature] * strength
        self.score[player] += weight
        self.evidence[player].append((feature, other, self.day, weight))

    def _rarity(self, kind: int, player: str, ballot: int) -> float:
        """How telling one action towards ``player`` was: what the whole table did tells nothing."""
        if kind == VOTE and 0 <= ballot < len(self.ballots):
            votes = self.ballots[ballot]
            together = sum(1 for target in votes.values() if target == player)
            return max(W.MIN_RARITY, 1.0 - (together - 1) / max(1, len(votes) - 1))
        table = len(self.ballots[-1]) if self.ballots else 10
        together = len({actor for k, actor, _ in self.on[player] if k == kind})
        return max(W.MIN_RARITY, 1.0 - (together - 1) / max(1, table - 1))

    def _act(self, kind: int, actor: str, target: str, ballot: int = -1) -> None:
        self.by[actor].append((kind, target, ballot))
        self.on[target].append((kind, actor, ballot))
        if kind != DEF:
            pair = self.pairs.setdefault((actor, target), [0, 0, 0])
            pair[kind // 2] += 1
            pair[2] = self.day
        if target == self.me:
            feature = ("accused_me", "defended_me", "voted_me")[kind]
            self.me_score[actor] += W.FEATURES[feature]
            self.evidence[actor].append((feature, target, self.day, W.FEATURES[feature]))

    def _learn(self, player: str, role: Role, murdered: bool) -> None:
        """A role became public: score everyone's earlier actions towards and by ``player``."""
        if player in self.known:
            return
        self.known[player] = role
        for kind, actor, ballot in self.on[player]:
            self._add(actor, W.ACTOR_FEATURE[role][kind], player, self._rarity(kind, player, ballot))
        source = "traitor" if role == "traitor" else ("victim" if murdered else "faithful")
        for kind, target, _ in self.by[player]:
            feature = W.TARGET_FEATURE[source][kind]
            if feature and target not in self.known:
                self._add(target, feature, player)
        if role == "traitor":
            for kind, target, ballot in self.by[player]:
                if kind == VOTE and ballot < len(self.ballots):
                    rarity = self._rarity(VOTE, target, ballot)
                    for voter, chosen in self.ballots[ballot].items():
                        if chosen == target and voter != player:
                            self._add(voter, "bloc", player, rarity)


def _day(t: Tracker, ev: Event) -> None:
    if t._traitor_out_today and not t._murder_today:
        t.inferred_recruits += 1
    t.day, t.proposals, t._focal = ev.day, [], {}
    t._traitor_out_today = t._murder_today = False


def _statement(t: Tracker, ev: Event) -> None:
    if ev.channel == "traitors":
        t.proposals.append((ev.speaker, ev.accuses))
        if len(t.proposals) == 1:
            t.plan = ev.accuses
        return
    for target in ev.accuses:
        if t.heat.get(target, 0) and t.score.get(target, 0.0) <= 0.0 and target not in t.known:
            t._add(ev.speaker, "bandwagon", target)  # joins a pile-on with no public evidence behind it
        t._act(ACC, ev.speaker, target)
        t.latest[ev.speaker] = target
        t.heat[target] += 1
        t.accusers[target].add(ev.speaker)
    for target in ev.defends:
        t._act(DEF, ev.speaker, target)
        t.defenders[target].add(ev.speaker)


def _vote(t: Tracker, ev: Event) -> None:
    if ev.kind == "banish" and ev.valid and ev.target is not None:
        t.open_ballot[ev.voter] = ev.target
        t._act(VOTE, ev.voter, ev.target, len(t.ballots))


def _result(t: Tracker, ev: Event) -> None:
    if ev.kind != "banish":
        return
    t.ballots.append(t.open_ballot)
    t.open_ballot = {}
    t.tied = ev.tied if ev.outcome == "tie" else ()
    if ev.outcome != "tie":
        t.heat.clear()
        t.accusers.clear()
        t.defenders.clear()
        t.latest.clear()


def _banished(t: Tracker, ev: Event) -> None:
    if ev.revealed_role is None:
        t.unrevealed_banished += 1
        return
    if ev.revealed_role == "traitor":
        t.revealed_traitors += 1
        t._traitor_out_today = True
    t._learn(ev.player, ev.revealed_role, murdered=False)


def _murdered(t: Tracker, ev: Event) -> None:
    t.murdered.append(ev.player)
    t._murder_today = True
    t._learn(ev.player, "faithful", murdered=True)


def _offered(t: Tracker, ev: Event) -> None:
    if ev.player == t.me:
        t.offer_ultimatum = ev.ultimatum


_HANDLERS = {
    "day_started": _day,
    "statement": _statement,
    "vote_cast": _vote,
    "vote_result": _result,
    "banished": _banished,
    "murdered": _murdered,
    "recruit_offered": _offered,
}
