"""Replay app on a 10,000-game SQLite database: how long opening a game takes server-side.

Builds (once, then reuses) a database of ``--games`` games: ``--distinct`` real heuristic games of the paper
and classic scenarios, each cloned under new game ids (and creation dates spread over 30 days) until the
count is reached, so every game has a real event log. Then drives the app with Streamlit's ``AppTest`` (the
same script run the server does, without the browser) and times, per game never opened before (cold
cache): the click on "Open replay" until the replay page is fully rendered. Also times the games page and a
warm step.

    python benchmarks/bench_app.py            # 10,000 games, 20 openings, prints a markdown table
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from agents.heuristic import HeuristicAgent
from traitors.config import load_scenario
from traitors.engine import Game
from traitors.events import PlayerInfo
from traitors.store import Store, events, games

OUT = Path(__file__).resolve().parent / "out"
APP = Path(__file__).resolve().parent.parent / "app" / "main.py"


def build(path: Path, n_games: int, distinct: int) -> str:
    """A SQLite database with ``n_games`` games (reused when it already holds that many)."""
    url = f"sqlite:///{path}"
    with Store(url) as store, store.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(games)).scalar_one() >= n_games:
            return url
    path.unlink(missing_ok=True)
    with Store(url) as store:
        bases = []
        for i in range(distinct):
            scenario = load_scenario("classic" if i % 4 == 3 else "paper")
            players = [PlayerInfo(name=n, agent="heuristic") for n in scenario.player_names()]
            agents = {p.name: HeuristicAgent() for p in players}
            game = Game.create(f"base-{i}", scenario, i, players, agents, store)
            asyncio.run(game.run())
            bases.append(f"base-{i}")
        with store.engine.connect() as conn:
            summary = {r.game_id: dict(r._mapping) for r in conn.execute(select(games))}
            logs = {
                g: conn.execute(select(events).where(events.c.game_id == g).order_by(events.c.seq)).all()
                for g in bases
            }
        start = datetime.now(UTC) - timedelta(days=30)
        for k in range(distinct, n_games):
            base = bases[k % distinct]
            new = f"{base.replace('base', 'clone')}-{k}"
            when = start + timedelta(seconds=k * 30 * 86400 / n_games)
            old_key, new_key = f'"game_id":"{base}"', f'"game_id":"{new}"'
            rows = [
                {
                    "game_id": new,
                    "seq": r.seq,
                    "day": r.day,
                    "phase": r.phase,
                    "type": r.type,
                    "payload": r.payload.replace(old_key, new_key),
                }
                for r in logs[base]
            ]
            row = {**summary[base], "game_id": new, "created_at": when, "updated_at": when}
            with store.engine.begin() as conn:
                conn.execute(insert(games), [row])
                conn.execute(insert(events), rows)
    return url


def _app(url: str):
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["db_url"] = url
    return at


def timed(at) -> float:
    """Seconds one script run takes; fails on an exception in the app."""
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def measure(url: str, openings: int) -> dict[str, list[float]]:
    """Cold openings of distinct games of each scenario, the games page and warm steps."""
    at = _app(url)
    out: dict[str, list[float]] = {"games page, first run (includes imports)": [timed(at)]}
    out["games page, new session"] = [timed(_app(url)) for _ in range(3)]
    out["games page, rerun"] = [timed(at) for _ in range(3)]
    with Store(url, create=False) as store:
        listed = store.games(limit=1000)  # the games page lists the newest 1,000
    for scenario in ("paper", "classic"):
        ids = [g["game_id"] for g in listed if g["scenario"] == scenario][:openings]
        key = f"open a {scenario} game (cold)"
        out[key] = []
        for game_id in ids:
            at.session_state["page"] = "Games"
            timed(at)
            at.selectbox(key="open_choice").set_value(game_id)
            timed(at)
            at.button(key="open_game").click()
            out[key].append(timed(at))
            if at.header[0].value != f"Replay · {game_id}":
                raise RuntimeError(f"opened {at.header[0].value!r}, not {game_id}")
        key = f"deep link to the last event of a {scenario} game (new session, cold)"
        out[key] = []
        for row in [g for g in listed if g["scenario"] == scenario][openings : openings + 5]:
            fresh = _app(url)
            fresh.query_params.update(game=row["game_id"], page="Replay", step=str(row["n_events"] - 1))
            out[key].append(timed(fresh))
            if fresh.session_state["step"] != row["n_events"] - 1:
                raise RuntimeError("the deep link did not open the last event")
        out[f"next step, {scenario} (warm)"] = []
        for _ in range(5):
            at.button(key="next").click()
            out[f"next step, {scenario} (warm)"].append(timed(at))
        at.button(key="last").click()
        at.toggle(key="whole_game").set_value(True)
        out[f"jump to the end, whole transcript, {scenario}"] = [timed(at)]
        if at.session_state["step"] != len(session_events(url, at.session_state["game_id"])) - 1:
            raise RuntimeError("the replay did not jump to the last event")
        at.session_state["page"] = "Trust"
        out[f"trust page at the end, {scenario}"] = [timed(at)]
        if not at.header[0].value.startswith("Trust") or len(at.get("plotly_chart")) != 2:
            raise RuntimeError("the trust page did not render its two charts")
    return out


def session_events(url: str, game_id: str) -> list:
    """A game's events, read directly (to check what the app shows)."""
    with Store(url, create=False) as store:
        return store.load_events(game_id)


def machine() -> str:
    """nproc and CPU model from /proc/cpuinfo."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    return f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, load average {load}"


def main() -> None:
    """Build or reuse the database, measure, print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=200, help="real games played, then cloned")
    parser.add_argument("--openings", type=int, default=20, help="cold openings per scenario")
    parser.add_argument("--db", type=Path, default=OUT / "app_10k.db")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    url = build(args.db, args.games, args.distinct)
    with Store(url, create=False) as store, store.engine.connect() as conn:
        n_games = conn.execute(select(func.count()).select_from(games)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(events)).scalar_one()
    print(
        f"database: {n_games:,} games, {n_events:,} events, {args.db.stat().st_size / 1e6:.0f} MB "
        f"(ready in {time.perf_counter() - started:.0f} s)"
    )
    print(f"machine: {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    results = measure(url, args.openings)
    print("| action | runs | median s | p90 s | max s |\n|---|---|---|---|---|")
    for name, values in results.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        print(f"| {name} | {len(values)} | {statistics.median(values):.3f} | {p90:.3f} | {max(values):.3f} |")


if __name__ == "__main__":
    main()
