"""The command line: playing, listing, showing, resuming, and one-line errors that write nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traitors.cli import app
from traitors.store import Store

runner = CliRunner()


def invoke(*args: str):
    """Run the CLI in-process; returns the click Result."""
    return runner.invoke(app, list(args))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_run_narrates_stores_and_lists(db: str) -> None:
    result = invoke("run", "--scenario", "quick", "--seed", "3", "--db", db, "--game-id", "demo")
    assert result.exit_code == 0, result.output
    assert "— Day 1 —" in result.output and "Banishment vote:" in result.output
    assert "demo:" in result.output and "win on day" in result.output
    with Store(db) as store:
        row = store.game("demo")
        assert row["status"] == "finished" and row["agents"] == "heuristic"
    listed = invoke("list", "--db", db)
    assert listed.exit_code == 0 and "demo" in listed.output and "finished" in listed.output


def test_same_seed_same_story(db: str, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    first = invoke("run", "--scenario", "paper", "--seed", "5", "--db", db, "--game-id", "g")
    second = invoke("run", "--scenario", "paper", "--seed", "5", "--db", other, "--game-id", "g")
    assert first.exit_code == second.exit_code == 0
    assert first.output.replace(other, db) == second.output.replace(other, db)


def test_show_as_player_hides_what_they_did_not_see(db: str) -> None:
    assert (
        invoke("run", "--scenario", "paper", "--seed", "2", "--db", db, "--game-id", "g", "-q").exit_code == 0
    )
    with Store(db) as store:
        roles = store.load_events("g")[1].roles
    faithful = next(p for p, r in roles.items() if r == "faithful")
    omniscient = invoke("show", "g", "--db", db)
    as_faithful = invoke("show", "g", "--as", faithful, "--db", db)
    assert omniscient.exit_code == as_faithful.exit_code == 0
    assert "[Traitors]" in omniscient.output and "Murder vote" in omniscient.output
    assert "[Traitors]" not in as_faithful.output and "Murder vote" not in as_faithful.output
    assert "The Traitors are" not in as_faithful.output
    assert f"as {faithful}, a faithful" in as_faithful.output


def test_games_and_seed_range(db: str) -> None:
    result = invoke("run", "--scenario", "quick", "--seed", "10", "--games", "3", "--db", db, "--quiet")
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        assert sorted(g["seed"] for g in store.games()) == [10, 11, 12]


def test_resume_a_finished_or_unknown_game(db: str) -> None:
    assert (
        invoke("run", "--scenario", "quick", "--seed", "1", "--db", db, "--game-id", "q", "-q").exit_code == 0
    )
    again = invoke("run", "--resume", "q", "--db", db)
    assert again.exit_code == 0 and "q: " in again.output
    missing = invoke("run", "--resume", "nope", "--db", db)
    assert missing.exit_code == 2 and "no game 'nope'" in missing.output


BAD_SCENARIOS = {
    "unknown_field.yaml": ("name: x\nplayers: 6\ntraitors: 1\nbogus: 1\n", "bogus: Extra inputs"),
    "wrong_type.yaml": ("name: x\nplayers: 6\ntraitors: 1\ndiscussion: {turns: lots}\n", "discussion.turns"),
    "impossible.yaml": ("name: x\nplayers: 6\ntraitors: 3\n", "traitors: 3 must be fewer"),
    "malformed.yaml": ("name: x\nplayers: [6\n", "malformed YAML"),
}


@pytest.mark.parametrize("filename", sorted(BAD_SCENARIOS))
def test_bad_scenario_is_one_line_exit_2_nothing_written(tmp_path: Path, filename: str) -> None:
    text, expected = BAD_SCENARIOS[filename]
    path = tmp_path / filename
    path.write_text(text)
    db_path = tmp_path / "never.db"
    result = invoke("run", "--scenario", str(path), "--db", f"sqlite:///{db_path}")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and expected in lines[0], result.output
    assert not db_path.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--scenario", "missing"], "unknown scenario 'missing'"),
        (["run", "--scenario", "missing.yaml"], "scenario file not found"),
        (["run", "--agents", "wizard"], "unknown agent"),
        (["run", "--db", "nonsense"], "invalid database URL"),
        (["run", "--db", "postgresql+psycopg://u:topsecret@127.0.0.1:1/x"], "cannot open database"),
        (["show", "x", "--db", "sqlite:////nonexistent/dir/x.db"], "no database at"),
    ],
)
def test_bad_inputs_fail_with_one_line(args: list[str], expected: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert expected in result.output and len(result.output.strip().splitlines()) == 1
    assert "topsecret" not in result.output


def test_show_unknown_player(db: str) -> None:
    assert (
        invoke("run", "--scenario", "quick", "--seed", "1", "--db", db, "--game-id", "q", "-q").exit_code == 0
    )
    result = invoke("show", "q", "--as", "Nobody", "--db", db)
    assert result.exit_code == 2 and "no player 'Nobody'" in result.output


@pytest.mark.skipif(shutil.which("traitors") is None, reason="console script not installed")
def test_readme_demo_command_plays_and_stores_a_game(tmp_path: Path) -> None:
    """The README's first command (after install) in a fresh directory: default SQLite file, no API key."""
    proc = subprocess.run(
        ["traitors", "run", "--scenario", "paper", "--seed", "7"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": shutil.which("traitors").rsplit("/", 1)[0] + ":/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "win on day" in proc.stdout
    with Store(f"sqlite:///{tmp_path / 'traitors.db'}", create=False) as store:
        assert [g["status"] for g in store.games()] == ["finished"]


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\nplayers: 6\ntraitors: 1\nplayers: 8\n")
    result = invoke("run", "--scenario", str(path), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2 and "line 4" in result.output and "duplicate key 'players'" in result.output


def test_metrics_and_export_commands(db: str, tmp_path: Path) -> None:
    assert (
        invoke("run", "--scenario", "paper", "--seed", "1", "--games", "4", "--db", db, "-q").exit_code == 0
    )
    table = invoke("metrics", "--db", db, "--by", "role", "--metric", "FCR", "--metric", "TSR")
    assert table.exit_code == 0, table.output
    assert "FCR" in table.output and "TSR" in table.output and "faithful" in table.output
    out = tmp_path / "export"
    written = invoke("export", "--out", str(out), "--db", db, "--format", "csv,latex")
    assert written.exit_code == 0, written.output
    assert (out / "votes.csv").is_file() and (out / "summary.tex").is_file()
    assert invoke("metrics", "--db", db, "--by", "colour").exit_code == 2
    assert invoke("export", "--out", str(out), "--db", db, "--format", "docx").exit_code == 2


def test_imported_human_games_are_shown_but_not_played_on(db: str) -> None:
    data = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "uk_show"
    assert invoke("import-show", str(data), "--db", db).exit_code == 0
    shown = invoke("show", "uk-s1", "--db", db)
    assert shown.exit_code == 0 and "Banishment vote" in shown.output and "--resume" not in shown.output
    resumed = invoke("run", "--resume", "uk-s1", "--db", db)
    assert resumed.exit_code == 2 and "cannot be played on" in resumed.output
