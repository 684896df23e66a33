"""Daily private notes of LLM agents: in memory, and in the ``llm_notes`` table when the agent has a
database, so that a resumed game's prompts show the notes written before the interruption."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import exc, insert, select

from agents.models.tables import ensure_tables, llm_notes


class NoteBook:
    """Notes per (game, player, day). Reads the table once per (game, player); writes each note once."""

    def __init__(self, engine: Any = None) -> None:
        self.engine = ensure_tables(engine) if engine is not None else None
        self._notes: dict[tuple[str, str], dict[int, str]] = {}

    def get(self, game_id: str, player: str) -> dict[int, str]:
        """This player's notes in this game, by day."""
        key = (game_id, player)
        notes = self._notes.get(key)
        if notes is None:
            notes = self._notes[key] = self._load(game_id, player)
        return notes

    def _load(self, game_id: str, player: str) -> dict[int, str]:
        if self.engine is None:
            return {}
        query = select(llm_notes.c.day, llm_notes.c.notes).where(
            llm_notes.c.game_id == game_id, llm_notes.c.player == player
        )
        with self.engine.connect() as conn:
            return {day: text for day, text in conn.execute(query)}

    async def put(self, game_id: str, player: str, day: int, text: str) -> None:
        """Keep a note (a re-run of the same decision writes the same note: the first one stays)."""
        notes = self.get(game_id, player)
        if day in notes:
            return
        notes[day] = text
        if self.engine is not None:
            await asyncio.to_thread(self._insert, game_id, player, day, text)

    def _insert(self, game_id: str, player: str, day: int, text: str) -> None:
        row = {"game_id": game_id, "player": player, "day": day, "notes": text}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(llm_notes), [row])
        except exc.IntegrityError:
            pass
