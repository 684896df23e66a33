"""``MemoryAgent``: wraps any agent so that everything it sees, reflects and believes is remembered.

On each ``act`` it records the view's events it has not recorded yet (observations; its own belief reports
as belief summaries and ``beliefs`` rows), reflects on the day that just closed when a new day starts
(``inner.reflect(view)`` if the inner agent has it, else a baseline summary of that day's evidence), and
then delegates to the inner agent. It reads nothing but the view it is given.
"""

from __future__ import annotations

from typing import Any

from memory.bank import Memory
from memory.handle import AgentMemory
from memory.observe import baseline_reflection, game_summary, importance, new_day_started
from traitors.decisions import Agent, Decision, DecisionRequest, validate_decision
from traitors.events import BeliefReported, DayStarted, Event, GameEnded
from traitors.views import PlayerView

REFLECTION_IMPORTANCE = 0.7
REPUTATION_IMPORTANCE = 0.8


class MemoryAgent:
    """An :class:`~traitors.decisions.Agent` that remembers. ``identity`` names who plays (see
    :func:`memory.handle.identity_of`); ``carry_over`` lets it recall its earlier games."""

    def __init__(self, inner: Agent, memory: Memory, identity: str, *, carry_over: bool = False) -> None:
        self.inner, self.memory, self.identity = inner, memory, identity
        self.handle = AgentMemory(memory, identity, carry_over=carry_over)
        self._pos: dict[str, tuple[int, int]] = {}
        self._rationale: dict[tuple[str, int], str] = {}
        bind = getattr(inner, "bind_memory", None)
        if callable(bind):
            bind(self.handle)

    @property
    def name(self) -> str:
        """The inner agent's name."""
        return str(getattr(self.inner, "name", type(self.inner).__name__))

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Record what is new in ``view``, then answer with the inner agent."""
        await self.record(view)
        decision = await self.inner.act(view, request)
        if request.kind == "belief" and decision.text and validate_decision(request, decision) is None:
            self._rationale[(view.game_id, view.day)] = decision.text.strip()[:250]
        return decision

    async def finish(self, view: PlayerView) -> None:
        """Record the end of the game from the final view: the last events, the last day's reflection,
        and the game summary carried into later games."""
        await self.record(view, reflect=False)
        ended = next((e for e in reversed(view.events) if isinstance(e, GameEnded)), None)
        if ended is None:
            return
        rows = [self._row(view, ended, "belief", game_summary(view, ended), 1.0, ended.day, "end")]
        rows.append(await self._reflection(view, ended.day, ended.seq, latest=True))
        self.memory.add_items(rows)

    async def record(self, view: PlayerView, reflect: bool = True) -> None:
        """Buffer rows for the events of ``view`` not recorded yet (idempotent across retries/restarts);
        with ``reflect``, a reflection on each day that closed among them."""
        fresh = self._fresh(view)
        if not fresh:
            return
        mem, rows, belief_rows = self.memory, [], []
        first = mem.cursor(self.identity, view.game_id) < 0
        if first and self.handle.carry_over:
            rows.extend(self._reputation(view))
        for ev in fresh:
            if isinstance(ev, BeliefReported) and ev.observer == view.me:
                rows.append(self._row(view, ev, "belief", mem.render(ev), importance(ev, view.me)))
                belief_rows.extend(self._beliefs(view, ev))
            else:
                rows.append(self._row(view, ev, "observation", mem.render(ev), importance(ev, view.me)))
        closed = new_day_started(fresh) if reflect else []
        for i, day in enumerate(closed):
            start = next(e for e in fresh if isinstance(e, DayStarted) and e.day == day)
            rows.append(await self._reflection(view, day - 1, start.seq, latest=i == len(closed) - 1))
        mem.advance(self.identity, view.game_id, fresh[-1].seq)
        self._pos[view.game_id] = (len(view.events), view.events[-1].seq)
        mem.add_beliefs(belief_rows)
        mem.add_items(rows)

    def _fresh(self, view: PlayerView) -> list[Event]:
        events = view.events
        if not events:
            return []
        pos, last = self._pos.get(view.game_id, (0, -1))
        if 0 < pos <= len(events) and events[pos - 1].seq == last:
            return list(events[pos:])
        cursor = self.memory.cursor(self.identity, view.game_id)
        return [e for e in events if e.seq > cursor]

    async def _reflection(self, view: PlayerView, day: int, seq: int, latest: bool) -> dict[str, Any]:
        reflect = getattr(self.inner, "reflect", None)
        text = ""
        if latest and callable(reflect):
            text = str(await reflect(view) or "").strip()
        text = text or baseline_reflection(view, day)
        return {
            **self._base(view, day, "night", seq),
            "kind": "reflection",
            "content": text,
            "importance": REFLECTION_IMPORTANCE,
        }

    def _reputation(self, view: PlayerView) -> list[dict[str, Any]]:
        known = self.memory.reputation(self.identity, exclude_game=view.game_id)
        parts = [
            f"{p}: met in {r['games']} earlier games, a Traitor in {r['traitor']}"
            + (f", my last P(traitor) {r['mean_p']:.0%} on average" if r["mean_p"] == r["mean_p"] else "")
            for p, r in known.items()
            if p in view.players and p != view.me and r["games"]
        ]
        if not parts:
            return []
        text = "From earlier games: " + "; ".join(parts) + "."
        return [
            {
                **self._base(view, 0, "setup", -1),
                "kind": "belief",
                "content": text,
                "importance": REPUTATION_IMPORTANCE,
            }
        ]

    def _beliefs(self, view: PlayerView, ev: BeliefReported) -> list[dict[str, Any]]:
        rationale = self._rationale.pop((view.game_id, ev.day), "")
        return [
            {
                "game_id": ev.game_id,
                "seq": ev.seq,
                "day": ev.day,
                "observer": ev.observer,
                "identity": self.identity,
                "target": target,
                "p_traitor": p,
                "rationale": rationale,
            }
            for target, p in ev.beliefs.items()
        ]

    def _base(self, view: PlayerView, day: int, phase: str, seq: int) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "game_id": view.game_id,
            "player": view.me,
            "day": day,
            "phase": phase,
            "source_seq": seq,
        }

    def _row(
        self,
        view: PlayerView,
        ev: Event,
        kind: str,
        content: str,
        imp: float,
        day: int | None = None,
        phase: str | None = None,
    ) -> dict[str, Any]:
        return {
            **self._base(view, ev.day if day is None else day, phase or ev.phase, ev.seq),
            "kind": kind,
            "content": content,
            "importance": imp,
        }
