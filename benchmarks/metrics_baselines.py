"""Metrics v2 baselines (issue #13): heuristic and random agents in the paper and classic scenarios, the
chance levels, and the human baseline, as the Markdown tables of docs/metrics.md and benchmarks/RESULTS.md.

Plays N games per scenario and population (seeds 0..N-1; memory off, which the offline agents do not read)
and imports the UK show into one database, reused when it already holds them; simulates the abstract
uniformly random process (metrics.chance) with 100,000 games per scenario::

    python benchmarks/metrics_baselines.py --games 500 --db sqlite:///benchmarks/out/baselines_v2.db
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from metrics import compute_metrics, load_frames, summarize
from metrics.chance import Rules, faithful_win_probability, simulate
from traitors.config import load_scenario
from traitors.human import UK_SHOW_DIR, import_show
from traitors.runner import run_game
from traitors.store import Store

SCENARIOS = ("paper", "classic")
POPULATIONS = ("heuristic", "random")
METRICS = (
    "faithful_win",
    "FCR",
    "FCR_vs_chance",
    "FAS",
    "TAS",
    "betrayal",
    "DES",
    "DES_pivotal",
    "DES_paper",
    "faithful_banished",
    "BRR",
    "VSF",
    "IDR",
    "IDR_vs_chance",
    "IDR_slope",
    "IDR_slope_vs_chance",
    "TNS",
    "TNS_by_traitors",
    "AUC",
    "brier",
    "deception_gap",
    "net_in_trust_traitor",
    "net_in_trust_faithful",
    "net_density",
    "net_reciprocity",
    "night_consensus",
    "TSR",
    "FSR",
    "outcome_agreement",
)
HUMAN = ("FCR", "FCR_vs_chance", "FAS", "TAS", "betrayal", "VSF", "DES", "DES_pivotal", "DES_paper")
HUMAN += ("faithful_banished", "BRR", "outcome_agreement")


def build(url: str, games: int) -> None:
    """Import the show and play the games that are missing."""
    with Store(url) as store:
        import_show(UK_SHOW_DIR, store)
        have = {g["game_id"] for g in store.games()}
        for scenario in SCENARIOS:
            for agents in POPULATIONS:
                for seed in range(games):
                    gid = f"{scenario}-{agents}-{seed}"
                    if gid not in have:
                        run_game(scenario, seed, agents=agents, db=store, game_id=gid, memory=False)


def _cell(row: object) -> str:
    if row is None:
        return "–"
    r = row  # a summary row (namedtuple)
    return f"{r.mean:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"


def tables(url: str, n_boot: int = 2000, sims: int = 100_000) -> str:
    """The Markdown tables: chance check, metrics per scenario and population, human baseline."""
    frames = load_frames(url)
    long = compute_metrics(frames)
    summary = summarize(long, frames, by=["population"], n_boot=n_boot, seed=0)
    rows = {(r.scenario, r.population, r.metric): r for r in summary.itertuples(index=False)}
    out = ["### Chance: exact, simulated, played", ""]
    out += [
        "| scenario | exact P(Faithful win), uniform play | abstract process, 100,000 games [95% CI] |"
        " heuristic agents, played [95% CI] (games) | random agents, played [95% CI] (games) |",
        "|---|---|---|---|---|",
    ]
    for scenario in SCENARIOS:
        rules = Rules.from_config(load_scenario(scenario).model_dump(mode="json"))
        exact = faithful_win_probability(rules)
        t0 = time.perf_counter()
        won = float(np.mean(simulate(rules, sims, seed=1)))
        half = 1.96 * math.sqrt(won * (1 - won) / sims)
        took = time.perf_counter() - t0
        played = [rows.get((scenario, p, "faithful_win")) for p in POPULATIONS]
        cells = [f"{_cell(r)} ({r.games})" if r else "–" for r in played]
        out.append(
            f"| {scenario} | {exact:.4f} | {won:.4f} [{won - half:.4f}, {won + half:.4f}] ({took:.0f} s) | "
            + " | ".join(cells)
            + " |"
        )
    for scenario in SCENARIOS:
        title = f"### {scenario}: heuristic vs random ({n_boot} bootstrap resamples of games, seed 0)"
        out += ["", title, ""]
        out += [
            "| metric | heuristic | games / units | random | games / units | chance (heuristic; random) |",
            "|---|---|---|---|---|---|",
        ]
        for metric in METRICS:
            cells = [metric]
            chances = []
            for population in POPULATIONS:
                r = rows.get((scenario, population, metric))
                cells += [_cell(r), f"{r.games} / {r.units}" if r else "0 / 0"]
                if r is not None and not math.isnan(r.chance):
                    chances.append(f"{r.chance:.3f}")
            cells.append("; ".join(chances) if chances else "")
            out.append("| " + " | ".join(cells) + " |")
    out += ["", "### Human baseline (UK show) vs heuristic (paper)", ""]
    out += [
        "| metric | human | games / units | heuristic (paper) | games / units | chance (human; heuristic) |",
        "|---|---|---|---|---|---|",
    ]
    for metric in HUMAN:
        h = rows.get(("uk_show", "human", metric))
        p = rows.get(("paper", "heuristic", metric))
        chance = [f"{r.chance:.3f}" for r in (h, p) if r is not None and not math.isnan(r.chance)]
        out.append(
            f"| {metric} | {_cell(h)} | {h.games if h else 0} / {h.units if h else 0} | {_cell(p)} | "
            f"{p.games if p else 0} / {p.units if p else 0} | {'; '.join(chance)} |"
        )
    per = long[long["game_id"].astype(str).str.startswith("uk-") & long["player"].isna()]
    wide = per[per["metric"].isin(HUMAN)].pivot_table(index="game_id", columns="metric", values="value")
    out += ["", "Per series:", "", "| series | " + " | ".join(m for m in HUMAN if m in wide) + " |"]
    out += ["|---|" + "---|" * sum(m in wide for m in HUMAN)]
    for gid, r in wide.iterrows():
        out.append(f"| {gid} | " + " | ".join(f"{r[m]:.3f}" for m in HUMAN if m in wide) + " |")
    return "\n".join(out)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--db", default="sqlite:///benchmarks/out/baselines_v2.db")
    parser.add_argument("--sims", type=int, default=100_000)
    args = parser.parse_args()
    build(args.db, args.games)
    print(tables(args.db, sims=args.sims))


if __name__ == "__main__":
    main()
