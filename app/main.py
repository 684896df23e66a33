"""Entry point of the Streamlit app: ``streamlit run app/main.py -- --db URL`` (or ``traitors replay``).

A sidebar picks the page; the selected game, step and point of view live in session state and can be
deep-linked with ``?game=ID&page=Replay&pov=NAME&step=N``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # `streamlit run app/main.py` puts app/ first on sys.path, not the project root
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from app import page_compare, page_games, page_replay, page_trust, session  # noqa: E402
from traitors.store import StoreError  # noqa: E402


def main() -> None:
    """Render the selected page."""
    st.set_page_config(page_title="Traitors replay", page_icon=":material/theater_comedy:", layout="wide")
    session.keep_widget_state()
    session.read_query_params()
    url = session.db_url()
    with st.sidebar:
        st.title("Traitors")
        page = st.radio("Page", session.PAGES, key="page")
        st.caption("Database (read-only)")
        st.text(session.shown_url(url))
    try:
        ready = session.has_games(url)
    except (StoreError, SQLAlchemyError) as err:
        detail = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        st.error(f"Cannot read {session.md(session.shown_url(url))}: {session.md(detail)}")
        session.no_games_message(url)
        return
    if not ready:
        session.no_games_message(url)
        return
    {"Games": page_games, "Replay": page_replay, "Trust": page_trust, "Compare": page_compare}[page].render(
        url
    )


main()
