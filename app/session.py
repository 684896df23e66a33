"""Streamlit glue shared by the pages: the database URL, cached loaders, session keys and safe text."""

from __future__ import annotations

import argparse
import re
import sys

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError

from app import db
from traitors.events import Event, GameCreated
from traitors.store import resolve_url

PAGES = ("Games", "Replay", "Trust", "Compare")
#: Widget keys that outlive their page (Streamlit drops a widget's state when a run does not draw it): the
#: replay's step and point of view follow the user to the Trust page and back.
PERSISTENT = ("step", "pov", "spoilers", "whole_game", "speed", "trust_day")
CREATE_HINT = "traitors run --scenario quick --seed 1 --db {url}"

_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#!|<>~$:])")


def md(text: object) -> str:
    """``text`` with every Markdown/HTML-significant character escaped (for names inside markdown)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def db_url() -> str:
    """The database URL: session state (tests), then ``--db`` after ``--`` on the command line, then
    ``TRAITORS_DB``, then the default."""
    if "db_url" not in st.session_state:
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument("--db")
        known, _ = parser.parse_known_args(sys.argv[1:])
        st.session_state["db_url"] = resolve_url(known.db)
    return st.session_state["db_url"]


@st.cache_resource(show_spinner=False)
def engine(url: str) -> Engine:
    """One read-only engine per URL for the whole server."""
    return db.open_readonly(url)


@st.cache_resource(max_entries=64, show_spinner=False)
def game_events(url: str, game_id: str) -> tuple[Event, ...]:
    """One game's events (frozen pydantic objects, shared, never copied)."""
    return tuple(db.load_events(engine(url), game_id))


def selected_game(url: str) -> tuple[Event, ...] | None:
    """The events of the game chosen on the Games page, or None after telling the user what is missing."""
    game_id = st.session_state.get("game_id")
    if not game_id:
        st.info("Pick a game on the Games page first.")
        return None
    events = game_events(url, game_id)
    if not events or not isinstance(events[0], GameCreated):
        st.error(f"No events stored for game {md(game_id)}.")
        return None
    return events


@st.cache_data(ttl=30, show_spinner=False)
def games_list(url: str, flt: db.GameFilter) -> tuple[pd.DataFrame, int]:
    """Matching games (newest first, capped) and their total count."""
    return db.list_games(engine(url), flt)


@st.cache_data(ttl=30, show_spinner=False)
def filter_options(url: str) -> dict[str, list[str]]:
    """Values for the games filters."""
    return db.filter_options(engine(url))


@st.cache_data(ttl=5, show_spinner=False)
def has_games(url: str) -> bool:
    """Whether there is anything to show."""
    return db.has_games(engine(url))


def open_game(game_id: str) -> None:
    """Select a game and go to its replay at the first event (use as a widget callback)."""
    st.session_state["game_id"] = game_id
    st.session_state["step"] = 0
    st.session_state["pov"] = "Omniscient"
    st.session_state["autoplay"] = False
    st.session_state["page"] = "Replay"


def keep_widget_state() -> None:
    """Re-own the state of :data:`PERSISTENT` widgets (call before any widget is drawn)."""
    for key in PERSISTENT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def read_query_params() -> None:
    """Deep links: ``?game=ID&page=Replay&pov=NAME&step=N`` seed the session once."""
    if st.session_state.get("_query_read"):
        return
    st.session_state["_query_read"] = True
    params = st.query_params
    if "game" in params:
        open_game(params["game"])
    if params.get("page") in PAGES:
        st.session_state["page"] = params["page"]
    if "pov" in params:
        st.session_state["pov"] = params["pov"]
    if params.get("step", "").isdigit():
        st.session_state["step"] = int(params["step"])


def pov_name() -> str | None:
    """The selected point of view: ``None`` for omniscient, else a player's name."""
    pov = st.session_state.get("pov", "Omniscient")
    return None if pov in (None, "Omniscient") else pov


def role_badge(role: str | None) -> str:
    """A Markdown badge for a role (constant text only)."""
    return {"traitor": ":red-badge[Traitor]", "faithful": ":blue-badge[Faithful]"}.get(role or "", "")


def shown_url(url: str) -> str:
    """``url`` as safe to display (password hidden)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(invalid database URL)"


def no_games_message(url: str) -> None:
    """What to do when the database holds no game yet."""
    st.info("This database holds no games yet. Create one, then reload this page:")
    st.code(CREATE_HINT.format(url=shown_url(url)), language="bash")
