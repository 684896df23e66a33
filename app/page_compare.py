"""Compare page: metrics aggregated by model, role and scenario with bootstrap CIs (needs ``metrics``)."""

from __future__ import annotations

import streamlit as st


def render(url: str) -> None:
    """Draw the compare page."""
    st.header("Compare")
    st.info("Metrics are not available yet.")
