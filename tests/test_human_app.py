"""The app's Compare page shows the human baseline (imported UK show games) beside a baseline agent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from traitors import runner
from traitors.human import UK_SHOW_DIR, import_show
from traitors.store import Store

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

MAIN = str(Path(__file__).resolve().parent.parent / "app" / "main.py")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('human_app') / 'app.db'}"
    with Store(db) as store:
        import_show(UK_SHOW_DIR, store)
        for seed in (1, 2, 3):
            asyncio.run(
                runner.play_game("paper", seed, agents="heuristic", store=store, game_id=f"paper-{seed}")
            )
    return db


def compare_page(url: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["db_url"] = url
    at.session_state["page"] = "Compare"
    return at.run()


def shown_models(at: AppTest) -> set[str]:
    table = at.dataframe[0].value
    return set(table["model"].dropna())


def test_human_baseline_beside_the_heuristic_agent(url: str) -> None:
    at = compare_page(url)
    assert not at.exception
    assert {"human", "heuristic"} <= shown_models(at)  # all scenarios: both populations
    assert any("Human baseline" in c.value for c in at.caption)
    at.multiselect(key="cmp_scenarios").set_value(["paper"]).run()
    assert shown_models(at) == {"heuristic"}
    at.checkbox(key="cmp_human").check().run()
    assert not at.exception
    assert {"human", "heuristic"} <= shown_models(at)
    at.multiselect(key="cmp_by").set_value(["population"]).run()
    table = at.dataframe[0].value
    fcr = table[table["metric"] == "FCR"].set_index("population")
    assert set(fcr.index) == {"human", "heuristic"} and fcr.loc["human", "n"] == 4


@pytest.mark.parametrize("page", ["Games", "Replay", "Trust"])
def test_other_pages_render_a_human_game(url: str, page: str) -> None:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state["db_url"] = url
    at.session_state["page"] = page
    at.session_state["game_id"] = "uk-s2"
    at.session_state["step"] = 40
    at.run()
    assert not at.exception and not at.error
