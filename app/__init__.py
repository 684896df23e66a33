"""Streamlit replay and analysis app: browse games, replay them event by event, inspect trust, compare.

Start it with ``traitors replay --db URL`` (or ``streamlit run app/main.py -- --db URL``). The app opens the
database read-only and never imports the engine loop; the core never imports this package.
"""
