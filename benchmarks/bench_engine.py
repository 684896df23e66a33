"""Engine throughput: offline games per second and events per second, with and without SQLite.

One process, one core, the 10-player paper scenario, heuristic agents by default; both variants run side by
side in one invocation (alternating, three rounds, CPU time of the best) so their ratio is measured under
the same conditions.

    python benchmarks/bench_engine.py --games 300
    python benchmarks/bench_engine.py --games 300 --against 0dc0047   # this tree vs a commit, side by side

``--against REF`` measures this checkout and a git worktree of ``REF`` in alternating subprocesses (the
same measuring code, each tree's own engine and agents), so a change's cost is a ratio from one run.
``--instructions`` (with ``--against``) counts executed instructions instead (valgrind's callgrind,
``PYTHONHASHSEED=0``; the same count on a loaded machine), per event, after subtracting a run of 0 games:

    python benchmarks/bench_engine.py --games 100 --against 0dc0047 --instructions
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
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


VARIANTS = ("in memory", "SQLite (WAL)")


def measure(
    games: int, agents: str, scenario_name: str, rounds: int = 3, variants: tuple[str, ...] = VARIANTS
) -> list[dict[str, float | str]]:
    """Time ``games`` games in memory and into a fresh SQLite file, alternating the variants for
    ``rounds`` rounds (distinct game ids each time) and keeping each variant's best round."""
    scenario = load_scenario(scenario_name)
    best: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'b.db'}")
        for r in range(rounds):
            for label, sink in (("in memory", None), ("SQLite (WAL)", store)):
                if label not in variants:
                    continue
                start = time.process_time()
                events = asyncio.run(_play(scenario, range(games), agents, sink, f"{label[:3]}{r}"))
                elapsed = time.process_time() - start
                row = {
                    "variant": label,
                    "games": games,
                    "seconds": elapsed,
                    "games_per_s": games / max(elapsed, 1e-9),
                    "events_per_s": events / max(elapsed, 1e-9),
                    "events_per_game": events / max(games, 1),
                }
                if label not in best or elapsed < best[label]["seconds"]:
                    best[label] = row
        store.close()
    return list(best.values())


ROOT = Path(__file__).resolve().parent.parent


def _measure_in(tree: Path, args: argparse.Namespace, variant: str = "") -> list[dict[str, float | str]]:
    """One round of :func:`measure` in a subprocess importing the engine and agents of ``tree``."""
    command = [sys.executable, __file__, "--games", str(args.games), "--agents", args.agents]
    command += ["--scenario", args.scenario, "--rounds", "1", "--json"]
    command += ["--variant", variant] if variant else []
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _instructions_in(tree: Path, args: argparse.Namespace, games: int, variant: str) -> int:
    """Instructions callgrind counts for one subprocess playing ``games`` games of ``variant``."""
    python = os.path.realpath(sys.executable)  # the interpreter itself, not a launcher script
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, __file__]
    command += ["--games", str(games), "--agents", args.agents, "--scenario", args.scenario]
    command += ["--rounds", "1", "--json", "--variant", variant]
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=True)
    return int(done.stderr.split("Collected : ")[1].split()[0])


def compare_instructions(args: argparse.Namespace, other: Path) -> None:
    """Instructions per event of both trees, for each variant (startup subtracted)."""
    print(f"Engine instructions, this tree vs {args.against}: {args.scenario}, {args.agents} agents, ")
    print(f"{args.games} games per tree (callgrind, PYTHONHASHSEED=0, minus a run of 0 games)")
    print("| variant | tree | instructions/event | events/game | ratio |")
    print("|---|---|---:|---:|---:|")
    for variant in VARIANTS:
        per_event = {}
        for name, tree in (("this tree", ROOT), (args.against, other)):
            rows = _measure_in(tree, args, variant)
            events = float(rows[0]["events_per_game"]) * args.games
            spent = _instructions_in(tree, args, args.games, variant) - _instructions_in(
                tree, args, 0, variant
            )
            per_event[name] = (spent / events, events / args.games)
        for name in ("this tree", args.against):
            ipe, epg = per_event[name]
            print(f"| {variant} | {name} | {ipe:,.0f} | {epg:.0f} | {ipe / per_event[args.against][0]:.3f} |")


def compare(args: argparse.Namespace, rounds: int = 3) -> None:
    """This tree against ``args.against``, alternating subprocesses; the best round of each."""
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "ref"
        subprocess.run(
            ["git", "worktree", "add", "-q", "--detach", str(other), args.against], cwd=ROOT, check=True
        )
        try:
            if args.instructions:
                compare_instructions(args, other)
                return
            best: dict[tuple[str, str], dict[str, float | str]] = {}
            for _ in range(rounds):
                for name, tree in (("this tree", ROOT), (args.against, other)):
                    for row in _measure_in(tree, args):
                        key = (name, str(row["variant"]))
                        if key not in best or row["seconds"] < best[key]["seconds"]:
                            best[key] = row
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=True)
    print(f"Engine throughput, this tree vs {args.against}: {args.scenario}, {args.agents} agents, ")
    print(f"{args.games} games, {rounds} alternating rounds, CPU time of the best round")
    print("| variant | tree | games/s | events/s | events/game | ratio (events/s) |")
    print("|---|---|---:|---:|---:|---:|")
    for variant in ("in memory", "SQLite (WAL)"):
        base = best[(args.against, variant)]
        for name in ("this tree", args.against):
            r = best[(name, variant)]
            ratio = float(r["events_per_s"]) / float(base["events_per_s"])
            print(
                f"| {variant} | {name} | {r['games_per_s']:.1f} | {r['events_per_s']:.0f} | "
                f"{r['events_per_game']:.0f} | {ratio:.3f} |"
            )


def main() -> None:
    """Print a markdown table of the measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=300)
    parser.add_argument("--agents", default="heuristic")
    parser.add_argument("--scenario", default="paper")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", help="a git ref to measure side by side with this tree")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON (for --against)")
    parser.add_argument("--variant", choices=VARIANTS, help="measure only this variant")
    parser.add_argument("--instructions", action="store_true", help="with --against: callgrind counts")
    args = parser.parse_args()
    if args.against:
        compare(args)
        return
    variants = (args.variant,) if args.variant else VARIANTS
    rows = measure(args.games, args.agents, args.scenario, args.rounds, variants)
    if args.json:
        print(json.dumps(rows))
        return
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
