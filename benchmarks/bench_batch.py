"""Batch throughput: offline games on the process pool vs one process, and fake-LLM games at a fixed
latency with many games in flight vs one at a time.

    python benchmarks/bench_batch.py offline --games 1000 --workers 2
    python benchmarks/bench_batch.py llm --games 200 --latency 0.1 --concurrency 64 [--sequential-games 200]

``offline``: the 10-player paper scenario, heuristic agents, SQLite in a temporary folder; the same
experiment runs once with ``backend=local`` (one process, one asyncio loop) and once with
``backend=process`` (``--workers`` processes). ``llm``: the 6-player quick scenario, every seat
``openai:fake`` through the LLM engineers' OpenAI backend against ``agents.models.fake_server.FakeOpenAI``
(stdlib HTTP server, fixed latency per request) on loopback; many games in flight (``--concurrency``) vs one
game at a time (``concurrency=1``; the engine still gathers each phase's independent calls).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from traitors.batch import run_batch
from traitors.batch.spec import parse_experiment


def machine() -> str:
    """nproc and the CPU model, for RESULTS.md."""
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"nproc={os.cpu_count()}, CPU={model}, Python {platform.python_version()}, load={os.getloadavg()}"


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(name: str, exp: object, folder: Path, **options: object) -> float:
    started, cpu = time.perf_counter(), _cpu()
    result = run_batch(exp, db=f"sqlite:///{folder / (name + '.db')}", progress=False, **options)
    wall, cpu = time.perf_counter() - started, _cpu() - cpu
    done = result.count("finished")
    assert done == len(result.outcomes), [o.error for o in result.outcomes if o.error][:3]
    rate = f"{done:5d} games {wall:8.2f} s {done / wall:8.1f} games/s"
    print(f"{name:<28} {rate}  cpu {cpu:7.2f} s  tokens={result.tokens:,}")
    return wall


def offline(args: argparse.Namespace) -> None:
    exp = parse_experiment(
        {
            "name": "bench",
            "scenarios": ["paper"],
            "games": args.games,
            "models": [args.agents],
            "memory": args.memory,
        }
    )
    ones, manys = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same background load
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            ones.append(timed("local (1 process)", exp, folder, backend="local"))
            many = f"process ({args.workers} workers)"
            manys.append(timed(many, exp, folder, backend="process", workers=args.workers))
    print(f"speed-up {min(ones) / min(manys):.2f}x (best of {args.repeat} each)")


def llm(args: argparse.Namespace) -> None:
    from agents.models.fake_server import FakeOpenAI

    with FakeOpenAI(latency=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        spec = f"openai:fake?base_url={server.base_url}"
        base = {"scenarios": ["quick"], "models": [spec], "memory": args.memory}
        folder = Path(tmp)
        fast = timed(
            f"concurrency {args.concurrency}",
            parse_experiment({**base, "name": "fast", "games": args.games}),
            folder,
            backend=args.backend,
            concurrency=args.concurrency,
            workers=args.workers,
        )
        n = args.sequential_games or args.games
        if n < 0:  # only the concurrent run (compare with a sequential run measured before)
            return
        slow = timed(
            "sequential",
            parse_experiment({**base, "name": "slow", "games": n}),
            folder,
            backend="local",
            concurrency=1,
        )
        print(f"requests served {len(server.requests):,}")
    print(f"speed-up {slow / n * args.games / fast:.1f}x (sequential time scaled to {args.games} games)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=["offline", "llm"])
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--agents", default="heuristic")
    parser.add_argument("--memory", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--sequential-games", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(machine())
    offline(args) if args.part == "offline" else llm(args)


if __name__ == "__main__":
    main()
