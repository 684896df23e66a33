"""Persistent SQL memory of every agent: observations, reflections, plans and beliefs, recalled by recency,
importance and relevance, and carried across games when the scenario sets ``memory.carry_over``.

``memory`` imports only the ``traitors`` core. The runner wraps each seat's agent in a
:class:`MemoryAgent` (when it has a store) and adds the shared :class:`Memory` to its event sinks, so each
phase's memory is flushed right after that phase's events.

For agent authors (the LLM agent), three optional hooks on your agent class:

- ``def bind_memory(self, memory: AgentMemory) -> None`` — called once when the wrapper is built. Keep the
  handle and query it inside ``act``::

      for item in self.memory.retrieve(view, "who accused Bea?", k=8, token_budget=600):
          prompt_lines.append(f"[day {item.day} {item.kind}] {item.content}")

  ``retrieve`` never returns more than ``k`` items or ``token_budget`` tokens (``Memory.count_tokens``,
  ~4 characters a token by default) and is deterministic. ``memory.note(view, text, kind="plan")`` stores a
  plan; ``memory.reputation(view)`` gives what you learnt about these players in earlier games (empty
  unless carry-over is on); ``memory.beliefs(view)`` your stored belief rows.
- ``async def reflect(self, view: PlayerView) -> str`` — called at your first decision of a new day, to
  reflect on the day that just closed (``view.day - 1``), and once more at the end of the game with the
  final view (``view.events`` then ends with ``GameEnded``). Return a few sentences; an empty string falls
  back to the baseline summary.
- On ``belief`` requests, put a short rationale in ``Decision.text``: it is stored with your belief rows.

The wrapper records a view's new events at the first decision of each day, before every ``retrieve`` and
``beliefs`` call of the handle, and at the end of the game, so recall always covers the current view.
Everything written comes from the view the agent is given; nothing else is ever read into its memory.
"""

from memory.agent import MemoryAgent
from memory.bank import Memory
from memory.embed import Embedder, HashingEmbedder, MiniLmEmbedder
from memory.handle import AgentMemory, Retriever, identity_of
from memory.retrieval import Recalled
from memory.scoring import Weights, approx_tokens
from memory.tables import KINDS, LONG_TERM, PUBLIC, beliefs, memory_carry, memory_items
from memory.wiring import finish_game, with_memory

__all__ = [
    "KINDS",
    "LONG_TERM",
    "PUBLIC",
    "AgentMemory",
    "Embedder",
    "HashingEmbedder",
    "Memory",
    "MemoryAgent",
    "MiniLmEmbedder",
    "Recalled",
    "Retriever",
    "Weights",
    "approx_tokens",
    "beliefs",
    "finish_game",
    "identity_of",
    "memory_carry",
    "memory_items",
    "with_memory",
]
