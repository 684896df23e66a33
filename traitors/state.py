"""Game state as a pure fold over events: ``replay(events)`` rebuilds it, ``apply`` is pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from traitors.config import Scenario
from traitors.events import (
    Banished,
    DayStarted,
    Event,
    GameCreated,
    GameEnded,
    MissionCompleted,
    Murdered,
    PlayerInfo,
    RecruitAnswered,
    Role,
    RolesAssigned,
    ShieldAwarded,
    VoteResult,
    Winner,
)
from traitors.rng import public_salt


@dataclass(frozen=True, slots=True)
class GameState:
    """Everything true about a game after a prefix of its events (host's, omniscient view)."""

    game_id: str = ""
    scenario: Scenario | None = None
    seed: int = 0
    seeding: int = 1  # the seeding scheme of GameCreated
    salt: str = ""  # what agents may hash for stable per-game draws (never the seed: views get this)
    players: tuple[PlayerInfo, ...] = ()
    names: tuple[str, ...] = ()  # seat names, in seat order
    initial_roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    alive: tuple[str, ...] = ()
    day: int = 0
    phase: str = "setup"
    shields: frozenset[str] = frozenset()
    pot: int = 0
    banished_today: tuple[str, ...] = ()
    rounds: int = 0  # round tables whose first banishment ballot has been counted
    winner: Winner | None = None
    events: tuple[Event, ...] = field(default=(), repr=False)

    @property
    def seq(self) -> int:
        """The seq the next event gets."""
        return len(self.events)

    @property
    def ended(self) -> bool:
        """Whether the game is over."""
        return self.winner is not None

    def alive_with(self, role: Role) -> tuple[str, ...]:
        """Living players whose current role is ``role``, in seat order."""
        return tuple(p for p in self.alive if self.roles[p] == role)


def _without(seq: tuple[str, ...], name: str) -> tuple[str, ...]:
    return tuple(p for p in seq if p != name)


def apply(state: GameState, event: Event) -> GameState:
    """The state after ``event``; raises ``ValueError`` if the event does not fit (wrong game or seq)."""
    if event.seq != state.seq:
        raise ValueError(f"event seq {event.seq} does not follow state seq {state.seq}")
    if state.events and event.game_id != state.game_id:
        raise ValueError(f"event of game {event.game_id} applied to game {state.game_id}")
    changes: dict = {"events": (*state.events, event), "day": event.day, "phase": event.phase}
    match event:
        case GameCreated():
            changes.update(
                game_id=event.game_id,
                scenario=Scenario.model_validate(event.config),
                seed=event.seed,
                seeding=event.seeding,
                salt=public_salt(event.seed) if event.seeding >= 2 else event.game_id,
                players=event.players,
                names=tuple(p.name for p in event.players),
                alive=tuple(p.name for p in event.players),
            )
        case RolesAssigned():
            roles = MappingProxyType(dict(event.roles))
            changes.update(initial_roles=roles, roles=roles)
        case DayStarted():
            changes.update(shields=frozenset(), banished_today=())
        case MissionCompleted():
            changes.update(pot=event.pot_total)
        case ShieldAwarded():
            changes.update(shields=state.shields | {event.player})
        case Banished():
            changes.update(
                alive=_without(state.alive, event.player),
                banished_today=(*state.banished_today, event.player),
            )
        case Murdered():
            changes.update(alive=_without(state.alive, event.player))
        case VoteResult(kind="banish", ballot=1):
            changes.update(rounds=state.rounds + 1)
        case RecruitAnswered(accepted=True):
            changes.update(roles=MappingProxyType({**state.roles, event.player: "traitor"}))
        case GameEnded():
            changes.update(winner=event.winner)
    return _evolve(state, changes)


_FIELDS = tuple(f.name for f in fields(GameState))
_set = object.__setattr__


def _evolve(state: GameState, changes: dict) -> GameState:
    """``dataclasses.replace`` without re-running ``__init__`` (``apply`` runs once per event)."""
    new = object.__new__(GameState)
    for name in _FIELDS:
        _set(new, name, changes[name] if name in changes else getattr(state, name))
    return new


def replay(events: Iterable[Event]) -> GameState:
    """Fold events from the empty state."""
    state = GameState()
    for event in events:
        state = apply(state, event)
    return state
