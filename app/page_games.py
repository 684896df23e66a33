"""Games page: filter stored games by scenario, model, winner and date; list them; open one."""

from __future__ import annotations

from datetime import date

import streamlit as st

from app import db, session


def _filters(url: str) -> db.GameFilter:
    options = session.filter_options(url)
    cols = st.columns(4)
    scenarios = cols[0].multiselect("Scenario", options["scenario"], key="f_scenario")
    models = cols[1].multiselect("Model / agent", options["model"], key="f_model")
    winners = cols[2].multiselect("Winner", options["winner"], key="f_winner")
    dates = cols[3].date_input("Played between", value=(), key="f_dates", format="YYYY-MM-DD")
    since, until = _date_range(dates)
    return db.GameFilter(tuple(scenarios), tuple(models), tuple(winners), since, until)


def _date_range(value: object) -> tuple[date | None, date | None]:
    if isinstance(value, date):
        return value, value
    picked = [d for d in (value or ()) if isinstance(d, date)]  # type: ignore[union-attr]
    if not picked:
        return None, None
    return picked[0], picked[-1]


def _open_choice() -> None:
    session.open_game(st.session_state["open_choice"])


def render(url: str) -> None:
    """Draw the games page."""
    st.header("Games")
    flt = _filters(url)
    games, total = session.games_list(url, flt)
    shown = f"{len(games):,} newest of {total:,}" if total > len(games) else f"{total:,}"
    st.caption(f"{shown} games match.")
    if games.empty:
        st.warning("No game matches these filters.")
        return
    table = games.assign(created_at=games["created_at"].dt.strftime("%Y-%m-%d %H:%M"))
    picked = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="games_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={"game_id": st.column_config.TextColumn("game"), "n_events": "events"},
    )
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    ids = games["game_id"].tolist()
    if rows and rows != st.session_state.get("_picked_rows"):
        st.session_state["open_choice"] = ids[rows[0]]
    st.session_state["_picked_rows"] = rows
    if st.session_state.get("open_choice") not in ids:
        current = st.session_state.get("game_id")
        st.session_state["open_choice"] = current if current in ids else ids[0]
    cols = st.columns([3, 1], vertical_alignment="bottom")
    cols[0].selectbox("Game", ids, key="open_choice")
    cols[1].button(
        "Open replay",
        icon=":material/play_arrow:",
        key="open_game",
        on_click=_open_choice,
        type="primary",
        width="stretch",
    )
