"""Failing loudly (docs/reproducibility.md): a model that cannot play stops `traitors run` and `traitors
batch` before the first game in one line; a game played mostly by the fallback ends degraded."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from agents.models.fake_server import FakeOpenAI
from tests.llm_support import KEY, SPEC
from traitors.cli import app
from traitors.store import Store


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(tmp_path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    return result.exit_code, result.stdout, result.stderr


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    return lines[0]


def test_dead_endpoint_stops_in_seconds_naming_seat_and_model(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    started = time.perf_counter()
    code, _, stderr = run(tmp_path, "run", "--scenario", "quick", "--model", SPEC, "-q")
    assert time.perf_counter() - started < 15
    line = one_error_line(stderr)
    assert code == 2 and "seat Alex" in line and SPEC in line and "cannot reach" in line
    assert KEY not in stderr and not (tmp_path / "x.db").exists()  # nothing written


def test_wrong_key_stops_naming_authentication(tmp_path, monkeypatch) -> None:
    with FakeOpenAI(key="sk-the-right-one-0123456789") as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        code, _, stderr = run(tmp_path, "run", "--scenario", "quick", "--model", SPEC, "-q")
    line = one_error_line(stderr)
    assert code == 2 and "authentication" in line and KEY not in stderr


@pytest.mark.parametrize("param", ["max_tokens", "temperature"])
def test_reasoning_model_rejection_stops_run_and_batch(tmp_path, monkeypatch, param: str) -> None:
    """A server that rejects a parameter the way OpenAI's reasoning models do: before, a 2-game batch
    reported "2 done, 0 failed" with every decision made by the fallback."""
    with FakeOpenAI(rejects=(param,)) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        code, _, stderr = run(tmp_path, "run", "--scenario", "quick", "--model", SPEC, "-q")
        line = one_error_line(stderr)
        assert code == 2 and repr(param) in line and "seat Alex" in line
        spec = tmp_path / "exp.yaml"
        spec.write_text(f"name: reasoning\nscenarios: [quick]\ngames: 2\nmodels: ['{SPEC}']\n")
        code, _, stderr = run(tmp_path, "batch", str(spec), "--backend", "local", "--no-progress")
        line = one_error_line(stderr)
        assert code == 2 and repr(param) in line and "quick/" in line
        assert len(server.requests) == 2  # one probe call each, no game
    assert not (tmp_path / "x.db").exists()


def test_a_game_played_by_the_fallback_ends_degraded(tmp_path, monkeypatch) -> None:
    """Every answer is malformed (the endpoint answers, so the probe passes): the heuristic fallback makes
    the model seats' decisions, the game is stored as degraded, and both commands exit 1 saying so."""
    with FakeOpenAI(faults={"malformed": 1.0}) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        code, stdout, stderr = run(
            tmp_path, "run", "--scenario", "quick", "--model", SPEC, "--seed", "1", "-q"
        )
        assert code == 1, stdout + stderr
        line = one_error_line(stderr.replace(stderr.splitlines()[0] + "\n", "", 1))  # after "game X (seed 1)"
        assert "is degraded" in line and "> --max-fallback-rate 10%" in line
        with Store(f"sqlite:///{tmp_path / 'x.db'}") as store:
            (row,) = store.games()
            assert row["status"] == "degraded" and row["winner"] is not None
        spec = tmp_path / "exp.yaml"
        spec.write_text(f"name: broken\nscenarios: [quick]\ngames: 2\nmodels: ['{SPEC}']\n")
        code, stdout, stderr = run(tmp_path, "batch", str(spec), "--backend", "local", "--no-progress")
        assert code == 1 and "degraded" in stderr and "quick/" in stderr, stdout + stderr
        assert "(100.0%)" in stdout  # the fallbacks column of the summary
        code, stdout, stderr = run(tmp_path, "batch", str(spec), "--backend", "local", "--no-progress")
        assert code == 1 and "degraded" in stderr  # a re-run skips the games and still reports them
        args = ("batch", str(spec), "--backend", "local", "--no-progress", "--max-fallback-rate", "1")
        code, stdout, stderr = run(tmp_path, *args)
        assert code == 0 and "degraded" not in stderr, stdout + stderr  # a limit the user chose
