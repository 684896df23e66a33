"""Bundled scenarios, experiments and show data: found through importlib.resources whatever the current
folder holds; a path is a path; a plain name that is not bundled gets one line with a "did you mean"."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.registry import make_agent
from traitors.batch import ExperimentError, load_experiment
from traitors.cli import app
from traitors.config import (
    ScenarioError,
    bundle_root,
    bundled,
    did_you_mean,
    is_path,
    load_scenario,
    resolve_scenario_path,
)
from traitors.human import UK_SHOW_DIR, ShowDataError, load_show, resolve_show_dir

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def one_line(result) -> str:
    """The single output line of a failed CLI call (exit code 2)."""
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    return lines[0]


def test_the_bundle_lists_every_shipped_file() -> None:
    assert set(bundled("scenario")) == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}
    assert set(bundled("experiment")) == {p.stem for p in (ROOT / "scenarios" / "experiments").glob("*.yaml")}
    assert list(bundled("show data")) == ["uk_show"]
    assert bundled("show data")["uk_show"] == UK_SHOW_DIR and (UK_SHOW_DIR / "votes.csv").is_file()
    assert (bundle_root() / "paper.yaml").is_file()


@pytest.mark.parametrize(
    ("arg", "path"),
    [
        ("paper", False),
        ("paper_v2", False),
        ("paper.yaml", True),
        ("PAPER.YML", True),
        ("./paper", True),
        ("sub/paper", True),
        (Path("paper"), True),
    ],
)
def test_what_counts_as_a_path(arg: str | Path, path: bool) -> None:
    assert is_path(arg) is path


def test_a_bundled_name_is_never_hidden_by_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "paper").mkdir()  # what `traitors export --out paper/` leaves behind
    (tmp_path / "classic").write_text("not: a scenario\n")
    (tmp_path / "baselines").mkdir()
    (tmp_path / "uk_show").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario_path("paper") == bundled("scenario")["paper"]
    assert load_scenario("paper").name == "paper" and load_scenario("classic").name == "classic"
    assert load_experiment("baselines").name == "baselines"
    assert resolve_show_dir("uk_show") == UK_SHOW_DIR and len(load_show("uk_show")) == 4
    result = runner.invoke(app, ["run", "--scenario", "paper", "--seed", "1", "-q", "--db", "sqlite:///t.db"])
    assert result.exit_code == 0 and "win on day" in result.output, result.output


def test_a_path_is_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = "name: mine\nplayers: 6\ntraitors: 1\n"
    (tmp_path / "paper.yaml").write_text(own)
    (tmp_path / "myscenario").write_text(own)  # no .yaml ending, but an existing file
    monkeypatch.chdir(tmp_path)
    assert load_scenario("paper.yaml").name == "mine"
    assert load_scenario("./paper.yaml").name == "mine"
    assert load_scenario("myscenario").name == "mine"
    assert load_scenario("paper").name == "paper"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("papr", "paper"), ("Classic", "classic"), ("qiuck", "quick"), ("uk", "uk_show"), ("zzz", None)],
)
def test_did_you_mean(typed: str, expected: str | None) -> None:
    assert did_you_mean(typed, [*bundled("scenario"), "uk_show"]) == expected


def test_unknown_names_get_one_line_with_the_bundled_names_and_a_guess() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("papr")
    message = str(info.value)
    assert "\n" not in message and "did you mean 'paper'?" in message and "classic, paper, quick" in message
    with pytest.raises(ExperimentError, match=r"did you mean 'baselines'\?.*paper_replication"):
        load_experiment("baseline")
    with pytest.raises(ShowDataError, match=r"did you mean 'uk_show'\?"):
        load_show("ukshow")
    with pytest.raises(ScenarioError, match=r"paper.yml: scenario file not found \(did you mean the bundled"):
        load_scenario("paper.yml")
    with pytest.raises(ValueError, match=r"unknown agent 'heurstic' \(did you mean 'heuristic'\?\)"):
        make_agent("heurstic")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--scenario", "papr"], "did you mean 'paper'?"),
        (["run", "--agents", "randm"], "did you mean 'random'?"),
        (["batch", "paper_replicaton"], "did you mean 'paper_replication'?"),
        (["import-show", "uk-show"], "did you mean 'uk_show'?"),
    ],
)
def test_cli_typos_get_a_guess(args: list[str], expected: str, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert expected in one_line(runner.invoke(app, [*args, "--db", f"sqlite:///{db}"]))
    assert not db.exists()


def test_import_show_takes_the_bundled_data_by_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import-show", "--db", f"sqlite:///{tmp_path / 'h.db'}"])
    assert result.exit_code == 0 and "imported 4 human games" in result.output, result.output


def test_the_demo_starts_flush_and_ends_with_next_steps(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    result = runner.invoke(app, ["run", "--scenario", "quick", "--seed", "2", "--db", db])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Game quick-s2-"), lines[0]
    result_at = next(i for i, line in enumerate(lines) if "win on day" in line)
    after = "\n".join(lines[result_at + 1 :])
    game_id = lines[result_at].split(":")[0]
    assert f"traitors show {game_id} --as " in after and f"--db {db}" in after
    assert "traitors replay" in after
    quiet = runner.invoke(app, ["run", "--scenario", "quick", "--seed", "2", "--db", db, "-q"])
    assert quiet.exit_code == 0 and "win on day" in quiet.output and "traitors show" not in quiet.output


def test_next_steps_name_the_app_extra_when_streamlit_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a)
    )
    result = runner.invoke(
        app, ["run", "--scenario", "quick", "--seed", "2", "--db", f"sqlite:///{tmp_path / 'd.db'}"]
    )
    assert result.exit_code == 0 and "pip install 'traitors[app]'" in result.output, result.output


@pytest.mark.parametrize("shadow", ["folder", "module", "package"])
def test_a_users_scenarios_module_or_folder_does_not_hide_the_bundle(tmp_path: Path, shadow: str) -> None:
    """``import scenarios`` from the user's folder finds their own code or data first; the bundle is still
    found (and a plain name still means the bundled file)."""
    if shadow == "folder":
        (tmp_path / "scenarios").mkdir()
        (tmp_path / "scenarios" / "paper.yaml").write_text("name: mine\nplayers: 6\ntraitors: 1\n")
    elif shadow == "module":
        (tmp_path / "scenarios.py").write_text("X = 1\n")
    else:
        (tmp_path / "scenarios").mkdir()
        (tmp_path / "scenarios" / "__init__.py").write_text("X = 1\n")
    code = (
        "from traitors.config import bundle_root, load_scenario; "
        "print(bundle_root()); print(load_scenario('paper').name)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    root, name = proc.stdout.split()
    assert Path(root) == bundle_root() and name == "paper"
