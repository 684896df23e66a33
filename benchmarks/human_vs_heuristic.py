"""Human baseline vs the heuristic agents: the table of docs/metrics.md ("Human baseline").

Imports the UK show's votes and plays N heuristic games of the paper scenario (seeds 0..N-1) into one
database (reused when it already holds them), then prints the comparable metrics by population with 95%
bootstrap CIs as a Markdown table::

    python benchmarks/human_vs_heuristic.py --games 500 --db sqlite:///benchmarks/out/human.db
"""

from __future__ import annotations

import argparse
import asyncio

from metrics import metrics_table
from traitors import runner
from traitors.human import UK_SHOW_DIR, import_show
from traitors.store import Store

METRICS = (
    "FCR",
    "FCR_vs_chance",
    "FAS",
    "TAS",
    "VSF",
    "betrayal",
    "outcome_agreement",
    "DES",
    "DES_pivotal",
    "BRR",
)


def build(url: str, games: int) -> None:
    """Import the show and play the heuristic games that are missing."""
    with Store(url) as store:
        import_show(UK_SHOW_DIR, store)
        for seed in range(games):
            gid = f"paper-heuristic-{seed}"
            if store.game(gid) is None:
                asyncio.run(runner.play_game("paper", seed, agents="heuristic", store=store, game_id=gid))


def table(url: str, n_boot: int = 2000) -> str:
    """Markdown table: metric, human mean [CI], n / units, heuristic mean [CI], n / units."""
    s = metrics_table(url, by=["population"], n_boot=n_boot, seed=0)
    lines = [
        "| metric | human (UK show) | n / units | heuristic (paper) | n / units |",
        "|---|---|---|---|---|",
    ]
    for metric in METRICS:
        cells = [metric]
        for population in ("human", "heuristic"):
            rows = s[(s["metric"] == metric) & (s["population"] == population)]
            if rows.empty:
                cells += ["–", "0 / 0"]
                continue
            r = rows.iloc[0]
            cells += [
                f"{r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]",
                f"{int(r['n'])} / {int(r['units'])}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=500)
    parser.add_argument("--db", default="sqlite:///benchmarks/out/human.db")
    args = parser.parse_args()
    build(args.db, args.games)
    print(table(args.db))


if __name__ == "__main__":
    main()
