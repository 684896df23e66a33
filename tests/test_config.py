"""Scenario files: valid ones load; every bad one raises ScenarioError whose message is ONE line naming the
file and the field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from traitors.config import Scenario, ScenarioError, bundled, load_scenario, parse_scenario

GOOD = """\
name: small
players: 6
traitors: 1
discussion:
  turns: 2
  order: fixed
banishment:
  second_tie: no_banishment
"""


def write(tmp_path: Path, text: str | bytes, name: str = "scenario.yaml") -> Path:
    """Write a scenario file under ``tmp_path``."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def one_line_error(path: Path | str, *needles: str) -> str:
    """Load ``path``, expect a ScenarioError, check it is one line with the path and every needle."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message, message
    for needle in needles:
        assert needle in message, message
    return message


def test_good_file_loads(tmp_path):
    sc = load_scenario(write(tmp_path, GOOD))
    assert isinstance(sc, Scenario)
    assert (sc.name, sc.players, sc.traitors) == ("small", 6, 1)
    assert (sc.discussion.turns, sc.discussion.order, sc.discussion.max_chars) == (2, "fixed", 400)
    assert sc.banishment.second_tie == "no_banishment" and sc.banishment.reveal_role is True
    assert sc.player_names() == ("Alex", "Bea", "Cal", "Dana", "Eli", "Fay")
    assert sc == parse_scenario(
        {
            "name": "small",
            "players": 6,
            "traitors": 1,
            "discussion": {"turns": 2, "order": "fixed"},
            "banishment": {"second_tie": "no_banishment"},
        }
    )


def test_yml_suffix_and_names(tmp_path):
    text = "name: n\nplayers: 3\ntraitors: 1\nnames: [Ann, Ben, Cy]\n"
    assert load_scenario(write(tmp_path, text, "s.yml")).player_names() == ("Ann", "Ben", "Cy")


def test_scenario_is_frozen():
    sc = parse_scenario({"name": "x", "players": 6, "traitors": 1})
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its ValidationError for frozen models
        sc.players = 7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("colour: red\n", "colour"),  # unknown top-level field
        ("discussion:\n  turns: 1\n  speed: 3\n", "discussion.speed"),  # unknown nested field
        ("discussion:\n  turns: many\n", "discussion.turns"),  # wrong type
        ("discussion:\n  turns: 11\n", "discussion.turns"),  # out of range
        ("discussion:\n  order: alphabetical\n", "discussion.order"),  # not an allowed value
        ("night:\n  murder_rule: majority\n", "night.murder_rule"),
        ("banishment:\n  reveal_role: [yes]\n", "banishment.reveal_role"),
        ("discussion: 3\n", "discussion"),  # a section that is not a mapping
        ("missions:\n  success_rate: 1.5\n", "missions.success_rate"),
        ("recruitment:\n  mode: gentle\n", "recruitment.mode"),
    ],
)
def test_bad_field_names_file_and_field(tmp_path, body, field):
    path = write(tmp_path, "name: bad\nplayers: 6\ntraitors: 1\n" + body)
    message = one_line_error(path, field)
    assert message.startswith(f"{path}: {field}: "), message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("name: x\nplayers: 6\ntraitors: 3\n", "traitors"),  # traitors >= faithfuls
        ("name: x\nplayers: 6\ntraitors: 4\n", "traitors"),
        ("name: x\nplayers: 6\ntraitors: 1\nnames: [A, B, C]\n", "names"),  # names mismatch
        ("name: x\nplayers: 3\ntraitors: 1\nnames: [A, B, A]\n", "names"),  # duplicate names
        ("name: x\nplayers: 3\ntraitors: 1\nnames: [A, ' B', C]\n", "names"),
        ("name: x\nplayers: 6\ntraitors: 1\nendgame: {enabled: true, at_players: 6}\n", "endgame.at_players"),
        ("name: x\nplayers: ten\ntraitors: 1\n", "players"),
        ("name: x\nplayers: 2\ntraitors: 1\n", "players"),
        ("name: x\nplayers: 27\ntraitors: 1\n", "players"),
        ("players: 6\ntraitors: 1\n", "name"),  # missing required field
        ("name: x\nplayers: 6\ntraitors: 0\n", "traitors"),
    ],
)
def test_inconsistent_scenario_names_the_field(tmp_path, body, field):
    path = write(tmp_path, body)
    message = one_line_error(path, field)
    assert message.startswith(f"{path}: {field}"), message


def test_several_errors_stay_on_one_line(tmp_path):
    path = write(tmp_path, "name: x\nplayers: six\ntraitors: one\ncolour: red\n")
    one_line_error(path, "players", "(+2 more)")


def test_unknown_key_with_line_break_stays_on_one_line(tmp_path):
    path = write(tmp_path, 'name: x\nplayers: 6\ntraitors: 1\ndiscussion: {"turns\\nz": 1}\n')
    message = one_line_error(path, "discussion.turns\\nz", "Extra inputs")
    assert message.startswith(f"{path}: discussion.turns")


@pytest.mark.parametrize(
    "text",
    [
        "name: x\nplayers: [6\n",  # unclosed flow sequence
        "name: x\n  players: 6\n traitors: 1\n",  # bad indentation
        "name: 'x\n",  # unterminated quote
        "name: x\n\tplayers: 6\n",  # a tab
    ],
)
def test_malformed_yaml(tmp_path, text):
    message = one_line_error(write(tmp_path, text), "malformed YAML")
    assert " at line " in message


@pytest.mark.parametrize(("text", "got"), [("", "NoneType"), ("- a\n- b\n", "list"), ("just text\n", "str")])
def test_top_level_not_a_mapping(tmp_path, text, got):
    one_line_error(write(tmp_path, text), "mapping", got)


def test_not_utf8(tmp_path):
    one_line_error(write(tmp_path, b"name: \xff\xfe\nplayers: 6\n"), "cannot read")


def test_missing_file(tmp_path):
    one_line_error(tmp_path / "nope.yaml", "not found")
    one_line_error(tmp_path / "sub" / "nope.yml", "not found")


def test_missing_bundled_name():
    with pytest.raises(ScenarioError) as info:
        load_scenario("no_such_scenario_xyz")
    message = str(info.value)
    assert "\n" not in message and "unknown scenario 'no_such_scenario_xyz'" in message
    assert "paper" in message and "did you mean" not in message


def test_parse_scenario_errors_name_source_and_field():
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"name": "x", "players": 6, "traitors": 1, "night": {"turns": -1}}, "exp.yaml#arm2")
    assert str(info.value).startswith("exp.yaml#arm2: night.turns: ")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(["not", "a", "mapping"])
    assert str(info.value).startswith("<scenario>: ")
    assert isinstance(info.value, ValueError)


BUNDLED = bundled("scenario")


def test_the_bundle_holds_the_documented_scenarios() -> None:
    assert {"paper", "classic", "quick"} <= set(BUNDLED)


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_scenarios_load_by_name_and_path(name):
    sc = load_scenario(name)
    assert sc == load_scenario(BUNDLED[name])
    assert len(sc.player_names()) == sc.players and sc.traitors < sc.players - sc.traitors
