"""Helpers for the memory tests: one memory item of ``heuristic|Alex`` and a recall for it."""

from __future__ import annotations

from memory import Memory


def item(content: str, *, day: int = 1, importance: float = 0.5, seq: int = 0, **extra: object) -> dict:
    """One memory item of ``heuristic|Alex`` in game ``g1`` (a round-table observation unless ``extra``
    says otherwise)."""
    row = {
        "identity": "heuristic|Alex",
        "game_id": "g1",
        "player": "Alex",
        "day": day,
        "phase": "roundtable",
        "kind": "observation",
        "content": content,
        "importance": importance,
        "source_seq": seq,
    }
    return {**row, **extra}


def recall(memory: Memory, query: str = "", **kw: object) -> list:
    """Retrieve for ``heuristic|Alex`` on day 5 of ``g1`` (k 10 and a large budget unless given)."""
    args = {"game_id": "g1", "day": 5, "k": 10, "token_budget": 10_000, **kw}
    return memory.retrieve("heuristic|Alex", query, **args)
