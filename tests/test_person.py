"""A person at the table: ``traitors play --as NAME`` driven through piped standard input."""

from __future__ import annotations

import itertools
from pathlib import Path

from typer.testing import CliRunner

from traitors.cli import app
from traitors.events import BeliefReported, GameCreated, Statement, VoteCast
from traitors.store import Store

#: Answers that serve every kind of question in turn: blank (beliefs 0.5), names, end, decline.
CYCLE = ["", "Bea", "Cal", "Dana", "Eli", "Fay", "end", "decline"]


def answers(n: int, then: str = "") -> str:
    """``n`` answers from the cycle, then ``then``."""
    return "\n".join(itertools.islice(itertools.cycle(CYCLE), n)) + "\n" + then


def decider(event: object) -> str | None:
    """The seat that made a decision event (``None`` for other events)."""
    for field in ("voter", "speaker", "observer"):
        if isinstance(event, VoteCast | Statement | BeliefReported) and hasattr(event, field):
            return getattr(event, field)
    return None


def events(db: str, game_id: str) -> list:
    """A stored game's events."""
    with Store(db) as store:
        return list(store.load_events(game_id))


def test_a_person_plays_a_game_to_the_end_from_piped_input(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    args = ["play", "--scenario", "quick", "--as", "Alex", "--seed", "3", "--db", db, "--game-id", "p1"]
    result = CliRunner().invoke(app, args, input=answers(4000))
    assert result.exit_code == 0, result.output
    assert "p1: " in result.output and " win on day " in result.output
    log = events(db, "p1")
    created = log[0]
    assert isinstance(created, GameCreated)
    assert [p.agent for p in created.players] == ["person", *["heuristic"] * 5]
    alex = [e for e in log if decider(e) == "Alex"]
    assert {type(e) for e in alex} == {VoteCast, Statement, BeliefReported}
    assert {e.decided_by for e in alex} == {"human"}
    assert "not a legal answer" in result.output  # a blank statement or a name not on the ballot: asked again
    assert "The Traitors are" not in result.output  # no narration: only Alex's view
    scored = CliRunner().invoke(app, ["metrics", "--db", db])  # scored like any game
    assert scored.exit_code == 0 and "FCR" in scored.output


def test_quitting_keeps_the_game_resumable(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    args = ["play", "--scenario", "quick", "--as", "Alex", "--seed", "3", "--db", db, "--game-id", "q1"]
    left = CliRunner().invoke(app, args, input=answers(3, "quit\n"))
    assert left.exit_code == 0 and "traitors play --resume q1" in " ".join(left.output.split())
    stored = events(db, "q1")
    assert stored and not any(type(e).__name__ == "GameEnded" for e in stored)
    done = CliRunner().invoke(app, ["play", "--resume", "q1", "--db", db], input=answers(4000))
    assert done.exit_code == 0, done.output
    assert "q1: " in done.output and len(events(db, "q1")) > len(stored)


def test_bad_seats_are_one_line_with_nothing_written(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    url = f"sqlite:///{db}"
    bad = CliRunner().invoke(app, ["play", "--scenario", "quick", "--as", "Zed", "--db", url])
    assert (
        bad.exit_code == 2 and "--as: name the seat you play, one of Alex" in bad.output and not db.exists()
    )
    bad = CliRunner().invoke(app, ["play", "--as", "Alex", "--agents", "nosuch.mod:X", "--db", url])
    assert bad.exit_code == 2 and "cannot import module 'nosuch.mod'" in bad.output and not db.exists()
