"""Pure rules of the game: legal options, vote tallies, win conditions. No I/O, no randomness of its own."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from traitors.events import Role, Winner


@dataclass(frozen=True, slots=True)
class Tally:
    """Counted valid votes: counts per target (sorted by name) and the most-voted targets."""

    counts: dict[str, int]
    leaders: tuple[str, ...]


def tally(targets: Iterable[str | None]) -> Tally:
    """Count valid votes (``None`` = invalid, not counted); leaders in name order."""
    counts = Counter(t for t in targets if t is not None)
    top = max(counts.values(), default=0)
    leaders = tuple(sorted(t for t, c in counts.items() if c == top)) if top else ()
    return Tally(dict(sorted(counts.items())), leaders)


def break_tie(candidates: Sequence[str], rng: random.Random) -> str:
    """Seeded choice among tied candidates (sorted first, so the result depends only on the seed)."""
    return rng.choice(sorted(candidates))


def banish_options(
    alive: Sequence[str], voter: str, candidates: Sequence[str] | None = None
) -> tuple[str, ...]:
    """Legal banishment targets: living players (or the tied ones on a revote), never oneself."""
    pool = alive if candidates is None else [c for c in candidates if c in alive]
    return tuple(p for p in pool if p != voter)


def murder_options(alive: Sequence[str], roles: Mapping[str, Role]) -> tuple[str, ...]:
    """Legal murder victims: living Faithfuls."""
    return tuple(p for p in alive if roles[p] == "faithful")


def winner(alive: Sequence[str], roles: Mapping[str, Role]) -> Winner | None:
    """Faithful win when no Traitor lives; Traitors win at parity (Traitors ≥ Faithfuls); else None."""
    traitors = sum(1 for p in alive if roles[p] == "traitor")
    if traitors == 0:
        return "faithful"
    if traitors >= len(alive) - traitors:
        return "traitors"
    return None


def winner_at_close(alive: Sequence[str], roles: Mapping[str, Role]) -> Winner:
    """Who wins when the game is closed early (endgame vote or max_days): Traitors if any lives."""
    return "traitors" if any(roles[p] == "traitor" for p in alive) else "faithful"


def recruitment_allowed(
    banished_today_roles: Sequence[Role], living_traitors: int, max_traitors: int | None
) -> bool:
    """Traitors may recruit tonight if a Traitor was banished today and they are below their cap."""
    cap = max_traitors if max_traitors is not None else float("inf")
    return "traitor" in banished_today_roles and 0 < living_traitors < cap
