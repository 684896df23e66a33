"""Every page of the Streamlit app through ``AppTest``: the values shown equal those of ``metrics`` and of
the event log, points of view show only what the player saw, and LLM text is never rendered as markup."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit.logger
from streamlit.testing.v1 import AppTest

from app.replay_model import ReplayView, ballots
from app.trust import belief_matrix
from metrics import compute_metrics, load_frames, summarize
from tests.test_app_data import HOSTILE, LLM_GAME, PAPER, REASONING, _play, build_db
from traitors.events import ModelCall, Statement
from traitors.store import Store

APP = str(Path(__file__).resolve().parent.parent / "app" / "main.py")


@pytest.fixture(scope="module")
def app_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The shared test database (built once per module)."""
    return build_db(tmp_path_factory.mktemp("pages") / "games.db")


def start(url: str, **query: str) -> AppTest:
    """The app on ``url`` after its first run (optionally deep-linked)."""
    streamlit.logger.set_log_level("error")  # AppTest's bare-mode warnings are expected
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["db_url"] = url
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def run(at: AppTest) -> AppTest:
    """Rerun and fail on any exception in the script."""
    at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    """Click the button ``key`` and rerun."""
    at.button(key=key).click()
    return run(at)


def plotly_array(value: object) -> np.ndarray:
    """A plotly JSON array (a list, or a typed array {dtype, bdata, shape}) as numpy."""
    if isinstance(value, dict):
        shape = tuple(int(n) for n in str(value.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value, dtype=float)


def markdown_texts(at: AppTest) -> list[str]:
    """Every string the app rendered as Markdown (where markup would take effect)."""
    return [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]


def test_games_page_lists_filters_and_opens(app_db: str) -> None:
    at = start(app_db)
    shown = at.dataframe[0].value.set_index("game_id")
    games = load_frames(app_db)["games"].set_index("game_id")
    assert set(shown.index) == set(games.index)
    assert shown.loc[games.index, "winner"].tolist() == games["winner"].tolist()
    assert shown.loc[games.index, "days"].tolist() == games["days"].tolist()
    at.multiselect(key="f_scenario").set_value(["paper"])
    run(at)
    assert sorted(at.dataframe[0].value["game_id"]) == ["paper-1", "paper-2", "paper-3"]
    assert "3 games match." in [c.value for c in at.caption]
    today = pd.Timestamp.now(tz="UTC").date()
    at.date_input(key="f_dates").set_value((today - pd.Timedelta(days=1), today + pd.Timedelta(days=1)))
    assert "3 games match." in [c.value for c in run(at).caption]
    at.date_input(key="f_dates").set_value((today - pd.Timedelta(days=9), today - pd.Timedelta(days=8)))
    assert "No game matches these filters." in [w.value for w in run(at).warning]
    at.date_input(key="f_dates").set_value(())
    at.multiselect(key="f_model").set_value(["openai:fake-gpt"])
    at.multiselect(key="f_scenario").set_value([])
    assert run(at).dataframe[0].value["game_id"].tolist() == [LLM_GAME]
    at.multiselect(key="f_model").set_value([])
    at.multiselect(key="f_scenario").set_value(["paper"])
    run(at)
    at.selectbox(key="open_choice").set_value("paper-2")
    click(at, "open_game")
    assert at.session_state["page"] == "Replay" and at.session_state["game_id"] == "paper-2"
    assert at.header[0].value == "Replay · paper-2"


def test_replay_steps_through_the_game(app_db: str) -> None:
    at = start(app_db, game="paper-1", page="Replay")
    events = Store(app_db, create=False).load_events("paper-1")
    assert "**Step 0 /" in at.markdown[0].value or any(
        f"Step 0 / {len(events) - 1}" in m for m in markdown_texts(at)
    )
    click(at, "next")
    click(at, "next")
    assert at.session_state["step"] == 2
    click(at, "prev")
    assert at.session_state["step"] == 1
    at.slider(key="step").set_value(40)
    run(at)
    assert any(f"Step 40 / {len(events) - 1}" in m for m in markdown_texts(at))
    click(at, "last")
    at.toggle(key="whole_game").set_value(True)
    run(at)
    votes = load_frames(app_db, {"game_ids": ["paper-1"]})["votes"]
    tables = [d.value for d in at.dataframe if {"voter", "target", "valid"} <= set(d.value.columns)]
    assert sum(len(t) for t in tables) == len(votes)
    shown = pd.concat(tables[::-1], ignore_index=True)  # newest ballot first on the page
    assert sorted(zip(shown["voter"], shown["target"], strict=True)) == sorted(
        zip(votes["voter"], votes["target"], strict=True)
    )
    flows = at.get("plotly_chart")
    assert len(flows) == 1 + sum(1 for b in ballots(events) if b.votes["valid"].any())  # timeline + flows
    at.slider(key="step").set_value(40)  # before the end reveals every role
    run(at)
    hidden = sorted(ReplayView(events, 40).state.initial_roles.items())
    badges = [f"**{p}** :red-badge[Traitor]" for p, r in hidden if r == "traitor"]
    revealed = {e.player for e in events[:41] if getattr(e, "revealed_role", None)}
    unrevealed = [
        b
        for b, (p, r) in zip(badges, [x for x in hidden if x[1] == "traitor"], strict=True)
        if p not in revealed
    ]
    assert not any(b in m for b in unrevealed for m in markdown_texts(at))  # spoilers are off
    at.toggle(key="spoilers").set_value(True)
    run(at)
    assert any(b in m for b in badges for m in markdown_texts(at))


def test_point_of_view_shows_only_what_the_player_saw(app_db: str) -> None:
    events = Store(app_db, create=False).load_events("paper-1")
    full = ReplayView(events, len(events) - 1)
    faithful = sorted(p for p, r in full.state.initial_roles.items() if r == "faithful")[0]
    at = start(app_db, game="paper-1", page="Replay", pov=faithful, step=str(len(events) - 1))
    at.toggle(key="whole_game").set_value(True)
    run(at)
    texts = [t.value for t in at.text]
    said = [e for e in events if isinstance(e, Statement) and e.visible_to(faithful)]
    assert len(at.chat_message) == len(said) and not any(e.channel == "traitors" for e in said)
    assert not any(t.startswith("The Traitors are") for t in texts)
    assert not any("Traitors' channel" in m for m in markdown_texts(at))
    assert any(f"Knows: {faithful} is a faithful" in t for t in texts)
    for page in ("Trust", "Games", "Replay"):  # the step and point of view follow the user around
        at.radio(key="page").set_value(page)
        run(at)
        assert (at.session_state["step"], at.session_state["pov"]) == (len(events) - 1, faithful)
    traitor = sorted(p for p, r in full.state.initial_roles.items() if r == "traitor")[0]
    at.selectbox(key="pov").set_value(traitor)
    run(at)
    assert len(at.chat_message) == sum(
        1 for e in events if isinstance(e, Statement) and e.visible_to(traitor)
    )
    assert any("Traitors' channel" in m for m in markdown_texts(at))


def test_llm_player_memory_prompts_and_costs_as_text(app_db: str) -> None:
    events = Store(app_db, create=False).load_events(LLM_GAME)
    at = start(app_db, game=LLM_GAME, page="Replay", pov="Alex", step=str(len(events) - 1))
    calls = [e for e in events if isinstance(e, ModelCall) and e.player == "Alex"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Calls"] == str(len(calls))
    assert metrics["Prompt tokens"] == str(sum(c.prompt_tokens for c in calls))
    assert metrics["Cost (USD)"] == f"{0.001 * len(calls):.4f}"
    codes = [c.value for c in at.code]
    assert any(f"PROMPT-{calls[-1].seq}" in c for c in codes) and any(
        f"REPLY-{calls[-1].seq}" in c for c in codes
    )
    table = next(d.value for d in at.dataframe if "purpose" in d.value.columns)
    assert len(table) == len(calls) and table["cost_usd"].tolist() == [0.001] * len(calls)
    memory = [d.value for d in at.dataframe if "content" in d.value.columns]
    assert memory and memory[0]["content"].str.startswith("MEMORY-day").all()
    assert any(HOSTILE in t.value for t in at.text)  # statements as plain text
    assert not any("injected" in m or "javascript" in m for m in markdown_texts(at))


def test_private_reasoning_only_in_its_players_panel(app_db: str) -> None:
    """Alex's panel shows Alex's reasoning (as text, never markup); Bea's panel and every other page of
    Bea's view show none of Alex's; the omniscient host sees everyone's."""
    events = Store(app_db, create=False).load_events(LLM_GAME)
    step = str(len(events) - 1)
    at = start(app_db, game=LLM_GAME, page="Replay", pov="Alex", step=step)
    table = next(d.value for d in at.dataframe if "kind" in d.value.columns and "text" in d.value.columns)
    assert len(table) and table["text"].str.startswith(f"{REASONING}Alex-").all()
    assert not any("injected" in m or "javascript" in m for m in markdown_texts(at))
    at = start(app_db, game=LLM_GAME, page="Replay", pov="Bea", step=step)
    shown = [str(d.value.to_dict()) for d in at.dataframe] + [t.value for t in at.text] + markdown_texts(at)
    assert any(f"{REASONING}Bea-" in x for x in shown) and not any(f"{REASONING}Alex-" in x for x in shown)
    at = start(app_db, game=LLM_GAME, page="Replay", step=step)
    table = next(d.value for d in at.dataframe if "text" in d.value.columns and "player" in d.value.columns)
    assert {"Alex", "Bea"} <= set(table["player"])


def test_trust_page_follows_the_replay(app_db: str) -> None:
    events = Store(app_db, create=False).load_events("paper-2")
    at = start(app_db, game="paper-2", page="Trust", step=str(len(events) - 1))
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 2
    network, heatmap = charts
    names = next(t for t in network["data"] if t.get("mode") == "markers+text")["text"]
    assert names == [p.name for p in events[0].players]
    matrix = belief_matrix(events)
    z = pd.DataFrame(plotly_array(heatmap["data"][0]["z"]), index=heatmap["data"][0]["y"])
    assert list(z.index) == list(matrix.index)
    assert (z.to_numpy().round(9) == matrix.to_numpy().round(9))[~matrix.isna().to_numpy()].all()
    at.session_state["step"] = 5  # before any vote or belief
    run(at)
    assert "No beliefs or votes yet at this step." in [i.value for i in at.info]


def test_compare_page_equals_metrics_summaries(app_db: str) -> None:
    at = start(app_db)
    at.radio(key="page").set_value("Compare")
    run(at)
    frames = load_frames(app_db)
    expected = summarize(compute_metrics(frames), frames, by=["model", "role"], n_boot=1000, seed=0)
    shown = at.dataframe[0].value
    want = expected[expected["metric"].isin(shown["metric"].unique())].reset_index(drop=True)
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), want)
    assert len(at.get("plotly_chart")) == 1
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "Summary (CSV)",
        "Summary (Parquet)",
        "Per-game metrics (CSV)",
        "Per-game metrics (Parquet)",
    ]
    at.multiselect(key="cmp_by").set_value(["scenario"])
    run(at)
    assert set(at.dataframe[0].value["scenario"]) == {"paper", "quick"}


def test_empty_and_missing_databases_say_how_to_start(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(empty).close()
    for url in (empty, f"sqlite:///{tmp_path / 'missing.db'}"):
        at = start(url)
        assert any("traitors run" in c.value for c in at.code)
        assert not (tmp_path / "missing.db").exists()
    unreachable = "postgresql+psycopg://bob:s3cret@127.0.0.1:1/games"  # nothing listens on port 1
    at = start(unreachable)
    shown = [e.value for e in at.error] + [c.value for c in at.code] + [t.value for t in at.text]
    assert any("Cannot read" in e.value for e in at.error) and not any("s3cret" in v for v in shown)


def test_every_page_on_every_backend(db_url: str) -> None:
    with Store(db_url) as store:
        _play(store, "g1", PAPER, 7)
        last = len(store.load_events("g1")) - 1
    at = start(db_url)
    assert at.dataframe[0].value["game_id"].tolist() == ["g1"]
    at = start(db_url, game="g1", page="Replay", step=str(last))
    assert at.header[0].value == "Replay · g1" and at.session_state["step"] == last
    for page in ("Trust", "Compare"):
        at.radio(key="page").set_value(page)
        assert run(at).header[0].value.startswith(page)


def test_markup_in_ids_and_names_is_escaped(tmp_path: Path) -> None:
    from app.session import md

    assert md("<b>**x**</b> [a](javascript:b) :red[x] `c`") == (
        r"\<b\>\*\*x\*\*\</b\> \[a\]\(javascript\:b\) \:red\[x\] \`c\`"
    )
    url = f"sqlite:///{tmp_path / 'x.db'}"
    game_id = "<img src=x onerror=alert(1)>[x](javascript:alert(1))"
    with Store(url) as store:
        _play(store, game_id, PAPER, 3)
    at = start(url, game=game_id, page="Replay")
    assert at.header[0].value == f"Replay · {md(game_id)}"
    at.radio(key="page").set_value("Trust")
    assert run(at).header[0].value == f"Trust · {md(game_id)}"


def test_llm_game_with_memory_against_the_fake_openai_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openai", reason="the llm extra is not installed")
    import asyncio

    from agents.models.fake_server import FakeOpenAI
    from traitors import runner
    from traitors.config import parse_scenario

    small = {"name": "small", "players": 5, "traitors": 1, "max_days": 2, "discussion": {"turns": 1}}
    url = f"sqlite:///{tmp_path / 'llm.db'}"
    with FakeOpenAI() as srv, Store(url) as store:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        state = asyncio.run(
            runner.play_game(
                parse_scenario(small), 3, agents="openai:gpt-4o-mini", store=store, game_id="llm", memory=True
            )
        )
    me = state.names[0]
    at = start(url, game="llm", page="Replay", pov=me, step=str(state.seq - 1))
    calls = [e for e in state.events if isinstance(e, ModelCall) and e.player == me]
    assert {m.label: m.value for m in at.metric}["Calls"] == str(len(calls))
    assert any("The Traitors" in c.value for c in at.code)  # the system prompt, as text
    memory = next(d.value for d in at.dataframe if "content" in d.value.columns)  # memory items:
    assert memory["public"].any() and not memory["public"].all()  # the game's public ones and its own
    middle = state.seq // 2
    at.session_state["step"] = middle
    memory = next(d.value for d in run(at).dataframe if "content" in d.value.columns)
    assert len(memory) and memory["source_seq"].max() <= middle  # what the player remembered by then


def test_fallback_lines_votes_and_counts_are_marked(tmp_path: Path) -> None:
    from tests.fallback_games import DEAD, play_fallback_game

    url = f"sqlite:///{tmp_path / 'fallbacks.db'}"
    with Store(url) as store:
        events = play_fallback_game(store, "fb", 4)
    players = load_frames(url)["players"].set_index("player")
    at = start(url, game="fb", page="Replay", step=str(len(events) - 1))
    at.toggle(key="whole_game").set_value(True)
    run(at)
    badge = ":orange-badge[fallback]"
    fell = [e for e in events if isinstance(e, Statement) and e.decided_by == "fallback"]
    assert fell and sum(badge in m.value for m in at.markdown if m.value.startswith("**")) == len(fell)
    marked = [m.value for m in at.markdown if "votes made by a fallback" in m.value]
    assert marked and all(m.startswith(badge) for m in marked)
    table = next(d.value for d in at.dataframe if "fallback_rate" in d.value.columns)
    assert table.set_index("player")["fallbacks"].to_dict() == players["fallbacks"].to_dict()
    total = f"a fallback made {players['fallbacks'].sum()} of {players['decisions'].sum()} decisions"
    assert any(total in c.value for c in at.caption)
    dead = next(p for p in events[0].players if p.agent == DEAD).name
    at = start(url, game="fb", page="Replay", pov=dead, step=str(len(events) - 1))
    assert any(t.value.startswith("Decisions so far: ") and "made by a fallback" in t.value for t in at.text)
    grid = next(d.value for d in at.dataframe if any(str(c).startswith("day ") for c in d.value.columns))
    assert all(str(c).endswith("(fallback)") for c in grid.columns)  # every report of a dead seat
