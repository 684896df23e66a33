"""Wiring for the composition root: wrap a game's agents with memory, and close the game's memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from memory.agent import MemoryAgent
from memory.bank import Memory
from memory.handle import identity_of
from traitors.decisions import Agent
from traitors.events import PlayerInfo
from traitors.state import GameState
from traitors.views import view


def with_memory(
    agents: Mapping[str, Agent],
    players: Sequence[PlayerInfo],
    memory: Memory,
    *,
    carry_over: bool = False,
    new_game: str | None = None,
) -> dict[str, Agent]:
    """Each seat's agent wrapped in a :class:`MemoryAgent` under the seat's identity. ``new_game``: the id
    of a game being created now (its memory need not be read back from the database)."""
    if new_game is not None:
        memory.new_game(new_game)
    return {
        p.name: MemoryAgent(agents[p.name], memory, identity_of(p), carry_over=carry_over) for p in players
    }


async def finish_game(agents: Mapping[str, Agent], state: GameState) -> None:
    """Give every remembering agent its final view (the last events, the result), then write the game's
    memory and drop its in-process caches."""
    memories = []
    for name, agent in agents.items():
        if isinstance(agent, MemoryAgent):
            await agent.finish(view(state, name))
            memories.append(agent.memory)
    for memory in {id(m): m for m in memories}.values():
        memory.end_game(state.game_id)
