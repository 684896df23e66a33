"""One agent's handle on its memory (what an inner agent queries), and the identity scheme.

An identity is who plays a seat, stable across games: ``"{agent spec}|{persona or seat name}"``, e.g.
``"heuristic|Alex"`` or ``"openai:gpt-4o-mini|The retired detective"``. With ``memory.carry_over`` an
identity recalls the long-term items (reflections, plans, belief summaries) of its earlier games.
Recurring players are recognised by seat name, the only handle a player's view gives of the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from memory.bank import Memory
from memory.retrieval import Recalled
from traitors.events import PlayerInfo
from traitors.views import PlayerView

KINDS_WRITABLE = ("plan", "reflection")


#: The longest identity the memory tables hold (``memory_items.identity`` is ``String(256)``).
MAX_IDENTITY = 256


def identity_of(player: PlayerInfo) -> str:
    """The memory identity of a seat: agent spec (model) and persona, or the seat name without one. A
    longer one than :data:`MAX_IDENTITY` (an LLM seat's persona line with its strategy hints) is cut and
    ends with a hash of the whole, so it stays unique and fits the column."""
    identity = f"{player.agent}|{player.persona or player.name}"
    if len(identity) <= MAX_IDENTITY:
        return identity
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{identity[: MAX_IDENTITY - 17]}#{digest}"


@runtime_checkable
class Retriever(Protocol):
    """What an agent may ask of its memory."""

    def retrieve(self, view: PlayerView, query: str, k: int = 8, token_budget: int = 800) -> list[Recalled]:
        """The best memory items for ``query`` now, within ``k`` items and ``token_budget`` tokens."""
        ...


class AgentMemory:
    """The memory of one identity, scoped by the view it is given (game, day, phase)."""

    def __init__(
        self,
        memory: Memory,
        identity: str,
        *,
        carry_over: bool = False,
        observe: Callable[[PlayerView], None] | None = None,
    ) -> None:
        self.memory, self.identity, self.carry_over = memory, identity, carry_over
        self._observe = observe  # records the view's new events first (the MemoryAgent's, when wrapped)

    def retrieve(self, view: PlayerView, query: str, k: int = 8, token_budget: int = 800) -> list[Recalled]:
        """Ranked recall for ``view.me`` at ``view.day``/``view.phase`` (this game only unless carry-over),
        including everything ``view`` shows up to now."""
        if self._observe is not None:
            self._observe(view)
        return self.memory.retrieve(
            self.identity,
            query,
            game_id=view.game_id,
            day=view.day,
            phase=view.phase,
            k=k,
            token_budget=token_budget,
            carry_over=self.carry_over,
            player=view.me,
        )

    def note(self, view: PlayerView, content: str, kind: str = "plan", importance: float = 0.6) -> None:
        """Write an agent's own plan or reflection now (at most one of each kind per visible event)."""
        if kind not in KINDS_WRITABLE:
            raise ValueError(f"kind must be one of {', '.join(KINDS_WRITABLE)}")
        seq = view.events[-1].seq if view.events else -1
        self.memory.add_items(
            [
                {
                    "identity": self.identity,
                    "game_id": view.game_id,
                    "player": view.me,
                    "day": view.day,
                    "phase": view.phase,
                    "kind": kind,
                    "content": content.strip(),
                    "importance": max(0.0, min(1.0, importance)),
                    "source_seq": seq,
                }
            ]
        )

    def beliefs(self, view: PlayerView) -> list[dict]:
        """This player's belief rows in the current game (including the reports ``view`` shows)."""
        if self._observe is not None:
            self._observe(view)
        return self.memory.beliefs(view.game_id, observer=view.me)

    def reputation(self, view: PlayerView) -> dict[str, dict[str, float]]:
        """What this identity learnt about players of this game in earlier games (empty without
        carry-over, so games stay independent)."""
        if not self.carry_over:
            return {}
        known = self.memory.reputation(self.identity, exclude_game=view.game_id)
        return {p: r for p, r in known.items() if p in view.players and p != view.me}
