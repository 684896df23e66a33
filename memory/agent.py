"""``MemoryAgent``: wraps any agent so that everything it sees, reflects and believes is remembered.

On each ``act`` it records the view's events it has not recorded yet (observations; its own belief reports
as belief summaries and ``beliefs`` rows), reflects on the day that just closed when a new day starts
(``inner.reflect(view)`` if the inner agent has it, else a baseline summary of that day's evidence), and
then delegates to the inner agent. It reads nothing but the view it is given.
"""

from __future__ import annotations

from memory.bank import Memory
from memory.handle import AgentMemory
from memory.observe import baseline_reflection, game_summary
from traitors.decisions import Agent, Decision, DecisionRequest
from traitors.events import BeliefReported, DayStarted, Event, GameEnded
from traitors.views import PlayerView

_GONE = ("banished", "murdered")
REFLECTION_IMPORTANCE = 0.7
REPUTATION_IMPORTANCE = 0.8


class MemoryAgent:
    """An :class:`~traitors.decisions.Agent` that remembers. ``identity`` names who plays (see
    :func:`memory.handle.identity_of`); ``carry_over`` lets it recall its earlier games."""

    def __init__(self, inner: Agent, memory: Memory, identity: str, *, carry_over: bool = False) -> None:
        self.inner, self.memory, self.identity = inner, memory, identity
        self.handle = AgentMemory(memory, identity, carry_over=carry_over, observe=self.observe)
        self._pos: dict[str, tuple[int, int]] = {}
        self._day: dict[str, int] = {}
        self._to_reflect: dict[str, list[DayStarted]] = {}
        self._reports: dict[str, dict[int, BeliefReported]] = {}  # game -> day -> my last belief report
        self._joined: dict[str, int] = {}  # game -> seq at which I accepted to become a Traitor
        self._reflects = callable(getattr(inner, "reflect", None))
        if not self._reflects:  # nothing to do before a decision: the engine calls the inner agent directly
            self.act = inner.act  # type: ignore[method-assign]
        bind = getattr(inner, "bind_memory", None)
        if callable(bind):
            bind(self.handle)

    @property
    def name(self) -> str:
        """The inner agent's name."""
        return str(getattr(self.inner, "name", type(self.inner).__name__))

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer with the inner agent. An inner agent that reflects first records what is new in ``view``
        when a day starts and reflects on the day that closed (then, not later: its reflection must not
        know what came after). Everything else is recorded lazily, when the agent retrieves and at the end
        of the game: the rows are the same (each carries its event's day, phase and seq), the work is
        batched."""
        if self._reflects and self._day.get(view.game_id) != view.day:
            self.observe(view)
            await self._reflect_pending(view)
            self._day[view.game_id] = view.day
        return await self.inner.act(view, request)

    async def finish(self, view: PlayerView) -> None:
        """Record the end of the game from the final view: the last events, the last day's reflection and
        the game summary carried into later games. A second call writes nothing."""
        ended = next((e for e in reversed(view.events) if isinstance(e, GameEnded)), None)
        if ended is not None and self.memory.cursor(self.identity, view.game_id) >= ended.seq:
            return  # finished before: the game summary is stored at the GameEnded seq
        self.observe(view, final=True)
        await self._reflect_pending(view, final=True)
        if ended is not None:
            reports = self._reports.get(view.game_id)
            summary = game_summary(view, ended, reports[max(reports)] if reports else None)
            rows = [self._row(view, ended.day, "end", "belief", summary, 1.0, ended.seq)]
            rows.append(await self._reflection(view, ended.day, ended.seq, use_inner=True))
            self.memory.add_item_rows(self.identity, rows)

    def observe(self, view: PlayerView, final: bool = False) -> None:
        """Buffer rows for the events of ``view`` not recorded yet (idempotent across retries and
        restarts); days that closed among them wait in ``_to_reflect``. ``final``: the game is over, so
        days that closed after this player's elimination get no reflection."""
        fresh = self._fresh(view)
        if not fresh:
            return
        mem, me, game_id = self.memory, view.me, view.game_id
        rows: list[tuple] = []
        if self.handle.carry_over and mem.cursor(self.identity, game_id) < 0:
            mem.carry(self.identity, game_id, me)
            rows.extend(self._reputation(view))
        out = None  # the seq at which this player left the game (a player who acts is still in it)
        if final and me not in view.alive:
            gone = (e.seq for e in reversed(view.events) if e.type in _GONE and e.player == me)  # type: ignore[union-attr]
            out = next(gone, None)
        starts, ident = self._to_reflect.setdefault(game_id, []), self.identity
        reports = self._reports.setdefault(game_id, {})
        mem.share(game_id, fresh)  # public events: stored once for every player, by the first to see them
        known, note = mem.notes_of(game_id), mem.note  # notes by seq: shared by every player who saw them
        votes: list[Event] = []  # a ballot's votes are shown together, then its result: one note
        mine = [e for e in fresh if e.audience is not None or e.type == "day_started"]
        for ev in mine:  # event types compared by name: much faster than isinstance on pydantic models
            etype = ev.type
            if ev.audience is None:  # a day started: reflect on the one that closed
                if ev.day >= 2 and (out is None or ev.seq < out):
                    starts.append(ev)
                continue
            if etype == "vote_cast":
                votes.append(ev)
                continue
            n = known.get(ev.seq) or note(ev, votes)
            kind = "observation"
            if etype == "vote_result":
                votes = []
            elif etype == "belief_reported" and ev.observer == me:  # type: ignore[union-attr]
                kind = "belief"
                reports[ev.day] = ev  # type: ignore[assignment]
                mem.add_beliefs(self._beliefs(ev))  # type: ignore[arg-type]
            rows.append(
                (ident, game_id, me, ev.day, ev.phase, kind, n.text, n.personal.get(me, n.base), ev.seq, None)
            )
        for ev in votes:  # votes without their result (never from the engine): one note each
            n = note(ev)
            rows.append(
                (ident, game_id, me, ev.day, ev.phase, "observation", n.text, n.importance(me), ev.seq, None)
            )
        mem.advance(self.identity, game_id, fresh[-1].seq)
        self._pos[game_id] = (len(view.events), view.events[-1].seq)
        mem.add_item_rows(self.identity, rows)

    async def _reflect_pending(self, view: PlayerView, final: bool = False) -> None:
        """Reflections on the days that closed since the last call (the inner agent reflects on the
        latest one during play; older ones, and any at the end of the game, get the baseline)."""
        starts = self._to_reflect.pop(view.game_id, None)
        if not starts:
            return
        rows = []
        for i, start in enumerate(starts):
            latest = i == len(starts) - 1 and not final
            rows.append(await self._reflection(view, start.day - 1, start.seq, use_inner=latest))
        self.memory.add_item_rows(self.identity, rows)

    def _fresh(self, view: PlayerView) -> list[Event]:
        events = view.events
        if not events:
            return []
        pos, last = self._pos.get(view.game_id, (0, -1))
        if 0 < pos <= len(events) and events[pos - 1].seq == last:
            return list(events[pos:])
        cursor = self.memory.cursor(self.identity, view.game_id)
        return [e for e in events if e.seq > cursor]

    async def _reflection(self, view: PlayerView, day: int, seq: int, use_inner: bool) -> tuple:
        reflect = getattr(self.inner, "reflect", None)
        text = ""
        if use_inner and callable(reflect):
            text = str(await reflect(view) or "").strip()
        reports = self._reports.get(view.game_id)
        role = (
            "faithful" if view.role == "traitor" and seq < self._joined_at(view) else view.role
        )  # back then
        text = text or baseline_reflection(view, day, self.memory.digest(view, day), reports, role)
        return self._row(view, day, "night", "reflection", text, REFLECTION_IMPORTANCE, seq)

    def _joined_at(self, view: PlayerView) -> int:
        """The seq at which I accepted to become a Traitor (-1 if I never did), from the view."""
        joined = self._joined.get(view.game_id)
        if joined is None:
            accepted = (
                e.seq
                for e in view.events
                if e.type == "recruit_answered" and e.player == view.me and e.accepted  # type: ignore[union-attr]
            )
            joined = self._joined[view.game_id] = next(accepted, -1)
        return joined

    def _reputation(self, view: PlayerView) -> list[tuple]:
        known = self.handle.reputation(view)
        parts = []
        for p, r in known.items():
            if r["games"]:
                mean = (
                    f", my last P(traitor) {r['mean_p']:.0%} on average" if r["mean_p"] == r["mean_p"] else ""
                )
                parts.append(f"{p}: met in {r['games']} earlier games, a Traitor in {r['traitor']}{mean}")
        if not parts:
            return []
        text = "From earlier games: " + "; ".join(parts) + "."
        return [self._row(view, 0, "setup", "belief", text, REPUTATION_IMPORTANCE, -1)]

    def _beliefs(self, ev: BeliefReported) -> list[tuple]:
        game_id, seq, day, me, ident = ev.game_id, ev.seq, ev.day, ev.observer, self.identity
        why = ev.rationale
        return [(game_id, seq, t, day, me, ident, p, why) for t, p in ev.beliefs.items()]

    def _row(
        self, view: PlayerView, day: int, phase: str, kind: str, text: str, imp: float, seq: int
    ) -> tuple:
        return (self.identity, view.game_id, view.me, day, phase, kind, text, imp, seq, None)
