"""Replay page: step through one game event by event, from the host's or one player's point of view."""

from __future__ import annotations

import streamlit as st

from app import charts, page_player, session
from app.replay_model import (
    FALLBACK,
    ReplayView,
    avatar,
    ballots,
    eliminations,
    fallback_counts,
    timeline,
    transcript_rows,
)
from traitors import transcript
from traitors.events import Event, RolesAssigned

MAX_LINES = 300
#: The mark of a statement, vote or belief report that a fallback made, not the seat (constant text).
FALLBACK_BADGE = ":orange-badge[fallback]"


def _shift(delta: int, last: int) -> None:
    st.session_state["step"] = min(max(st.session_state.get("step", 0) + delta, 0), last)


def _go(step: int) -> None:
    st.session_state["step"] = step


def _controls(events: tuple[Event, ...], names: list[str]) -> int:
    """Point of view, spoilers, autoplay and the step slider; returns the step."""
    last = len(events) - 1
    st.session_state["step"] = min(max(int(st.session_state.get("step", 0)), 0), last)
    if st.session_state.get("pov") not in ["Omniscient", *names]:
        st.session_state["pov"] = "Omniscient"
    top = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    top[0].selectbox(
        "Point of view",
        ["Omniscient", *names],
        key="pov",
        help="Omniscient: every event. A player: only what that player saw, and their mind.",
    )
    top[1].toggle("Show secret roles (spoilers)", key="spoilers", disabled=session.pov_name() is not None)
    top[2].toggle("Autoplay", key="autoplay")
    st.session_state.setdefault("speed", 1.0)
    top[3].selectbox("Seconds per step", [0.5, 1.0, 2.0], key="speed")
    row = st.columns([1.4, 1.4, 6, 1.4, 1.4], vertical_alignment="bottom")
    row[0].button(
        "First", icon=":material/first_page:", key="first", on_click=_go, args=(0,), help="first event"
    )
    row[1].button(
        "Prev", icon=":material/chevron_left:", key="prev", on_click=_shift, args=(-1, last), width="stretch"
    )
    if last > 0:
        row[2].slider("Event", 0, last, key="step", label_visibility="collapsed")
    row[3].button(
        "Next", icon=":material/chevron_right:", key="next", on_click=_shift, args=(1, last), width="stretch"
    )
    row[4].button(
        "Last", icon=":material/last_page:", key="last", on_click=_go, args=(last,), help="last event"
    )
    return int(st.session_state["step"])


def _autoplay(last: int) -> None:
    """While autoplay is on, a fragment advances the step and reruns the page every few seconds."""
    if not st.session_state.get("autoplay"):
        return
    st.session_state["_full_run"] = True

    @st.fragment(run_every=float(st.session_state.get("speed", 1.0)))
    def tick() -> None:
        if st.session_state.pop("_full_run", False):
            return
        if st.session_state.get("step", 0) >= last:
            st.session_state["autoplay"] = False
        else:
            st.session_state["step"] = st.session_state.get("step", 0) + 1
        st.rerun()

    tick()


def _transcript(rv: ReplayView, rows: list[dict], spoilers: bool) -> None:
    roles = rv.known_roles(spoilers)
    seats = rv.seats
    if len(rows) > MAX_LINES:
        st.caption(f"Showing the last {MAX_LINES} of {len(rows)} lines.")
        rows = rows[-MAX_LINES:]
    for row in rows:
        speaker = row["speaker"]
        if speaker is None:
            st.text(row["text"])
            continue
        with st.chat_message(speaker, avatar=avatar(speaker, seats.get(speaker, 0))):
            channel = " :violet-badge[Traitors' channel]" if row["channel"] == "traitors" else ""
            fallback = f" {FALLBACK_BADGE}" if row.get("decided_by") == FALLBACK else ""
            st.markdown(
                f"**{session.md(speaker)}** {session.role_badge(roles.get(speaker))}{channel}{fallback}"
                f" :gray[day {row['day']} · {row['phase']}]"
            )
            st.text(row["text"])


def _ballots(rv: ReplayView, day: int | None, spoilers: bool) -> None:
    roles = rv.known_roles(spoilers)
    shown = [b for b in ballots(rv.shown) if day is None or b.day == day]
    if not shown:
        st.caption("No ballot yet." if day is None else f"No ballot yet on day {day}.")
    for b in reversed(shown):
        st.subheader(f"Day {b.day} · {b.kind} vote" + (f" (revote {b.ballot})" if b.ballot > 1 else ""))
        table = b.votes.assign(
            voter_role=b.votes["voter"].map(roles).fillna("unknown"),
            target_role=b.votes["target"].map(roles).fillna("unknown"),
        )
        left, right = st.columns([2, 3])
        left.dataframe(table, hide_index=True, width="stretch")
        fell = int((b.votes["decided_by"] == FALLBACK).sum())
        if fell:
            left.markdown(
                f"{FALLBACK_BADGE} {fell} of {len(b.votes)} votes made by a fallback, not by the seat "
                "(left out of the metrics by default)"
            )
        if b.result is not None:
            counts = ", ".join(f"{t}: {n}" for t, n in sorted(b.result.counts.items(), key=lambda kv: -kv[1]))
            left.text(
                f"Result: {b.result.outcome}"
                + (f" → {b.result.target}" if b.result.target else "")
                + f" ({counts})"
            )
        if b.votes["valid"].any():
            right.plotly_chart(
                charts.vote_flow_figure(b.votes, roles), key=f"flow-{b.day}-{b.kind}-{b.ballot}"
            )


def _players(rv: ReplayView, spoilers: bool) -> None:
    """The seats with their agents and how many of their decisions (so far) a fallback made."""
    roles = rv.known_roles(spoilers)
    table = fallback_counts(rv.shown, rv.state.players)
    table.insert(2, "role", table["player"].map(roles).fillna("unknown"))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"fallback_rate": st.column_config.NumberColumn("fallback rate", format="%.2f")},
    )
    fell = table[table["fallbacks"] > 0]
    if len(fell):
        names = ", ".join(f"{p} ({n})" for p, n in zip(fell["player"], fell["fallbacks"], strict=True))
        st.markdown(f"{FALLBACK_BADGE} decisions made by a fallback, not by the seat: {session.md(names)}")
    else:
        st.caption("No decision so far was made by a fallback.")


def _fallback_summary(events: tuple[Event, ...]) -> str:
    """A caption clause on the whole game's fallbacks (empty when there were none)."""
    table = fallback_counts(events, events[0].players)
    fell = int(table["fallbacks"].sum())
    if not fell:
        return ""
    return f" · a fallback made {fell} of {int(table['decisions'].sum())} decisions"


def render(url: str) -> None:
    """Draw the replay page for the selected game."""
    events = session.selected_game(url)
    if events is None:
        return
    created = events[0]
    names = [p.name for p in created.players]
    st.header(f"Replay · {session.md(events[0].game_id)}")
    st.caption(
        f"scenario {session.md(created.scenario)} · seed {created.seed} · {len(names)} players · "
        f"{len(events)} events · agents {session.md(', '.join(sorted({p.agent for p in created.players})))}"
        f"{_fallback_summary(events)}"
    )
    step = _controls(events, names)
    _autoplay(len(events) - 1)
    pov = session.pov_name()
    spoilers = pov is None and bool(st.session_state.get("spoilers"))
    rv = ReplayView(events, step, pov)
    current = events[step]
    line = transcript.describe(current) or current.type.replace("_", " ")
    if isinstance(current, RolesAssigned) and not spoilers:
        line = "Roles are dealt in secret."
    elif not current.visible_to(pov or "") and pov is not None:
        line = f"(not seen by {pov})"
    st.markdown(f"**Step {step} / {len(events) - 1}** · day {current.day} · {current.phase}")
    st.text(line)
    st.plotly_chart(charts.timeline_figure(timeline(events), step), key="timeline")
    whole = st.toggle("Whole game so far (otherwise the current day)", key="whole_game")
    day = None if whole else rv.state.day
    rows = [r for r in transcript_rows(rv.shown) if day is None or r["day"] == day]
    if not spoilers:
        rows = [r for r in rows if not r["text"].startswith("The Traitors are ")]
    labels = ["Transcript", "Ballots", "Eliminations", "Players", "Player" if pov else "Model calls"]
    tabs = st.tabs(labels)
    with tabs[0]:
        _transcript(rv, rows, spoilers)
    with tabs[1]:
        _ballots(rv, day, spoilers)
    with tabs[2]:
        st.dataframe(eliminations(rv.shown), hide_index=True, width="stretch")
    with tabs[3]:
        _players(rv, spoilers)
    with tabs[4]:
        if pov:
            page_player.render(url, rv)
        else:
            page_player.reasoning(rv)
            page_player.model_calls(url, rv)
