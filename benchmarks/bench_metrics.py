"""Benchmark of the metrics pipeline: ``PYTHONPATH=. python benchmarks/bench_metrics.py``.

Plays 10,000 offline 10-player games (random agents, through the engine) into
``benchmarks/out/metrics_bench.db`` (kept and reused when it already holds them), then times
``load_frames`` and ``compute_metrics`` over all of them and appends a "Metrics" section to
``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from agents.random_agent import RandomAgent
from traitors.config import Scenario
from traitors.engine import Game
from traitors.events import Event, PlayerInfo
from traitors.store import Store

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
RESULTS = HERE / "RESULTS.md"
SCENARIO = Scenario(name="paper", players=10, traitors=3)


class _GameBuffer:
    """Collects a game's events so that it is written in one transaction."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, batch: list[Event]) -> None:
        self.events.extend(batch)


def _play_chunk(args: tuple[str, int, int]) -> int:
    """Play games ``start .. stop-1`` into the database at ``url``; returns how many were played."""
    url, start, stop = args
    store = Store(url)
    names = SCENARIO.player_names()
    players = [PlayerInfo(name=n, agent="random") for n in names]
    done = {g["game_id"] for g in store.games(status="finished")}
    played = 0
    for i in range(start, stop):
        game_id = f"bench-{i:05d}"
        if game_id in done:
            continue
        buffer = _GameBuffer()
        game = Game.create(game_id, SCENARIO, i, players, {n: RandomAgent() for n in names}, sink=buffer)
        asyncio.run(game.run())
        store.append(buffer.events)
        played += 1
    store.close()
    return played


def ensure_games(url: str, n_games: int, workers: int) -> float:
    """Make sure ``n_games`` finished games are stored; returns the seconds spent playing them (recorded
    next to the database when it was generated)."""
    stamp = Path(url.removeprefix("sqlite:///")).with_suffix(".seconds")
    store = Store(url)
    have = len(store.games(status="finished"))
    store.close()
    if have >= n_games:
        return float(stamp.read_text()) if stamp.exists() else float("nan")
    t0 = time.perf_counter()
    step = -(-n_games // (workers * 8))
    chunks = [(url, s, min(s + step, n_games)) for s in range(0, n_games, step)]
    with ProcessPoolExecutor(workers) as pool:
        total = sum(pool.map(_play_chunk, chunks))
    seconds = time.perf_counter() - t0
    print(f"played {total} games in {seconds:.1f} s")
    stamp.write_text(f"{seconds:.1f}")
    return seconds


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return found.group(1).strip() if found else "unknown"


def write_results(section: str) -> None:
    """Replace (or append) the "## Metrics" section of RESULTS.md, leaving other sections alone."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## Metrics\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    """Generate (or reuse) the games, time the pipeline, record the numbers."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--games", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    from metrics import compute_metrics, load_frames

    OUT.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{OUT / f'metrics_bench_{args.games}.db'}"
    workers = os.cpu_count() or 1
    gen_s = ensure_games(url, args.games, workers)
    store = Store(url)
    load_before = os.getloadavg()[0]
    timings = []  # (load wall, compute wall, total wall, total CPU seconds of this process)
    for _ in range(args.repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        frames = load_frames(store)
        t1 = time.perf_counter()
        metrics = compute_metrics(frames)
        t2, c2 = time.perf_counter(), time.process_time()
        timings.append((t1 - t0, t2 - t1, t2 - t0, c2 - c0))
    best = min(timings, key=lambda t: t[2])
    load_after = os.getloadavg()[0]
    n_rows = sum(len(f) for f in frames.values())
    print(
        f"games={len(frames['games'])} votes={len(frames['votes'])} beliefs={len(frames['beliefs'])} "
        f"statements={len(frames['statements'])} metric rows={len(metrics)}"
    )
    print(
        f"load_frames {best[0]:.2f} s, compute_metrics {best[1]:.2f} s, total {best[2]:.2f} s wall, "
        f"{best[3]:.2f} s CPU (best of {args.repeat}; load average {load_before:.1f} → {load_after:.1f})"
    )
    if args.no_record:
        return
    section = (
        "## Metrics\n\n"
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
        f"- machine: {workers} cores (nproc), {_cpu_model()}, Python {platform.python_version()}; "
        f"load average {load_before:.1f} before and {load_after:.1f} after the timed runs (other jobs)\n"
        f"- command: `PYTHONPATH=. python benchmarks/bench_metrics.py`\n"
        f"- data: {len(frames['games']):,} finished 10-player games (random agents, paper setting), "
        f"{n_rows:,} table rows; generating them took {gen_s:.0f} s ({workers} processes; "
        "the file is reused)\n"
        f"- `load_frames`: {best[0]:.2f} s; `compute_metrics`: {best[1]:.2f} s; "
        f"total {best[2]:.2f} s wall, {best[3]:.2f} s CPU (best of {args.repeat}; target ≤ 10 s)\n\n"
    )
    write_results(section)


if __name__ == "__main__":
    main()
