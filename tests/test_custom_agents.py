"""Bring your own player: custom agents by instance, factory, import path, YAML experiment and plugin."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agents.registry import agent_version, make_agent, plugins, spec_of
from traitors.batch import run_batch
from traitors.batch.spec import parse_experiment
from traitors.cli import app
from traitors.decisions import Decision, DecisionRequest
from traitors.events import DecisionFallback, GameCreated
from traitors.runner import resume_game, run_game
from traitors.store import Store
from traitors.views import PlayerView

MODULE = __name__  # the test module is importable by this name (pytest puts tests/ on sys.path)


class Sleuth:
    """A custom agent: picks a seeded option; suspects the first alive player by ``bias``."""

    def __init__(self, bias: float = 0.5, word: str = "hmm") -> None:
        self.bias, self.word, self.calls = bias, word, 0

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """A legal answer to every request."""
        self.calls += 1
        rng = random.Random(request.seed)
        if request.kind == "belief":
            return Decision(beliefs={o: self.bias for o in request.options})
        if request.kind == "speak":
            return Decision(text=f"{self.word}, says {view.me}")
        return Decision(choice=rng.choice(request.options))


class Boom:
    """An agent that always raises."""

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Fail."""
        raise RuntimeError("boom")


class NotAnAgent:
    """Has no ``act``."""


def broken_factory() -> Sleuth:
    """A factory that raises."""
    raise OSError("no weights here")


def created(url: str, game_id: str) -> GameCreated:
    """The ``GameCreated`` of a stored game."""
    with Store(url) as store:
        first = store.load_events(game_id)[0]
    assert isinstance(first, GameCreated)
    return first


def test_instances_factories_and_specs_play_a_full_game_through_the_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    mine = Sleuth()
    seats = [mine, Sleuth, lambda: Sleuth(0.9), f"{MODULE}:Sleuth?bias=0.2&word=aha", "heuristic", "random"]
    state = run_game("quick", 3, agents=seats, db=url, game_id="byo")
    assert state.ended and mine.calls > 0
    agents = [p.agent for p in created(url, "byo").players]
    assert agents == [
        f"python:{MODULE}.Sleuth",
        f"{MODULE}:Sleuth",
        f"python:{MODULE}.test_instances_factories_and_specs_play_a_full_game_through_the_api.<locals>.<lambda>",
        f"{MODULE}:Sleuth?bias=0.2&word=aha",
        "heuristic",
        "random",
    ]
    assert all(p.version == "" for p in created(url, "byo").players)  # no installed package provides them


def test_a_game_of_an_instance_cannot_resume_and_says_so_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    with Store(url) as store:
        import asyncio

        from traitors.runner import play_game

        class Stop(Exception):
            pass

        class Halt:
            def append(self, events: object) -> None:
                raise Stop

        with pytest.raises(Stop):
            asyncio.run(play_game("quick", 1, agents=Sleuth(), store=store, game_id="cut", observer=Halt()))
    with pytest.raises(ValueError, match="Agent instance passed from Python") as info:
        resume_game("cut", db=url)
    assert "\n" not in str(info.value) and "factory or an import path" in str(info.value)


def test_a_game_seated_by_a_class_resumes_by_its_import_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    whole = run_game("quick", 5, agents=Sleuth, db=f"sqlite:///{tmp_path / 'whole.db'}", game_id="g")
    with Store(url) as store:
        import asyncio

        from traitors.runner import play_game

        class Stop(Exception):
            pass

        class Halt:
            n = 0

            def append(self, events: object) -> None:
                self.n += 1
                if self.n == 4:
                    raise Stop

        with pytest.raises(Stop):
            asyncio.run(play_game("quick", 5, agents=Sleuth, store=store, game_id="g", observer=Halt()))
    resumed = resume_game("g", db=url)
    assert resumed.ended and resumed.winner == whole.winner and len(resumed.events) == len(whole.events)


def test_the_worked_example_plays_through_the_cli_by_import_path(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    args = ["run", "--scenario", "quick", "--seed", "2", "--db", db, "--game-id", "cli", "-q"]
    result = CliRunner().invoke(app, [*args, "--agents", "agents.majority:MajorityAgent?floor=0.05"])
    assert result.exit_code == 0, result.output
    assert {p.agent for p in created(db, "cli").players} == {"agents.majority:MajorityAgent?floor=0.05"}
    version = created(db, "cli").players[0].version
    assert version  # agents is part of the installed traitors distribution
    from metrics import load_frames

    players = load_frames(db)["players"]
    assert set(players["version"]) == {version} and set(players["model"]) == {
        "agents.majority:MajorityAgent?floor=0.05"
    }
    result = CliRunner().invoke(app, [*args[:-3], "--game-id", "cli2", "--agents", f"{MODULE}:Sleuth"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nosuch_pkg.mod:Agent", "cannot import module 'nosuch_pkg.mod'"),
        (f"{MODULE}:Missing", "has no 'Missing'"),
        (f"{MODULE}:NotAnAgent", "has no async act"),
        (f"{MODULE}:broken_factory", "could not be made: OSError: no weights here"),
        (f"{MODULE}:Sleuth?color=red", "could not be made: TypeError"),
        ("opneai:gpt-4o", "did you mean openai"),
        ("sleuthh", "unknown agent 'sleuthh'"),
        (f"{MODULE}:Sleuth?bias", "options must read ?key=value"),
        (f"{MODULE}:Sleuth?api_key=sk-123", "?api_key= would put a secret"),
    ],
)
def test_bad_agent_specs_are_one_line_and_exit_2_with_nothing_written(
    tmp_path: Path, spec: str, message: str
) -> None:
    with pytest.raises(ValueError) as info:
        make_agent(spec)
    assert message in str(info.value) and "\n" not in str(info.value) and "sk-123" not in str(info.value)
    db = tmp_path / "bad.db"
    result = CliRunner().invoke(
        app, ["run", "--scenario", "quick", "--db", f"sqlite:///{db}", "--agents", spec]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert message in " ".join(result.output.split()) and not db.exists()


def test_a_factory_that_raises_from_python_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"seat \w+: the agent factory raised OSError: no weights here"):
        run_game("quick", 1, agents=broken_factory, db=f"sqlite:///{tmp_path / 'x.db'}")


def test_an_agent_that_raises_is_a_fallback_with_one_line_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    state = run_game("quick", 1, agents=[Boom(), *["heuristic"] * 5], db=url, game_id="boom")
    assert state.ended
    errors = {e.error for e in state.events if isinstance(e, DecisionFallback)}
    assert errors == {"RuntimeError: boom"}


def test_a_yaml_experiment_seats_a_custom_agent_by_import_path(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    spec = {
        "name": "byo",
        "scenarios": ["quick"],
        "games": 2,
        "seed": 7,
        "models": [f"{MODULE}:Sleuth", "heuristic"],
    }
    path.write_text(yaml.safe_dump(spec))
    url = f"sqlite:///{tmp_path / 'e.db'}"
    result = run_batch(
        parse_experiment(yaml.safe_load(path.read_text())), db=url, backend="local", progress=False
    )
    assert result.count("finished") == 4
    with Store(url) as store:
        seated = {store.load_events(r["game_id"])[0].players[0].agent for r in store.games()}
    assert seated == {f"{MODULE}:Sleuth", "heuristic"}
    again = run_batch(parse_experiment(spec), db=url, backend="local", progress=False)
    assert again.count("skipped") == 4  # the stored seatings match the plan


def test_an_installed_plugin_is_found_by_name_listed_and_versioned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "sleuth_plugin").mkdir(parents=True)
    (site / "sleuth_plugin" / "__init__.py").write_text(
        f"from {MODULE} import Sleuth\n\ndef make(bias=0.3):\n    return Sleuth(bias)\n"
    )
    info = site / "sleuth_plugin-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sleuth-plugin\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[traitors.agents]\nsleuth = sleuth_plugin:make\n")
    (info / "top_level.txt").write_text("sleuth_plugin\n")
    (info / "RECORD").write_text("sleuth_plugin/__init__.py,,\n")
    monkeypatch.syspath_prepend(str(site))
    assert "sleuth" in plugins()
    assert isinstance(make_agent("sleuth?bias=0.8"), Sleuth) and make_agent("sleuth?bias=0.8").bias == 0.8
    assert agent_version("sleuth") == "1.2.3" and agent_version("sleuth_plugin:make") == "1.2.3"
    listed = CliRunner().invoke(app, ["agents"])
    assert listed.exit_code == 0 and "sleuth" in listed.output and "1.2.3" in listed.output
    url = f"sqlite:///{tmp_path / 'p.db'}"
    assert run_game("quick", 4, agents="sleuth", db=url, game_id="plug").ended
    assert {(p.agent, p.version) for p in created(url, "plug").players} == {("sleuth", "1.2.3")}


def test_spec_of_records_an_import_path_only_when_it_leads_back() -> None:
    assert spec_of(Sleuth) == f"{MODULE}:Sleuth"
    assert spec_of(Sleuth()) == f"python:{MODULE}.Sleuth"
    assert spec_of(lambda: Sleuth()).startswith(f"python:{MODULE}.")
