"""Engine throughput: offline games per second and events per second, with and without SQLite.

One process, one core, the 10-player paper scenario, heuristic agents by default; both variants run side by
side in one invocation (alternating, three rounds, CPU time of the best) so their ratio is measured under
the same conditions.

    python benchmarks/bench_engine.py --games 300
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from traitors.config import load_scenario
from traitors.engine import Game
from traitors.runner import build_agents, seat_players
from traitors.store import Store


async def _play(scenario, seeds: range, agents: str, store: Store | None, tag: str) -> int:
    events = 0
    for seed in seeds:
        players = seat_players(scenario, agents)
        game = Game.create(f"bench-{tag}-{seed}", scenario, seed, players, build_agents(players), store)
        state = await game.run()
        events += state.seq
    return events


def measure(games: int, agents: str, scenario_name: str, rounds: int = 3) -> list[dict[str, float | str]]:
    """Time ``games`` games in memory and into a fresh SQLite file, alternating the variants for
    ``rounds`` rounds (distinct game ids each time) and keeping each variant's best round."""
    scenario = load_scenario(scenario_name)
    best: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'b.db'}")
        for r in range(rounds):
            for label, sink in (("in memory", None), ("SQLite (WAL)", store)):
                start = time.process_time()
                events = asyncio.run(_play(scenario, range(games), agents, sink, f"{label[:3]}{r}"))
                elapsed = time.process_time() - start
                row = {
                    "variant": label,
                    "games": games,
                    "seconds": elapsed,
                    "games_per_s": games / elapsed,
                    "events_per_s": events / elapsed,
                    "events_per_game": events / games,
                }
                if label not in best or elapsed < best[label]["seconds"]:
                    best[label] = row
        store.close()
    return list(best.values())


def main() -> None:
    """Print a markdown table of the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=300)
    parser.add_argument("--agents", default="heuristic")
    parser.add_argument("--scenario", default="paper")
    args = parser.parse_args()
    rows = measure(args.games, args.agents, args.scenario)
    print(
        f"Engine throughput: {args.scenario}, {args.agents} agents, {args.games} games x 3 rounds, "
        "one process, CPU time of the best round"
    )
    print("| variant | games/s | events/s | events/game | seconds |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['variant']} | {r['games_per_s']:.1f} | {r['events_per_s']:.0f} | "
            f"{r['events_per_game']:.0f} | {r['seconds']:.2f} |"
        )
    print(f"persistence costs {rows[0]['games_per_s'] / rows[1]['games_per_s']:.2f}x")


if __name__ == "__main__":
    main()
