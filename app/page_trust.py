"""Trust page: the trust network of a selected day and a belief heatmap over days, at the replay's step and
point of view (a player sees only their own beliefs; votes stand in on days without beliefs)."""

from __future__ import annotations

import streamlit as st

from app import charts, session
from app.replay_model import ReplayView
from app.trust import belief_matrix, days_with_data, in_trust, trust_edges


def render(url: str) -> None:
    """Draw the trust page for the selected game at the replay step."""
    events = session.selected_game(url)
    if events is None:
        return
    step = min(int(st.session_state.get("step", len(events) - 1)), len(events) - 1)
    pov = session.pov_name()
    rv = ReplayView(events, step, pov)
    spoilers = pov is None and bool(st.session_state.get("spoilers"))
    st.header(f"Trust · {session.md(events[0].game_id)}")
    who = "all players" if pov is None else session.md(pov)
    st.caption(
        f"At replay step {step} (day {rv.state.day}), as seen by {who}. "
        "Change the step and point of view on the Replay page."
    )
    days = days_with_data(rv.shown)
    if not days:
        st.info("No beliefs or votes yet at this step.")
        return
    default = max([d for d in days if d <= rv.state.day] or days)
    if st.session_state.get("trust_day") not in days:
        st.session_state["trust_day"] = default
    day = st.select_slider("Day", options=days, key="trust_day") if len(days) > 1 else days[0]
    edges = trust_edges(rv.shown, day)
    source = edges["source"].iloc[0] if len(edges) else "none"
    received = in_trust(edges)
    names = list(rv.state.names)
    alive = [p for p in names if p in rv.state.alive]
    roles = rv.known_roles(spoilers)
    left, right = st.columns([3, 2])
    with left:
        st.subheader(f"Trust network, day {day}")
        st.caption(
            "From belief reports (trust = 1 − P(traitor))."
            if source == "beliefs"
            else "No beliefs this day: edges are banishment votes (trust 0)."
        )
        st.plotly_chart(
            charts.trust_network_figure(edges, names, alive, roles, received.to_dict()), key="trust_network"
        )
    with right:
        st.subheader("Mean trust received")
        table = received.rename("in_trust").reset_index().rename(columns={"target": "player"})
        table["role"] = table["player"].map(roles).fillna("unknown")
        st.dataframe(
            table.sort_values("in_trust", ascending=False).round(3), hide_index=True, width="stretch"
        )
    st.subheader("Beliefs over days: mean P(traitor)")
    matrix = belief_matrix(rv.shown)
    if matrix.empty:
        st.caption("No belief reports at this step.")
    else:
        st.plotly_chart(charts.belief_heatmap_figure(matrix, day), key="belief_heatmap")
