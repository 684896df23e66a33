"""The "as player X" panel of the replay: X's role and knowledge, beliefs, memory, and model calls (prompts,
raw replies, tokens, cost). Tables written by memory/ and agents/ are shown when present."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from app import db, session
from app.replay_model import FALLBACK, ReplayView, beliefs, fallback_counts
from memory.tables import PUBLIC, importance_for
from traitors.views import view

#: Columns of the memory tables that repeat what the panel already says (whose memory, which game).
HIDDEN = ("id", "identity", "game_id", "player", "observer")
CALL_COLUMNS = [
    "seq",
    "day",
    "phase",
    "player",
    "purpose",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "attempts",
    "outcome",
    "request_hash",
]


@st.cache_data(ttl=30, show_spinner=False)
def _rows(url: str, table: str, game_id: str, player: str | tuple[str, ...] | None) -> pd.DataFrame | None:
    return db.optional_rows(session.engine(url), table, game_id, player)


def _memory(url: str, game_id: str, me: str) -> pd.DataFrame | None:
    """``me``'s memory items: its own and the game's public observations (marked ``public``), with the
    importance they have for ``me``."""
    rows = _rows(url, "memory_items", game_id, (me, PUBLIC))
    if rows is None or rows.empty or "personal" not in rows.columns:
        return rows
    rows = rows.copy()
    rows["importance"] = [
        importance_for(p if isinstance(p, str) else None, me, i)
        for p, i in zip(rows["personal"], rows["importance"], strict=True)
    ]
    rows["public"] = rows["player"] == PUBLIC
    return rows.drop(columns=["personal"]).sort_values(["day", "source_seq", "kind"], kind="stable")


@st.cache_data(ttl=300, show_spinner=False)
def _exchange(url: str, request_hash: str) -> dict[str, Any] | None:
    return db.cached_llm_exchange(session.engine(url), request_hash)


def _until(frame: pd.DataFrame | None, rv: ReplayView) -> pd.DataFrame | None:
    """Rows known at the replay step: by event seq when the table has one, else by day."""
    if frame is None:
        return None
    for column, limit in (("seq", rv.step), ("source_seq", rv.step), ("day", rv.state.day)):
        if column in frame.columns:
            return frame[pd.to_numeric(frame[column], errors="coerce").fillna(0) <= limit]
    return frame


def belief_table(mine: pd.DataFrame) -> pd.DataFrame:
    """One observer's reports as target × day (P(traitor), 2 decimals); a day whose report a fallback
    made is headed ``day N (fallback)``."""
    table = mine.pivot_table(index="target", columns="day", values="p_traitor").round(2)
    fell = set(mine.loc[mine["decided_by"] == FALLBACK, "day"])
    return table.rename(columns=lambda d: f"day {d}" + (f" ({FALLBACK})" if d in fell else ""))


def render(url: str, rv: ReplayView) -> None:
    """Everything about the point-of-view player up to the replay step."""
    me = rv.pov
    assert me is not None
    if me in rv.state.roles:
        v = view(rv.state, me)
        fellows = f" with {', '.join(v.fellow_traitors)}" if v.fellow_traitors else ""
        status = "alive" if me in v.alive else "eliminated"
        st.markdown(f"**{session.md(me)}** {session.role_badge(v.role)} · {status}")
        st.text(
            f"Knows: {me} is a {v.role}{fellows}. "
            f"Traitors in the game: {v.n_traitors if v.n_traitors is not None else 'unknown'}."
        )
    counts = fallback_counts(rv.shown, [p for p in rv.state.players if p.name == me])
    if len(counts):
        made, fell = int(counts["decisions"].iloc[0]), int(counts["fallbacks"].iloc[0])
        st.text(f"Decisions so far: {made}, of which {fell} made by a fallback (not by {me}).")
    st.subheader("Beliefs reported")
    mine = beliefs(rv.shown, me)
    if mine.empty:
        st.caption("No belief report yet.")
    else:
        st.dataframe(belief_table(mine), width="stretch")
    game_id = rv.state.game_id
    memory = _memory(url, game_id, me)
    for rows, title in ((memory, "Memory"), (_rows(url, "beliefs", game_id, me), "Beliefs kept in memory")):
        rows = _until(rows, rv)
        if rows is not None:
            st.subheader(title)
            if rows.empty:
                st.caption("Nothing stored yet.")
            else:
                shown = rows.drop(columns=[c for c in HIDDEN if c in rows.columns])
                st.dataframe(shown, hide_index=True, width="stretch")
    if memory is None:
        st.caption("No agent memory in this database (memory_items table absent).")
    reasoning(rv, me)
    model_calls(url, rv)


def reasoning(rv: ReplayView, player: str | None = None) -> None:
    """The private reasoning behind each decision of ``player`` (everyone's when ``None``) up to the step,
    as plain text; only the omniscient host and the player themselves see it."""
    rows = rv.reasoning(player)
    st.subheader("Private reasoning")
    if rows.empty:
        st.caption("No private reasoning up to this step (offline agents, or reasoning turned off).")
        return
    st.dataframe(rows.drop(columns=["player"] if player else []), hide_index=True, width="stretch")


def model_calls(url: str, rv: ReplayView) -> None:
    """Model calls up to the step: a table, totals, and each call's prompt and raw reply."""
    calls = rv.own_model_calls()
    st.subheader("Model calls")
    if not calls:
        st.caption("No model calls up to this step (offline agents make none).")
        return
    frame = pd.DataFrame([c.model_dump() for c in calls]).reindex(columns=CALL_COLUMNS)
    measured = _rows(url, "model_calls", rv.state.game_id, rv.pov)
    cost = None
    if measured is not None and not measured.empty and {"request_hash", "cost_usd"} <= set(measured.columns):
        extra = [c for c in ("latency_ms", "cost_usd", "cache_hit") if c in measured.columns]
        by_seq = "seq" in measured.columns and measured["seq"].notna().all()  # rows made from the events
        key = "seq" if by_seq else "request_hash"
        per_call = measured.drop_duplicates(key).set_index(key)[extra]
        frame = frame.join(per_call, on=key)
        cost = float(pd.to_numeric(frame["cost_usd"], errors="coerce").sum(skipna=False))  # NaN: unknown
        measured = measured[measured[key].isin(frame[key])]
    cols = st.columns(4)
    cols[0].metric("Calls", len(frame))
    cols[1].metric("Prompt tokens", int(frame["prompt_tokens"].sum()))
    cols[2].metric("Completion tokens", int(frame["completion_tokens"].sum()))
    cols[3].metric("Cost (USD)", "n/a" if cost is None else "unknown" if cost != cost else f"{cost:.4f}")
    st.dataframe(frame, hide_index=True, width="stretch")
    if measured is not None and not measured.empty:
        with st.expander("Measured calls (model_calls table: latency, cost, cache hits)"):
            st.dataframe(measured, hide_index=True, width="stretch")
    labels = {f"#{c.seq} · day {c.day} · {c.player} · {c.purpose}": c for c in calls}
    pick = st.selectbox("Inspect a call", list(labels), index=len(labels) - 1, key="call_pick")
    call = labels[pick]
    exchange = _exchange(url, call.request_hash)
    if exchange is None:
        st.caption("Prompt and reply not stored (no llm_cache entry for this call).")
        return
    st.caption(
        f"model {session.md(exchange.get('model', call.model))} · request {session.md(call.request_hash)}"
    )
    _show_exchange(exchange)


def _show_exchange(exchange: dict[str, Any]) -> None:
    """The prompt messages (role by role) and the raw reply of one cached exchange, as plain text."""
    request = _parsed(exchange.get("request"))
    messages = request.get("messages") if isinstance(request, dict) else None
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            role = message.get("role", "?") if isinstance(message, dict) else "?"
            content = message.get("content", message) if isinstance(message, dict) else message
            st.markdown(f"**Prompt message {i + 1}** · {session.md(role)}")
            st.code(_pretty(content), language=None, wrap_lines=True)
        rest = {k: v for k, v in request.items() if k != "messages" and v is not None}
        if rest:
            st.markdown("**Request options**")
            st.code(_pretty(rest), language=None, wrap_lines=True)
    elif "request" in exchange:
        st.markdown("**Prompt**")
        st.code(_pretty(exchange["request"]), language=None, wrap_lines=True)
    st.markdown("**Raw reply**")
    st.code(_pretty(exchange.get("response", "")), language=None, wrap_lines=True)


def _parsed(value: object) -> object:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _pretty(value: object) -> str:
    """Text for a cached value: JSON pretty-printed when it parses, else as stored."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), indent=2, ensure_ascii=False)
        except ValueError:
            return value
    return (
        json.dumps(value, indent=2, default=str, ensure_ascii=False)
        if isinstance(value, dict | list)
        else str(value)
    )
