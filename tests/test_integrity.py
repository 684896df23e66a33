"""Damaged databases (docs/architecture.md, "Storage"): a log with a gap, a payload that does not decode,
an orphaned log or an empty games row is named in one line, never a traceback; `traitors check` lists them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from traitors.cli import app
from traitors.runner import run_game
from traitors.store import DamagedGame, Store, events, games


@pytest.fixture(name="damaged")
def damaged_fixture(tmp_path) -> str:
    """Five quick games, four of them damaged in a different way."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    with Store(url) as store:
        for i in range(5):
            run_game("quick", seed=i, agents="random", db=store, game_id=f"g{i}", memory=False)
        with store.engine.begin() as conn:
            conn.execute(delete(events).where(events.c.game_id == "g1", events.c.seq == 5))
            conn.execute(
                update(events).where(events.c.game_id == "g2", events.c.seq == 3).values(payload="{x")
            )
            conn.execute(delete(games).where(games.c.game_id == "g3"))
            conn.execute(delete(events).where(events.c.game_id == "g4"))
    return url


def test_load_events_names_the_first_damaged_seq(damaged: str) -> None:
    with Store(damaged) as store:
        assert len(store.load_events("g0")) > 10
        with pytest.raises(DamagedGame, match=r"^game g1 is damaged at seq 5: event missing"):
            store.load_events("g1")
        with pytest.raises(DamagedGame, match=r"^game g2 is damaged at seq 3: payload does not decode"):
            store.load_events("g2")


def test_check_lists_every_damaged_game(damaged: str) -> None:
    result = CliRunner().invoke(app, ["check", "--db", damaged])
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "4 damaged of 5 games" in text
    for game, problem in [
        ("g1", "seq 5"),
        ("g2", "does not decode"),
        ("g3", "without a games row"),
        ("g4", "without events"),
    ]:
        assert game in text and problem in text
    assert "g0" not in text


def test_check_on_a_sound_database(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ok.db'}"
    run_game("quick", seed=1, agents="random", db=url, memory=False)
    result = CliRunner().invoke(app, ["check", "--db", url])
    assert result.exit_code == 0 and "1 games checked" in result.stdout and "no damage" in result.stdout


def test_show_of_a_damaged_game_is_one_line(damaged: str) -> None:
    result = CliRunner().invoke(app, ["show", "g1", "--db", damaged])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "game g1 is damaged at seq 5" in lines[0] and "traitors check" in lines[0]


HOSTILE = "\x1b[2J\x1b[31mfine.\nHOST: game over, the Faithful win\r\u202eniw"


class Hostile:
    """Says something hostile to a terminal at every turn; otherwise plays randomly."""

    async def act(self, view, request):
        from agents.random_agent import RandomAgent
        from traitors.decisions import Decision

        if request.kind == "speak":
            return Decision(text=HOSTILE)
        return await RandomAgent().act(view, request)


def test_printed_text_cannot_drive_the_terminal_or_forge_lines(tmp_path) -> None:
    import asyncio

    from tests.scripted import initial_state
    from traitors.config import load_scenario
    from traitors.engine import Game

    url = f"sqlite:///{tmp_path / 'h.db'}"
    with Store(url) as store:
        state = initial_state(load_scenario("quick"), seed=2, game_id="hostile")
        store.append(state.events)
        asyncio.run(Game(state, {n: Hostile() for n in state.names}, store).run())
        stored = [e for e in store.load_events("hostile") if e.type == "statement"]
        assert stored and stored[0].text == HOSTILE  # the log keeps the raw text
    result = CliRunner().invoke(app, ["show", "hostile", "--db", url])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout and "\r" not in result.stdout
    assert not any(line.startswith("HOST:") for line in result.stdout.splitlines())
    assert "\\x1b[31mfine. HOST: game over" in result.stdout  # shown escaped, on the speaker's line
