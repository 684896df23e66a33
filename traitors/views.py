"""What one player knows: ``view(state, player)`` is all an agent is ever given."""

from __future__ import annotations

from dataclasses import dataclass, field

from traitors.events import Banished, Event, RecruitAnswered, RecruitOffered, Role
from traitors.state import GameState


@dataclass(frozen=True, slots=True)
class PlayerView:
    """A player's information set: own role, fellow Traitors (if a Traitor), the number of Traitors when
    the scenario reveals it, and the events this player saw. Never the seed or the scenario config (the
    Traitor count may be secret), never a fact hidden from this player. ``salt`` is what an agent may hash
    for stable per-game draws (a one-way function of the seed: the same for every seat, whatever the game
    id or the other seats)."""

    game_id: str
    salt: str
    me: str
    role: Role
    fellow_traitors: tuple[str, ...]
    players: tuple[str, ...]
    alive: tuple[str, ...]
    day: int
    phase: str
    n_traitors: int | None
    has_shield: bool
    events: tuple[Event, ...] = field(repr=False)

    def revealed_roles(self) -> dict[str, Role]:
        """Roles this player knows for certain: its own, fellow Traitors', and banishment reveals."""
        known: dict[str, Role] = {self.me: self.role}
        known.update(dict.fromkeys(self.fellow_traitors, "traitor"))
        for ev in self.events:
            if isinstance(ev, Banished) and ev.revealed_role is not None:
                known[ev.player] = ev.revealed_role
        return known


def view(state: GameState, player: str) -> PlayerView:
    """The view of ``player`` in ``state``; raises ``KeyError`` for an unknown player."""
    role = state.roles[player]
    scenario = state.scenario
    assert scenario is not None, "view() needs a created game"
    fellows = tuple(p for p in state.names if p != player and state.roles[p] == "traitor")
    return PlayerView(
        game_id=state.game_id,
        salt=state.salt,
        me=player,
        role=role,
        fellow_traitors=fellows if role == "traitor" else (),
        players=state.names,
        alive=state.alive,
        day=state.day,
        phase=state.phase,
        n_traitors=scenario.traitors if scenario.reveal_traitor_count or role == "traitor" else None,
        has_shield=player in state.shields,
        events=tuple(
            [
                ev if ev.audience is None else _as_seen_by(ev, player)
                for ev in state.events
                if ev.audience is None or player in ev.audience
            ]
        ),
    )


def _as_seen_by(event: Event, player: str) -> Event:
    """``event`` as ``player`` saw it. A recruit sees its offer and answer without their audience, which
    names every Traitor (a recruit who declines stays Faithful). The rule depends on the event alone, not
    on the viewer's current role, so a player's events never change once seen (views are append-only)."""
    if isinstance(event, RecruitOffered | RecruitAnswered) and event.player == player:
        return event.model_copy(update={"audience": (player,)})
    return event
