"""LLM-agent benchmarks against the fake OpenAI-compatible server (fixed latency, speeches of
``--speech-chars`` characters) and the local model.

    python benchmarks/bench_llm.py [--latency 0.1] [--seed 3] [--seeds 1-8] [--speech-chars 300] [--no-local]

1. The paper game (10 players, full history, the scenario's default llm section): wall time vs the
   critical path (the model calls that must run one after another × latency), prompt tokens per
   player-day, per call on the last day vs day 1, and the share in a prefix shared by the players.
2. The same token figures over the paper games of ``--seeds`` (games differ in length and ties).
3. A 16-player game (it reaches day 6): prompt tokens per call by day.
4. A local SmolLM2-135M game: wall time and the share of decisions the model made (``decided_by``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.llm import LLMAgent  # noqa: E402
from agents.models.base import _TOKEN  # noqa: E402
from agents.models.factory import build_model  # noqa: E402
from agents.models.tables import llm_cache, model_calls  # noqa: E402
from traitors import runner  # noqa: E402
from traitors.config import load_scenario, parse_scenario  # noqa: E402
from traitors.engine import Game  # noqa: E402
from traitors.events import DecisionFallback, DecisionReasoning, ModelCall, PlayerInfo  # noqa: E402
from traitors.provenance import fallback_share  # noqa: E402
from traitors.store import Store  # noqa: E402

SPEC = "openai:gpt-4o-mini"
LONG = {"name": "long", "players": 16, "traitors": 2, "max_days": 8}
TINY = {"name": "tiny", "players": 4, "traitors": 1, "max_days": 1, "discussion": {"max_chars": 80}}
TINY["night"] = {"turns": 0}


def critical_calls(state) -> int:
    """Model calls that must run one after another: the engine logs each batch of concurrent questions
    (one speech, a belief round, a ballot, an offer) as one run of host events right after it; a run
    takes as many latencies as its busiest player made calls in it (a correction or a re-ask waits for
    the answer before). A ballot answered without calls (votes cast from the belief report) takes none."""
    total, run, host = 0, defaultdict(int), (ModelCall, DecisionReasoning, DecisionFallback)
    for e in [*state.events, None]:
        if isinstance(e, host):
            if isinstance(e, ModelCall):
                run[e.player] += 1
            continue
        total += max(run.values(), default=0)
        run = defaultdict(int)
    return total


def play(scenario, seed: int, db: str, memory: bool = False):
    store = Store(db)
    started, cpu = time.perf_counter(), time.process_time()
    state = asyncio.run(
        runner.play_game(scenario, seed, agents=SPEC, store=store, game_id="b", memory=memory, probe=False)
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{scenario.name}: wall {wall:.2f} s, client CPU {cpu:.2f} s", file=sys.stderr)
    return state, wall, store


def prompts(store: Store) -> list[dict]:
    with store.engine.connect() as conn:
        cache = {r.request_hash: json.loads(r.request) for r in conn.execute(select(llm_cache))}
        rows = [dict(r._mapping) for r in conn.execute(select(model_calls).order_by(model_calls.c.id))]
    for row in rows:
        request = cache[row["request_hash"]]
        row["tokens"] = [t for m in request["messages"] for t in _TOKEN.findall(m["content"])]
    return rows


def shared_prefix_share(rows: list[dict]) -> float:
    """Σ over calls of the longest token prefix shared with another player's call in the same
    (day, phase, purpose), over Σ prompt tokens."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["day"], row["phase"], row["purpose"])].append(row)
    shared = total = 0
    for group in groups.values():
        for row in group:
            best = 0
            for other in group:
                if other["player"] == row["player"]:
                    continue
                n = 0
                for a, b in zip(row["tokens"], other["tokens"], strict=False):
                    if a != b:
                        break
                    n += 1
                best = max(best, n)
            shared += best
            total += len(row["tokens"])
    return shared / total


def per_day(rows: list[dict]) -> dict[int, float]:
    by_day: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_day[row["day"]].append(row["prompt_tokens"])
    return {d: statistics.mean(v) for d, v in sorted(by_day.items())}


def per_player_day(rows: list[dict]) -> float:
    sums: dict[tuple, int] = defaultdict(int)
    for row in rows:
        sums[(row["player"], row["day"])] += row["prompt_tokens"]
    return statistics.mean(sums.values())


def local_game(seeds: list[int]) -> dict:
    """SmolLM2-135M games (the tiny scenario, reasoning on): wall time and the decisions the model made."""
    tmp = tempfile.mkdtemp()
    store = Store(f"sqlite:///{tmp}/local.db")
    model = build_model("local", engine=store.engine)
    scenario = parse_scenario(TINY)
    players = [PlayerInfo(name=n, agent="local") for n in scenario.player_names()]
    asyncio.run(model.text(_warm()))  # server start and model load, timed apart from the game
    out: dict = {"games": []}
    decisions = fallbacks = 0
    for seed in seeds:
        agents = {p.name: LLMAgent(model, reflect="off", temperature=0.0) for p in players}
        started = time.perf_counter()
        state = asyncio.run(Game.create(f"local-{seed}", scenario, seed, players, agents, store).run())
        wall = time.perf_counter() - started
        calls = [e for e in state.events if isinstance(e, ModelCall)]
        share = fallback_share(state.events)
        decisions, fallbacks = decisions + share.decisions, fallbacks + share.fallbacks
        out["games"].append(
            {
                "seed": seed,
                "wall_s": round(wall, 1),
                "calls": len(calls),
                "decisions": share.decisions,
                "fallbacks": share.fallbacks,
                "completion_tokens": sum(c.completion_tokens for c in calls),
            }
        )
    out["model_decision_share"] = round(1 - fallbacks / decisions, 3) if decisions else None
    return out


def _warm():
    from agents.models.base import ModelRequest

    return ModelRequest(messages=({"role": "user", "content": "Hi"},), max_tokens=1, temperature=0.0, seed=0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--seeds", default="1-8", help="paper games for the token figures, e.g. 1-8")
    parser.add_argument("--speech-chars", type=int, default=300, help="length of the fake server's speeches")
    parser.add_argument("--local-seeds", default="1-3", help="local SmolLM2 games")
    parser.add_argument("--no-local", action="store_true")
    args = parser.parse_args()
    out: dict = {"python": platform.python_version(), "nproc": os.cpu_count(), "load": os.getloadavg()[0]}
    out["speech_chars"] = args.speech_chars
    command = [sys.executable, "-m", "agents.models.fake_server", "--latency", str(args.latency)]
    server = subprocess.Popen(
        [*command, "--speech-chars", str(args.speech_chars)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = server.stdout.readline().strip()
    try:
        run_fake(args, base_url, out)
    finally:
        server.terminate()
        server.wait()
    if not args.no_local:
        out["local_smollm2"] = local_game(seed_range(args.local_seeds))
    print(json.dumps(out, indent=2))


def seed_range(text: str) -> list[int]:
    """``"1-8"`` → 1..8; ``"3"`` → [3]."""
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def token_figures(rows: list[dict]) -> dict:
    """Prompt tokens per player-day, per call on the last day over day 1, and the shared prefix."""
    days = per_day(rows)
    return {
        "prompt_tokens_per_player_day": round(per_player_day(rows)),
        "prompt_tokens_per_call_by_day": {d: round(v) for d, v in days.items()},
        "last_over_first_day": round(days[max(days)] / days[1], 3),
        "shared_prefix": round(shared_prefix_share(rows), 3),
    }


def server_stats(base_url: str) -> dict:
    with urllib.request.urlopen(base_url + "/stats") as response:
        return json.load(response)


def run_fake(args: argparse.Namespace, base_url: str, out: dict) -> None:
    """The fake-server measurements (the server runs in its own process, like a real one)."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench-not-a-key")
        build_model(SPEC)  # import the SDK before timing
        state, wall, store = play(load_scenario("paper"), args.seed, f"sqlite:///{tmp}/paper.db")
        rows = prompts(store)
        bound = critical_calls(state) * args.latency
        out["paper"] = {
            "seed": args.seed,
            "days": state.day,
            "calls": len(rows),
            "critical_calls": critical_calls(state),
            "wall_s": round(wall, 2),
            "bound_s": round(bound, 2),
            "ratio": round(wall / bound, 3),
            "max_in_flight": server_stats(base_url)["max_inflight"],
            "speak_latency_ms_median": round(
                statistics.median(r["latency_ms"] for r in rows if r["purpose"] == "speak")
            ),
            "server_cached_share": round(
                sum(r["cached_tokens"] for r in rows) / sum(r["prompt_tokens"] for r in rows), 3
            ),
            **token_figures(rows),
        }
        games = []
        for seed in seed_range(args.seeds):
            state, _, store = play(load_scenario("paper"), seed, f"sqlite:///{tmp}/paper-{seed}.db")
            games.append({"seed": seed, "days": state.day, **token_figures(prompts(store))})
        keys = ("prompt_tokens_per_player_day", "last_over_first_day", "shared_prefix")
        out["paper_seeds"] = {
            "games": games,
            **{f"{k}_mean": round(statistics.mean(g[k] for g in games), 3) for k in keys},
            **{f"{k}_max": max(g[k] for g in games) for k in keys[:2]},
            "shared_prefix_min": min(g["shared_prefix"] for g in games),
        }
        state, wall, store = play(parse_scenario(LONG), args.seed, f"sqlite:///{tmp}/long.db")
        rows = prompts(store)
        days = per_day(rows)
        out["long"] = {
            "days": state.day,
            "calls": len(rows),
            "wall_s": round(wall, 2),
            "ratio_to_bound": round(wall / (critical_calls(state) * args.latency), 3),
            "day6_over_day1": round(days[6] / days[1], 3) if 6 in days else None,
            **token_figures(rows),
        }


if __name__ == "__main__":
    main()
