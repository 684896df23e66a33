"""Bad command-line input through the real entry point (`traitors.cli.main`): one line on stderr naming the
problem, exit code 2, nothing written — usage errors included, never a traceback or a box."""

from __future__ import annotations

import pytest

from traitors.cli import main


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    return int(done.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--seed", "abc"], "Invalid value for '--seed'"),
        (["run", "--bogus"], "No such option: --bogus"),
        (["nosuch"], "No such command 'nosuch'"),
        (["run", "--games", "0"], "Invalid value for '--games'"),
        (["batch"], "Missing argument 'experiment'"),
        (["run", "--seed", "99999999999999999999"], "must be between 0 and 9223372036854775807"),
        (
            ["run", "--seed", "9223372036854775807", "--games", "2"],
            "seed 9223372036854775808: must be between",
        ),
        (["run", "--game-id", ""], "game id '': must not be empty"),
        (["run", "--game-id", "a\nb"], "must not contain control characters or line breaks"),
        (["run", "--game-id", "x" * 129], "must be at most 128 characters"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path, monkeypatch, capsys, argv: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, err = run_main(capsys, *argv, *(["--db", "sqlite:///x.db"] if argv[0] == "run" else []))
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert expected in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("name", '"two\\nlines"', "name: must not contain control characters or line breaks"),
        ("name", '"' + "n" * 65 + '"', "name: must be at most 64 characters"),
        (
            "names",
            '["Alex", "B\\u001b[31mea", "Cal", "Dana", "Eli", "Fay"]',
            "names.1: must not contain control",
        ),
    ],
)
def test_names_are_identifiers(tmp_path, monkeypatch, capsys, field: str, value: str, expected: str) -> None:
    monkeypatch.chdir(tmp_path)
    base = {"name": '"odd"', "players": "6", "traitors": "1"}
    base[field] = value
    (tmp_path / "odd.yaml").write_text("".join(f"{k}: {v}\n" for k, v in base.items()))
    code, err = run_main(capsys, "run", "--scenario", "./odd.yaml", "--db", "sqlite:///x.db")
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "x.db").exists()


def test_the_bare_command_prints_help(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0 and "Usage: " in capsys.readouterr().out
