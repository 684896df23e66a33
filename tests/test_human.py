"""Human baseline: importing the UK show's real round-table votes (traitors.human, `traitors import-show`)."""

from __future__ import annotations

import asyncio
import csv
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from traitors import runner as game_runner
from traitors.cli import app
from traitors.config import Scenario
from traitors.events import Banished, GameCreated, GameEnded, Murdered, RecruitAnswered, VoteCast
from traitors.human import (
    UK_SHOW_DIR,
    ShowDataError,
    Vote,
    banished_at,
    game_id,
    import_show,
    load_show,
)
from traitors.state import replay
from traitors.store import Store

runner = CliRunner()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def show_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled data."""
    target = tmp_path / "uk_show"
    target.mkdir()
    for name in ("candidates.csv", "votes.csv", "README.md"):
        shutil.copyfile(UK_SHOW_DIR / name, target / name)
    return target


@pytest.fixture
def store(db_url: str):
    with Store(db_url) as s:
        yield s


def counts(store: Store) -> tuple[int, int]:
    """(games, events) stored."""
    games = store.games()
    return len(games), sum(g["n_events"] for g in games)


def test_bundled_copy_is_the_shared_data() -> None:
    shared = Path("/work/shared/data/uk_show")
    if not shared.is_dir():
        pytest.skip("no shared data folder on this machine")
    for name in ("candidates.csv", "votes.csv"):
        assert (UK_SHOW_DIR / name).read_bytes() == (shared / name).read_bytes()


def test_import_is_idempotent(store: Store) -> None:
    ids = import_show(UK_SHOW_DIR, store)
    assert ids == ["uk-s1", "uk-s2", "uk-s3", "uk-s4"]
    first = counts(store)
    before = {g: store.load_events(g) for g in ids}
    assert import_show(UK_SHOW_DIR, store) == ids
    assert counts(store) == first == (4, sum(len(e) for e in before.values()))
    assert {g: store.load_events(g) for g in ids} == before


def test_every_vote_row_is_stored(store: Store) -> None:
    import_show(UK_SHOW_DIR, store)
    names = {
        (r["series"], r["id"]): " ".join(r["name"].split()) for r in read_csv(UK_SHOW_DIR / "candidates.csv")
    }
    rows = read_csv(UK_SHOW_DIR / "votes.csv")
    expected = Counter(
        (
            f"uk-s{r['series']}",
            int(r["round"]),
            names[r["series"], r["voterId"]],
            names[r["series"], r["targetId"]],
        )
        for r in rows
    )
    stored = Counter(
        (e.game_id, e.day, e.voter, e.target)
        for g in store.find_games("uk-s")
        for e in store.load_events(g)
        if isinstance(e, VoteCast)
    )
    assert len(rows) == 524 and stored == expected
    votes = [e for g in store.find_games("uk-s") for e in store.load_events(g) if isinstance(e, VoteCast)]
    assert all(v.kind == "banish" and v.ballot == 1 and v.valid for v in votes)


def test_games_replay_and_record_only_what_the_data_supports(store: Store) -> None:
    import_show(UK_SHOW_DIR, store)
    cands = read_csv(UK_SHOW_DIR / "candidates.csv")
    for series in ("1", "2", "3", "4"):
        events = store.load_events(game_id(int(series)))
        state = replay(events)  # the fold accepts the log
        created = events[0]
        assert isinstance(created, GameCreated)
        scenario = Scenario.model_validate(created.config)
        seats = [c for c in cands if c["series"] == series]
        assert scenario.name == "uk_show" and scenario.players == len(seats)
        assert scenario.traitors == sum(c["originalRole"] == "Traitor" for c in seats)
        assert scenario.player_names() == state.names == tuple(p.name for p in created.players)
        assert {p.agent for p in created.players} == {"human"}
        assert {
            state.initial_roles[" ".join(c["name"].split())] for c in seats if c["originalRole"] == "Traitor"
        } == {"traitor"}
        assert not any(isinstance(e, GameEnded | Murdered | RecruitAnswered) for e in events)
        assert store.game(game_id(int(series)))["status"] == "running"


def test_banishments_follow_the_documented_rule(store: Store) -> None:
    import_show(UK_SHOW_DIR, store)
    banished = {
        g: [(e.day, e.player) for e in store.load_events(g) if isinstance(e, Banished)]
        for g in store.find_games("uk-s")
    }
    assert [len(b) for b in banished.values()] == [10, 11, 11, 8]
    assert banished["uk-s1"][0] == (2, "Nicky Wilding")
    assert (3, "Brian Davidson") in banished["uk-s2"]  # a three-way tie, resolved by who stops voting
    assert 9 not in {d for d, _ in banished["uk-s4"]}  # round 9 repeats round 10: nobody is determined
    for g, events in ((g, store.load_events(g)) for g in banished):
        voted_after = defaultdict(set)
        for e in events:
            if isinstance(e, VoteCast):
                voted_after[e.voter].add(e.day)
        for day, player in banished[g]:
            assert not any(d > day for d in voted_after[player]), (g, player)


def vote(voter: int, target: int, rnd: int) -> Vote:
    return Vote(1, voter, target, rnd, rnd, 0)


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        # unique plurality who stops voting: banished; who votes again: not determined
        (
            [vote(1, 2, 1), vote(3, 2, 1), vote(2, 1, 1), vote(1, 3, 2), vote(3, 1, 2), vote(4, 1, 2)],
            {1: 2, 2: 1},
        ),
        ([vote(1, 2, 1), vote(3, 2, 1), vote(2, 1, 1), vote(2, 3, 2), vote(3, 1, 2)], {}),
        # tie: the one of the tied who stops voting; both or neither: not determined
        ([vote(1, 2, 1), vote(2, 1, 1), vote(3, 1, 1), vote(4, 2, 1), vote(1, 3, 2), vote(3, 4, 2)], {1: 2}),
        ([vote(1, 2, 1), vote(2, 1, 1), vote(3, 4, 2), vote(4, 3, 2)], {}),
        ([vote(1, 2, 1), vote(2, 1, 1), vote(1, 2, 2), vote(2, 1, 2)], {}),
        # last round table: only a unique plurality
        ([vote(1, 2, 4), vote(3, 2, 4), vote(2, 3, 4)], {4: 2}),
        ([vote(1, 2, 4), vote(2, 1, 4)], {}),
    ],
)
def test_banishment_rule(votes: list[Vote], expected: dict[int, int]) -> None:
    assert banished_at(votes) == expected


def direct_fcr(directory: Path) -> dict[str, float]:
    """Faithful correctness per series straight from the CSV files (DESIGN.md §5: per round table, the
    share of Faithful voters' votes on a Traitor; the mean over round tables)."""
    role = {(r["series"], r["id"]): r["originalRole"] for r in read_csv(directory / "candidates.csv")}
    daily: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for r in read_csv(directory / "votes.csv"):
        if role[r["series"], r["voterId"]] == "Faithful":
            daily[r["series"], r["round"]].append(role[r["series"], r["targetId"]] == "Traitor")
    per_series: dict[str, list[float]] = defaultdict(list)
    for (series, _), hits in daily.items():
        per_series[f"uk-s{series}"].append(sum(hits) / len(hits))
    return {g: sum(s) / len(s) for g, s in per_series.items()}


def test_faithful_correctness_equals_direct_computation(store: Store) -> None:
    frames_mod = pytest.importorskip("metrics.frames")
    compute_mod = pytest.importorskip("metrics.compute")
    import_show(UK_SHOW_DIR, store)
    table = compute_mod.compute_metrics(frames_mod.load_frames(store))
    fcr = table[table["metric"] == "FCR"].set_index("game_id")
    expected = direct_fcr(UK_SHOW_DIR)
    assert sorted(fcr.index) == sorted(expected)
    for gid, value in expected.items():
        assert fcr.loc[gid, "value"] == pytest.approx(value, abs=1e-12)
    assert fcr["n"].sum() == 41  # round tables with Faithful votes
    pooled = float(np.average(fcr["value"], weights=fcr["n"]))  # mean over all 41 round tables
    assert pooled == pytest.approx(0.34, abs=0.005)  # the figure quoted in the data README


def test_metrics_needing_unrecorded_events_are_nan(store: Store) -> None:
    frames_mod = pytest.importorskip("metrics.frames")
    compute_mod = pytest.importorskip("metrics.compute")
    import_show(UK_SHOW_DIR, store)
    frames = frames_mod.load_frames(store)
    table = compute_mod.compute_metrics(frames)
    game_rows = table[table["player"].isna()].set_index("metric")
    for metric in ("TSR", "FSR", "night_consensus", "IDR", "TNS", "brier", "traitor_win", "tokens"):
        rows = game_rows.loc[[metric]]
        assert rows["value"].isna().all() and (rows["n"] == 0).all(), metric
    for metric in ("FCR", "FAS", "TAS", "VSF", "betrayal"):
        rows = game_rows.loc[[metric]]
        assert rows["value"].notna().all() and (rows["n"] > 0).all(), metric
    assert not table[(table["metric"] == "outcome_agreement")].empty
    assert set(table.loc[table["metric"].isin(["win", "survived"]), "game_id"]) == set()
    players = frames["players"]
    assert set(players["model"]) == {"human"} and len(players) == 91


def test_population_is_human(store: Store) -> None:
    frames_mod = pytest.importorskip("metrics.frames")
    compute_mod = pytest.importorskip("metrics.compute")
    aggregate = pytest.importorskip("metrics.aggregate")
    import_show(UK_SHOW_DIR, store)
    frames = frames_mod.load_frames(store)
    summary = aggregate.summarize(compute_mod.compute_metrics(frames), frames, by=["population"], n_boot=200)
    fcr = summary[summary["metric"] == "FCR"]
    assert list(fcr["population"]) == ["human"] and int(fcr["n"].iloc[0]) == 4
    assert fcr["ci_low"].iloc[0] <= fcr["mean"].iloc[0] <= fcr["ci_high"].iloc[0]


# -- malformed or missing files: one line, nothing written ---------------------------------------------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BREAKAGES = {
    "no votes file": (lambda d: (d / "votes.csv").unlink(), "votes.csv: file not found"),
    "no candidates file": (lambda d: (d / "candidates.csv").unlink(), "candidates.csv: file not found"),
    "missing column": (lambda d: edit(d / "votes.csv", "targetId,", "target,"), "missing column(s) targetId"),
    "unknown voter": (
        lambda d: edit(d / "votes.csv", "1,19,3,2,2", "1,99,3,2,2"),
        "voterId 99 is not a contestant",
    ),
    "bad role": (
        lambda d: edit(d / "candidates.csv", "Faithful", "Host"),
        "originalRole must be Faithful or Traitor",
    ),
    "not an integer": (
        lambda d: edit(d / "votes.csv", "1,19,3,2,2", "1,19,x,2,2"),
        "targetId must be an integer",
    ),
    "self vote": (lambda d: edit(d / "votes.csv", "1,19,3,2,2", "1,19,19,2,2"), "votes for themself"),
    "two votes": (lambda d: edit(d / "votes.csv", "1,19,3,3,3", "1,19,3,2,2"), "votes twice at round 2"),
    "short row": (lambda d: edit(d / "votes.csv", "1,19,3,2,2", "1,19,3"), "expected 5 fields"),
    "empty file": (lambda d: (d / "votes.csv").write_text(""), "empty file"),
    "duplicate id": (lambda d: edit(d / "candidates.csv", "1,1,Nicky", "1,0,Nicky"), "duplicate id 0"),
    "round in two episodes": (
        lambda d: edit(d / "votes.csv", "1,19,3,3,3", "1,19,3,4,3"),
        "round 3 of series 1 is in episode",
    ),
    "not utf-8": (lambda d: (d / "votes.csv").write_bytes(b"series,voterId\n\xff\xfe"), "cannot read"),
}


@pytest.mark.parametrize("case", list(BREAKAGES))
def test_malformed_data_is_one_line_and_writes_nothing(case: str, show_dir: Path, tmp_path: Path) -> None:
    breaker, message = BREAKAGES[case]
    breaker(show_dir)
    with pytest.raises(ShowDataError) as info:
        load_show(show_dir)
    assert message in str(info.value) and "\n" not in str(info.value)
    db = tmp_path / "fresh.db"
    result = runner.invoke(app, ["import-show", str(show_dir), "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert not db.exists()


def test_malformed_data_leaves_an_existing_store_untouched(show_dir: Path, store: Store) -> None:
    edit(show_dir / "votes.csv", "4,21,13,10,10", "4,21,77,10,10")  # a bad row in the last series
    with pytest.raises(ShowDataError, match="targetId 77"):
        import_show(show_dir, store)
    assert counts(store) == (0, 0)


def test_changed_data_for_a_stored_game_is_refused_before_writing(show_dir: Path, store: Store) -> None:
    import_show(UK_SHOW_DIR, store)
    kept = counts(store)
    edit(show_dir / "votes.csv", "1,19,3,2,2", "1,19,13,2,2")
    with pytest.raises(ShowDataError, match=r"game uk-s1 .* differs from the files"):
        import_show(show_dir, store)
    assert counts(store) == kept


def test_cli_imports_twice_and_lists(show_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    for _ in range(2):
        result = runner.invoke(app, ["import-show", str(show_dir), "--db", db])
        assert result.exit_code == 0, result.output
        assert "imported 4 human games (uk-s1, uk-s2, uk-s3, uk-s4)" in result.output
    listed = runner.invoke(app, ["list", "--db", db])
    assert listed.exit_code == 0 and "uk-s3" in listed.output and "human" in listed.output
    with Store(db) as s:
        assert counts(s)[0] == 4
    shown = runner.invoke(app, ["show", "uk-s1", "--db", db])
    assert shown.exit_code == 0 and "Nicky Wilding is banished, a Faithful." in shown.output


def test_missing_directory_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import-show", str(tmp_path / "nope"), "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 2 and "not a directory" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.db").exists()


def test_metrics_cli_puts_people_beside_agents(show_dir: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'both.db'}"
    assert runner.invoke(app, ["import-show", str(show_dir), "--db", db]).exit_code == 0
    with Store(db) as s:
        asyncio.run(game_runner.play_game("paper", 1, agents="heuristic", store=s, game_id="paper-1"))
    result = runner.invoke(app, ["metrics", "--by", "population", "--metric", "FCR", "--db", db])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if "FCR" in line]
    assert len(rows) == 2
    assert any("heuristic" in r for r in rows)
    human = next(r for r in rows if "human" in r)
    assert " 4 " in human and f"{np.mean(list(direct_fcr(show_dir).values())):.3f}" in human
