"""Batch experiments: specs, planning (ids, paired seeds, role balance), determinism, resume, budgets, CLI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from traitors.batch import balanced_seating, load_experiment, plan_games, prepare, run_batch
from traitors.batch.plan import traitor_seats
from traitors.batch.spec import ExperimentError, parse_experiment
from traitors.cli import app
from traitors.config import load_scenario
from traitors.events import event_to_json
from traitors.store import Store

MIXED = {
    "name": "mix",
    "scenarios": ["quick"],
    "games": 6,
    "seed": 40,
    "models": ["heuristic"],
    "populations": [{"name": "half", "agents": {"heuristic": 3, "random": 3}}],
}


def logs(url: str) -> dict[str, list[str]]:
    """Every game's event log (canonical JSON) in a database."""
    with Store(url) as store:
        return {
            r["game_id"]: [event_to_json(e) for e in store.load_events(r["game_id"])] for r in store.games()
        }


def test_bundled_experiments_load_and_plan() -> None:
    exp = load_experiment("paper_replication")
    assert exp.games == 10 and [p.name for p in exp.all_populations()][1:] == [
        "openai_gpt-4o-mini",
        "openai_gpt-4o",
    ]
    scenarios = exp.load_scenarios()
    assert scenarios[0].players == 10 and scenarios[0].traitors == 3
    tasks = plan_games(exp, scenarios)
    assert len(tasks) == 30 and len({t.game_id for t in tasks}) == 30
    by_condition: dict[str, list[int]] = {}
    for t in tasks:
        by_condition.setdefault(t.condition, []).append(t.seed)
    assert len({tuple(s) for s in by_condition.values()}) == 1, "seeds are paired across conditions"
    _, baseline_tasks = prepare("scenarios/experiments/baselines.yaml")
    assert len(baseline_tasks) == 60


def test_role_balance_gives_each_spec_its_share_of_traitor_seats() -> None:
    scenario = load_scenario("paper")
    names = scenario.player_names()
    seeds = range(20)
    traitors = [[names.index(t) for t in traitor_seats(scenario, s)] for s in seeds]
    seatings = balanced_seating(["a"] * 5 + ["b"] * 5, traitors)
    played = Counter(seat[i] for seat, idx in zip(seatings, traitors, strict=True) for i in idx)
    assert played == {"a": 30, "b": 30}
    assert all(Counter(s) == {"a": 5, "b": 5} for s in seatings)
    uneven = balanced_seating(["x"] * 7 + ["y"] * 3, traitors)
    played = Counter(seat[i] for seat, idx in zip(uneven, traitors, strict=True) for i in idx)
    assert played == {"x": 42, "y": 18}  # 60 Traitor seats split 7:3


def test_planned_traitor_seats_match_the_engine(tmp_path: Path) -> None:
    exp = parse_experiment(MIXED)
    result = run_batch(exp, db=f"sqlite:///{tmp_path / 'm.db'}", backend="local", progress=False)
    assert result.count("finished") == 12
    with Store(f"sqlite:///{tmp_path / 'm.db'}") as store:
        for task in plan_games(exp, exp.load_scenarios()):
            created, roles = store.load_events(task.game_id)[:2]
            assert created.seed == task.seed and tuple(p.agent for p in created.players) == task.agents
            assert sorted(n for n, r in roles.roles.items() if r == "traitor") == sorted(
                traitor_seats(task.scenario, task.seed)
            )


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"games": 0}, "games"),
        ({"name": "bad name"}, "name"),
        ({"populations": [{"name": "p", "agents": ["heuristic"] * 5}]}, "populations.0.agents"),
        ({"models": [], "populations": []}, "populations"),
        ({"scenarios": ["nosuch"]}, "scenarios.0"),
        ({"color": "red"}, "color"),
        ({"models": ["heuristic", "heuristic"]}, "duplicate"),
        ({"models": ["heuristic", "nosuch"]}, "models.1"),
    ],
)
def test_bad_experiment_is_one_line_with_field_and_writes_nothing(
    tmp_path: Path, patch: dict, field: str
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({**MIXED, **patch}))
    db = tmp_path / "never.db"
    result = CliRunner().invoke(app, ["batch", str(path), "--db", f"sqlite:///{db}", "--backend", "local"])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "\n" not in line and str(path) in line and field in line
    assert not db.exists()
    with pytest.raises(ExperimentError):
        prepare(path)


def test_batch_is_deterministic_across_backends_and_reruns_skip(tmp_path: Path, db_url: str) -> None:
    exp = parse_experiment(MIXED)
    a, b = f"sqlite:///{tmp_path / 'a.db'}", db_url
    first = run_batch(exp, db=a, backend="local", progress=False)
    second = run_batch(exp, db=b, backend="process", workers=2, concurrency=4, progress=False)
    assert first.count("finished") == second.count("finished") == 12
    assert logs(a) == logs(b) and len(logs(a)) == 12
    assert [(o.game_id, o.winner, o.days) for o in first.outcomes] == [
        (o.game_id, o.winner, o.days) for o in second.outcomes
    ]
    again = run_batch(exp, db=a, backend="local", progress=False)
    assert again.count("skipped") == 12 and logs(a) == logs(b)
    assert [(o.winner, o.days) for o in again.outcomes] == [(o.winner, o.days) for o in first.outcomes]


def test_more_games_extend_an_experiment_and_an_edited_one_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    run_batch(parse_experiment({**MIXED, "games": 2}), db=url, backend="local", progress=False)
    more = run_batch(parse_experiment({**MIXED, "games": 3}), db=url, backend="local", progress=False)
    assert more.count("skipped") == 4 and more.count("finished") == 2
    edited = {**MIXED, "games": 4, "populations": [{"name": "half", "agents": {"random": 3, "heuristic": 3}}]}
    result = run_batch(parse_experiment(edited), db=url, backend="local", progress=False)
    failed = [o for o in result.outcomes if o.status == "failed"]
    assert failed and all("another seed, scenario or seating" in str(o.error) for o in failed)


def test_halt_stops_games_at_a_phase_boundary_and_a_rerun_completes_them(tmp_path: Path) -> None:
    from traitors.batch.executors import Signals, run_local
    from traitors.batch.progress import Tally

    exp = parse_experiment(MIXED)
    tasks = plan_games(exp, exp.load_scenarios())
    url = f"sqlite:///{tmp_path / 'h.db'}"
    Store(url).close()
    signals, tally = Signals(), Tally(len(tasks))

    def on_message(message: tuple) -> None:
        tally.message(message)
        if tally.done >= 3:
            signals.halt()  # what the first Ctrl-C does

    outcomes = run_local(tasks, url, 4, signals, on_message)
    statuses = Counter(o.status for o in outcomes)
    assert statuses["finished"] >= 3 and statuses["stopped"] + statuses["not_started"] > 0
    assert statuses["failed"] == 0
    rerun = run_batch(exp, db=url, backend="local", progress=False)
    assert rerun.count("finished", "skipped") == 12
    reference = f"sqlite:///{tmp_path / 'ref.db'}"
    run_batch(exp, db=reference, backend="local", progress=False)
    assert logs(url) == logs(reference)
