"""Memory benchmarks: retrieval latency for an agent with 10,000 items, and what memory writing adds to an
offline game stored in SQLite.

    python benchmarks/bench_memory.py --items 10000 --queries 300 --games 200

Retrieval: items are real observation lines (from heuristic games) spread over 50 days of one game (and,
separately, over 100 earlier games with carry-over). "cold" includes reading the rows and building the
index after a restart; "warm" is a query once the index is in memory (new rows are still read each query).
``--embedder minilm`` ranks by the optional MiniLM embedder instead of BM25 (retrieval only; the items
repeat the corpus lines, and each distinct line is embedded once, so "cold" embeds only those).
Writing: each seed played with ``memory=False`` and then ``memory=True`` (separate SQLite files, distinct
game ids), in several rounds; each keeps its fastest run. One process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from memory import PUBLIC, Embedder, Memory, MiniLmEmbedder
from traitors.config import load_scenario
from traitors.runner import play_game
from traitors.store import Store

QUERIES = (
    "who accused Bea",
    "votes against me",
    "Traitor banished revealed",
    "murdered in the night",
    "Dana defended Eli",
    "who voted to banish Fay",
    "suspicious behaviour",
    "my top suspects",
)


def corpus(tmp: Path, games: int = 3) -> list[str]:
    """Observation lines of a few heuristic games (the realistic vocabulary for the synthetic agent)."""
    with Store(f"sqlite:///{tmp / 'corpus.db'}") as store:
        for seed in range(games):
            asyncio.run(play_game("paper", seed, store=store, game_id=f"c{seed}"))
        rows = Memory.for_engine(store.engine).items("c0") + Memory.for_engine(store.engine).items("c1")
    return sorted({r["content"] for r in rows})


def fill(memory: Memory, lines: list[str], n: int, games: int) -> None:
    """``n`` items in the memory of ``bench|Alex``: one game of 50 days, or spread over ``games`` games (the
    earlier ones, carry-over games, holding only long-term kinds, as carry-over reads them). In the current
    game two observations in three are public (stored once for every player), the rest its own."""
    kinds = ("reflection", "belief", "plan")  # earlier games keep only long-term kinds
    rows = []
    for i in range(n):
        game = "now" if games == 1 else ("now" if i >= n - n // games else f"old{i * games // n:03d}")
        kind = kinds[i % len(kinds)] if game != "now" else "observation"
        who = PUBLIC if game == "now" and i % 3 else "bench|Alex"
        rows.append(
            {
                "identity": who,
                "game_id": game,
                "player": PUBLIC if who == PUBLIC else "Alex",
                "day": 1 + (i * 50 // n) % 50,
                "phase": ("breakfast", "roundtable", "night")[i % 3],
                "kind": kind,
                "content": lines[i % len(lines)],
                "importance": round((i * 7919 % 100) / 100, 2),
                "source_seq": i,
            }
        )
    memory.add_items(rows)
    for game in {r["game_id"] for r in rows} - {"now"}:
        memory.carry("bench|Alex", game, "Alex")
    memory.flush()


def bench_retrieval(tmp: Path, items: int, queries: int, embedder: Embedder | None = None) -> list[dict]:
    """Cold and warm latency (ms) of ``retrieve`` with k=10 and a 800-token budget (BM25, or ``embedder``)."""
    lines = corpus(tmp)
    out = []
    for label, games, carry in (
        ("one game, 50 days", 1, False),
        ("carry-over, 100 earlier games", 101, True),
    ):
        url = f"sqlite:///{tmp / f'ret{games}.db'}"
        fill(Memory(url), lines, items, games)
        memory = Memory(url, embedder=embedder)  # a fresh process: empty caches

        def ask(query: str, memory: Memory = memory, carry: bool = carry) -> list:
            return memory.retrieve(
                "bench|Alex",
                query,
                game_id="now",
                day=50,
                k=10,
                token_budget=800,
                carry_over=carry,
                player="Alex",
            )

        start = time.perf_counter()
        ask(QUERIES[0])
        cold = (time.perf_counter() - start) * 1000
        times = []
        for q in range(queries):
            start = time.perf_counter()
            got = ask(QUERIES[q % len(QUERIES)])
            times.append((time.perf_counter() - start) * 1000)
            assert sum(r.tokens for r in got) <= 800 and len(got) <= 10
        scope = len(memory._indexes[("bench|Alex", "now", carry)].rows)
        times.sort()
        out.append(
            {
                "scope": label,
                "items": scope,
                "cold_ms": cold,
                "p50_ms": statistics.median(times),
                "p95_ms": times[int(0.95 * len(times)) - 1],
                "max_ms": times[-1],
            }
        )
    return out


def bench_writing(tmp: Path, games: int, rounds: int) -> dict:
    """Wall and CPU seconds per game with memory off and on, and the rows written per game.

    Each seed is played with memory off and then on (separate SQLite files), ``rounds`` times; each (seed,
    variant) keeps its fastest run, which filters out other processes' load. The variants use different
    game ids: the heuristic agents share a per-game cache of the public record in the process, and a game
    id played before would make the second variant pay for a cache built by the first.
    """
    scenario = load_scenario("paper")
    wall: dict[tuple[bool, int], float] = {}
    cpu: dict[tuple[bool, int], float] = {}
    stores = {on: Store(f"sqlite:///{tmp / f'write_{on}.db'}") for on in (False, True)}

    async def one(seed: int, game_id: str, on: bool) -> None:
        await play_game(scenario, seed, store=stores[on], game_id=game_id, memory=on)

    for r in range(rounds):
        for seed in range(games):
            for on in (False, True):
                start, start_cpu = time.perf_counter(), time.process_time()
                asyncio.run(one(seed, f"w{r}-{seed}-{'on' if on else 'off'}", on))
                key = (on, seed)
                wall[key] = min(wall.get(key, 1e9), time.perf_counter() - start)
                cpu[key] = min(cpu.get(key, 1e9), time.process_time() - start_cpu)
    with stores[True].engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM memory_items) + (SELECT count(*) FROM beliefs)"
        ).scalar()
    for store in stores.values():
        store.close()

    def mean(d: dict, on: bool) -> float:
        return sum(v for (o, _), v in d.items() if o == on) / games

    return {
        "off_s": mean(wall, False),
        "on_s": mean(wall, True),
        "off_cpu": mean(cpu, False),
        "on_cpu": mean(cpu, True),
        "rows_per_game": rows / (games * rounds),
    }


def main() -> None:
    """Print markdown tables of both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--games", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--embedder", choices=("bm25", "minilm"), default="bm25", help="minilm: no writing")
    args = parser.parse_args()
    embedder = MiniLmEmbedder() if args.embedder == "minilm" else None
    with tempfile.TemporaryDirectory() as tmp:
        retrieval = bench_retrieval(Path(tmp), args.items, args.queries, embedder)
        writing = bench_writing(Path(tmp), args.games, args.rounds) if embedder is None else None
    relevance = "BM25" if embedder is None else "MiniLM (all-MiniLM-L6-v2)"
    print(f"Retrieval: k=10, token budget 800, {args.queries} queries, {relevance} relevance")
    print("| scope | items | cold (ms) | warm p50 (ms) | warm p95 (ms) | warm max (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in retrieval:
        print(
            f"| {r['scope']} | {r['items']} | {r['cold_ms']:.1f} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | "
            f"{r['max_ms']:.2f} |"
        )
    if writing is None:
        return
    off, on = writing["off_s"], writing["on_s"]
    print(
        f"\nWriting: paper scenario, heuristic agents, {args.games} games x {args.rounds} rounds, "
        "SQLite (WAL)"
    )
    print("| variant | wall ms/game | CPU ms/game | games/s | memory rows/game |")
    print("|---|---:|---:|---:|---:|")
    off_cpu, on_cpu = writing["off_cpu"], writing["on_cpu"]
    print(f"| store, memory off | {off * 1000:.1f} | {off_cpu * 1000:.1f} | {1 / off:.1f} | 0 |")
    print(
        f"| store, memory on | {on * 1000:.1f} | {on_cpu * 1000:.1f} | {1 / on:.1f} | "
        f"{writing['rows_per_game']:.0f} |"
    )
    print(
        f"memory writing adds {100 * (on / off - 1):.1f}% wall time, {100 * (on_cpu / off_cpu - 1):.1f}% CPU "
        "time to a stored game"
    )


if __name__ == "__main__":
    main()
