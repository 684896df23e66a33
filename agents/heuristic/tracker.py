"""One observer's evidence: the game's shared :class:`PublicRecord` plus what only this player saw.

A :class:`Tracker` depends only on ``(salt, me)`` (the game's public salt, ``PlayerView.salt``) and the
events fed to it, in order, so a cold tracker fed a whole ``view.events`` equals a warm one fed the same
events in pieces: caches are safe across restarts. Public events go to a record shared by every observer
of the game (folded once, not once per player); the tracker checks each against the record and uses its
own private copy whenever the shared one has gone ahead of this view or does not match it. Private events
(the Traitors' channel, recruitment offers) are folded here.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from agents.heuristic import weights as W
from agents.heuristic.record import PublicRecord
from traitors.events import Event, Role


class Tracker:
    """Evidence of one observer in one game; feed with :meth:`update`."""

    def __init__(self, salt: str, me: str, shared: PublicRecord | None = None) -> None:
        self.salt, self.me = salt, me
        self.n = 0  # events of the view folded so far
        self.p = 0  # public events among them
        self.last: Event | None = None
        self.record = shared if shared is not None else PublicRecord(salt)
        self.proposals: list[tuple[str, tuple[str, ...]]] = []  # tonight's Traitor-channel proposals
        self.plan: tuple[str, ...] = ()  # the first proposal of the latest night: (victim, scapegoat)
        self.offer_ultimatum: bool | None = None
        self.declined: set[str] = set()
        self._prior: dict[str, int] = {}

    def fits(self, events: Sequence[Event]) -> bool:
        """Whether ``events`` extends what this tracker has seen (append-only log of the same game)."""
        if self.n > len(events):
            return False
        if self.n == 0:
            return True
        prev = events[self.n - 1]
        return prev is self.last or prev == self.last

    def update(self, events: Sequence[Event]) -> None:
        """Fold the events not seen yet (public ones into the record, unless the record already has them)."""
        record = self.record
        for i in range(self.n, len(events)):
            ev = events[i]
            if ev.audience is None:
                folded = record.events
                if self.p < len(folded):
                    seen = folded[self.p]
                    if seen is not ev and seen != ev:  # another branch of this game id: fold our own copy
                        record = _public_record(self.salt, events[: i + 1])
                else:
                    record.feed(ev)
                self.p += 1
                if ev.type == "day_started":
                    self.proposals = []
            else:
                self._private(ev)
        self.record = record
        if len(events) > self.n:
            self.n, self.last = len(events), events[-1]
        if len(record.events) > self.p:  # the shared record is ahead of this view: fold a private copy
            self.record = _public_record(self.salt, events)

    def _private(self, ev: Event) -> None:
        if ev.type == "statement" and ev.channel == "traitors":
            self.proposals.append((ev.speaker, ev.accuses))
            if len(self.proposals) == 1:
                self.plan = ev.accuses
        elif ev.type == "recruit_offered" and ev.player == self.me:
            self.offer_ultimatum = ev.ultimatum
        elif ev.type == "recruit_answered" and not ev.accepted:
            self.declined.add(ev.player)

    # -- what decisions read ------------------------------------------------------------------------------

    def prior(self, name: str) -> int:
        """This observer's own hunch about ``name`` (a stable hash of game salt, observer and name)."""
        value = self._prior.get(name)
        if value is None:
            value = self._prior[name] = zlib.crc32(f"{self.salt}|{self.me}|{name}".encode())
        return value

    def focal(self, name: str) -> int:
        """A tie-break every heuristic player shares: a stable hash of (game salt, day, name)."""
        return self.record.focal(name)

    def me_score(self, player: str) -> float:
        """What ``player`` did to this observer: accusations and votes against it, defences of it."""
        toward = self.record.toward.get(self.me)
        return toward.get(player, 0.0) if toward else 0.0

    def me_items(self, player: str) -> list[tuple[str, str, int, float]]:
        """Evidence items ``(feature, me, day, weight)`` of what ``player`` did to this observer."""
        record, me = self.record, self.me
        pair, defended = record.pairs.get((player, me)), record.defs.get((player, me))
        items = []
        if pair is not None:
            for count, feature in zip(pair[:2], ("accused_me", "voted_me"), strict=True):
                if count:
                    items.append((feature, me, pair[2], W.FEATURES[feature] * count))
        if defended:
            items.append(("defended_me", me, record.day, W.FEATURES["defended_me"] * defended))
        return items

    @property
    def day(self) -> int:
        """The current day."""
        return self.record.day

    @property
    def known(self) -> dict[str, Role]:
        """Roles made public (banishment reveals, murders)."""
        return self.record.known


def _public_record(salt: str, events: Sequence[Event]) -> PublicRecord:
    """A fresh record of the public events among ``events``."""
    record = PublicRecord(salt)
    for ev in events:
        if ev.audience is None:
            record.feed(ev)
    return record
