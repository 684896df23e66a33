"""From an experiment to its games: deterministic ids, paired seeds and role-balanced seating.

- **Ids**: ``{experiment}-{scenario}-{population}-{index:04d}``, so re-running an experiment finds its games.
- **Paired seeds**: game ``i`` of every condition uses seed ``experiment.seed + i``; the same seed means the
  same secret roles, speaking orders and tie-breaks in every condition, so conditions differ only in who
  plays.
- **Role balance**: the engine draws which *seats* are Traitors from the seed. To make each agent spec of a
  mixed population play Traitor in proportion to its share of the seats, the seat → spec assignment is
  permuted per game: the Traitor seats of game ``i`` go to the specs furthest below their fair share of
  Traitor games so far (a deterministic largest-deficit rule), the other seats to the rest in order. With
  ``games`` a multiple of ``players / gcd(players, traitors)`` the counts are exact; otherwise within one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from traitors.batch.spec import Experiment, Population
from traitors.config import Scenario
from traitors.engine import setup_events
from traitors.events import PlayerInfo, RolesAssigned


@dataclass(frozen=True)
class GameTask:
    """One planned game: everything a worker needs to play or resume it."""

    game_id: str
    condition: str
    scenario: Scenario
    seed: int
    agents: tuple[str, ...]
    memory: bool = True
    max_fallback_rate: float = 0.10
    prior: tuple[str, ...] = field(default=(), compare=False)  # stored events (JSON) when the driver writes


def traitor_seats(scenario: Scenario, seed: int) -> list[str]:
    """The seats the engine will make Traitors for ``seed`` (asked of the engine, not recomputed)."""
    players = [PlayerInfo(name=n, agent="-") for n in scenario.player_names()]
    roles = next(e for e in setup_events("plan", scenario, seed, players) if isinstance(e, RolesAssigned))
    return [n for n in scenario.player_names() if roles.roles[n] == "traitor"]


def balanced_seating(
    seats: Sequence[str], traitor_seats_per_game: Sequence[Sequence[int]]
) -> list[list[str]]:
    """Per game, a permutation of ``seats`` (agent specs) giving each spec its share of Traitor seats.

    ``traitor_seats_per_game[g]`` lists the seat indices that are Traitors in game ``g``.
    """
    n = len(seats)
    counts = Counter(seats)
    order = list(dict.fromkeys(seats))
    traitor_games: Counter[str] = Counter()
    slots = 0
    result = []
    for traitor_idx in traitor_seats_per_game:
        slots += len(traitor_idx)
        left = Counter(counts)
        chosen: list[str] = []
        for _ in traitor_idx:
            # deficit: fair share of the Traitor slots so far minus what the spec already had
            best = max(
                (s for s in order if left[s] > 0),
                key=lambda s: (slots * counts[s] / n - traitor_games[s] - chosen.count(s), -order.index(s)),
            )
            chosen.append(best)
            left[best] -= 1
        traitor_games.update(chosen)
        rest = [s for s in order for _ in range(left[s])]
        seating: list[str] = []
        picks, others = iter(chosen), iter(rest)
        for i in range(n):
            seating.append(next(picks) if i in traitor_idx else next(others))
        result.append(seating)
    return result


def game_id(experiment: Experiment, scenario: Scenario, population: Population, index: int) -> str:
    """The deterministic id of one game of an experiment."""
    return f"{experiment.name}-{scenario.name}-{population.name}-{index:04d}"


def plan_games(experiment: Experiment, scenarios: Sequence[Scenario]) -> list[GameTask]:
    """Every game of the experiment, interleaved by game index so partial runs cover all conditions."""
    per_condition: list[list[GameTask]] = []
    for scenario in scenarios:
        names = scenario.player_names()
        seeds = [experiment.seed + i for i in range(experiment.games)]
        traitors = [[names.index(t) for t in traitor_seats(scenario, s)] for s in seeds]
        for population in experiment.all_populations():
            seats = population.seats(scenario.players)
            if experiment.balance_roles and len(set(seats)) > 1:
                seatings = balanced_seating(seats, traitors)
            else:
                seatings = [list(seats)] * len(seeds)
            condition = f"{scenario.name}/{population.name}"
            per_condition.append(
                [
                    GameTask(
                        game_id(experiment, scenario, population, i),
                        condition,
                        scenario,
                        s,
                        tuple(seating),
                        experiment.memory,
                        experiment.max_fallback_rate,
                    )
                    for i, (s, seating) in enumerate(zip(seeds, seatings, strict=True))
                ]
            )
    return [tasks[i] for i in range(experiment.games) for tasks in per_condition]
