"""Baselines: heuristic vs random Faithfuls (and Traitors) in the paper setting, with 95% CIs.

Every condition plays the same seeds (paired), in memory, one process. Per condition: the Faithful win rate
(95% Wilson interval), the share of first-ballot Faithful banishment votes that target a Traitor (95%
bootstrap interval over games), days per game, games/s and the heuristic's mean time per decision. Times
are CPU time of this process (``time.process_time``), so a busy machine does not distort them.

    python benchmarks/bench_baselines.py --games 500 [--write]

``--write`` replaces the "Baselines" section of benchmarks/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import random
import re
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from agents import ByRole, HeuristicAgent, RandomAgent
from traitors.config import Scenario
from traitors.decisions import Agent, Decision, DecisionRequest
from traitors.engine import Game
from traitors.events import PlayerInfo, RecruitAnswered, RolesAssigned, VoteCast
from traitors.state import GameState
from traitors.views import PlayerView

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
CONDITIONS = (  # (label, Faithful agent, Traitor agent)
    ("heuristic F vs heuristic T (all heuristic)", "heuristic", "heuristic"),
    ("random F vs heuristic T", "random", "heuristic"),
    ("heuristic F vs random T", "heuristic", "random"),
    ("random F vs random T (all random)", "random", "random"),
)


class Timed:
    """Wraps an agent and accumulates its decision count and time."""

    def __init__(self, agent: Agent) -> None:
        self.agent, self.calls, self.seconds = agent, 0, 0.0

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Time the wrapped agent's answer."""
        start = time.process_time()
        decision = await self.agent.act(view, request)
        self.seconds += time.process_time() - start
        self.calls += 1
        return decision


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of k successes in n trials."""
    if n == 0:
        return (0.0, 1.0)
    p, d = k / n, 1 + z * z / n
    centre, half = (p + z * z / (2 * n)) / d, z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, centre - half), min(1.0, centre + half))


def bootstrap_ratio(pairs: list[tuple[int, int]], reps: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile bootstrap interval (resampling games) of sum(hits) / sum(votes)."""
    rng, n, stats = random.Random(seed), len(pairs), []
    for _ in range(reps):
        sample = [pairs[rng.randrange(n)] for _ in range(n)]
        total = sum(v for _, v in sample)
        stats.append(sum(h for h, _ in sample) / total if total else 0.0)
    stats.sort()
    return stats[int(0.025 * reps)], stats[int(0.975 * reps) - 1]


def first_ballot_hits(state: GameState) -> tuple[int, int]:
    """(votes on a Traitor, votes) over valid first-ballot banishment votes cast by Faithfuls at the time."""
    roles: dict[str, str] = {}
    hits = total = 0
    for ev in state.events:
        if isinstance(ev, RolesAssigned):
            roles = dict(ev.roles)
        elif isinstance(ev, RecruitAnswered) and ev.accepted:
            roles[ev.player] = "traitor"
        elif (isinstance(ev, VoteCast) and ev.kind == "banish" and ev.ballot == 1 and ev.valid
              and roles.get(ev.voter) == "faithful" and ev.target is not None):
            total += 1
            hits += roles[ev.target] == "traitor"
    return hits, total


async def _play(scenario: Scenario, seeds: range, faithful: str, traitor: str) -> dict[str, object]:
    kinds = {"heuristic": Timed(HeuristicAgent()), "random": RandomAgent()}
    seat = ByRole(kinds[faithful], kinds[traitor])
    players = [PlayerInfo(name=n, agent=seat.name) for n in scenario.player_names()]
    wins, days, shares = 0, 0, []
    start = time.process_time()
    for seed in seeds:
        game = Game.create(f"paper-{seed}", scenario, seed, players, {p.name: seat for p in players})
        state = await game.run()
        wins += state.winner == "faithful"
        days += state.day
        shares.append(first_ballot_hits(state))
    elapsed = time.process_time() - start
    timed = kinds["heuristic"]
    us = 1e6 * timed.seconds / timed.calls if timed.calls else float("nan")
    return {"wins": wins, "days": days, "shares": shares, "seconds": elapsed, "us_per_decision": us}


def measure(games: int, seed0: int = 0) -> list[dict[str, object]]:
    """Play ``games`` seeded paper games per condition; one summary row per condition."""
    scenario = Scenario(name="paper", players=10, traitors=3)
    rows = []
    for label, faithful, traitor in CONDITIONS:
        r = asyncio.run(_play(scenario, range(seed0, seed0 + games), faithful, traitor))
        shares = r["shares"]
        hits, votes = sum(h for h, _ in shares), sum(v for _, v in shares)
        rows.append({"condition": label, "games": games, "win": r["wins"] / games,
                     "win_ci": wilson(r["wins"], games), "share": hits / votes if votes else 0.0,
                     "share_ci": bootstrap_ratio(shares),
                     "days": r["days"] / games, "games_per_s": games / r["seconds"],
                     "us_per_decision": r["us_per_decision"]})
    return rows


def table(rows: list[dict[str, object]]) -> str:
    """A markdown table of the rows."""
    out = ["| condition | games | Faithful win rate [95% CI] | first-ballot Faithful votes on a Traitor"
           " [95% CI] | days/game | games/s | heuristic µs/decision |", "|---|---:|---|---|---:|---:|---:|"]
    for r in rows:
        (wl, wh), (sl, sh) = r["win_ci"], r["share_ci"]
        out.append(f"| {r['condition']} | {r['games']} | {r['win']:.3f} [{wl:.3f}, {wh:.3f}] | "
                   f"{r['share']:.3f} [{sl:.3f}, {sh:.3f}] | {r['days']:.2f} | {r['games_per_s']:.1f} | "
                   f"{_us(r['us_per_decision'])} |")
    return "\n".join(out)


def notes(rows: list[dict[str, object]]) -> str:
    """The comparison the table is for, in words, with the reading caveats."""
    hh, rh = rows[0], rows[1]
    return (
        f"Against heuristic Traitors, heuristic Faithfuls win {hh['win']:.1%} of games (random Faithfuls: "
        f"{rh['win']:.1%}) and put {hh['share']:.1%} of their first-ballot votes on a Traitor (random: "
        f"{rh['share']:.1%}, about the share of Traitors among the other players). The paper setting is "
        "hard for Faithfuls: 3 Traitors reach parity after two Faithful banishments and two murders, so "
        "games are short. Heuristic Traitors lose more often than random ones against heuristic "
        "Faithfuls: they murder the Faithful most dangerous to them, and whom a victim suspected is "
        "then the Faithfuls' strongest clue (the designed counter-play)."
    )


def _load() -> str:
    """The 1-minute load average."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def _us(value: object) -> str:
    return "–" if not isinstance(value, float) or math.isnan(value) else f"{value:.1f}"


def machine() -> str:
    """nproc, CPU model and Python version of this machine."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"nproc {nproc}, {cpu}, Python {platform.python_version()}"


def write_section(body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the "## Baselines" section of ``path``, leaving other sections untouched."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"## Baselines\n\n{body.strip()}\n"
    pattern = re.compile(r"^## Baselines\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    """Measure, print the table, and optionally write it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--write", action="store_true", help="update the Baselines section of RESULTS.md")
    args = parser.parse_args()
    load_before = _load()
    rows = measure(args.games, args.seed)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = (f"`python benchmarks/bench_baselines.py --games {args.games}` — {when}; {machine()}.\n"
            "Paper setting (10 players, 3 Traitors, defaults otherwise), seeds "
            f"{args.seed}..{args.seed + args.games - 1} in every condition, in memory, one process; games/s "
            "and µs/decision from CPU time (µs/decision includes folding new events into the evidence "
            f"cache). Load average {load_before} before and {_load()} after (other jobs on the machine slow "
            "even CPU time; the win rates and vote shares are exact and do not depend on it).\n\n"
            + table(rows))
    body += "\n\n" + notes(rows)
    print(body)
    if args.write:
        write_section(body)


if __name__ == "__main__":
    main()
