"""Compare page: metrics of ``metrics`` aggregated by model, role and scenario with bootstrap CIs; a chart;
CSV and Parquet downloads of the summary and of the per-game values."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from app import charts, session

GROUPINGS = ("model", "role", "scenario", "population")
#: Scenario of the human baseline games (`traitors import-show`: the UK show's real votes, model "human").
HUMAN_SCENARIO = "uk_show"
HUMAN_CAVEAT = (
    "Human baseline (model 'human', scenario uk_show): first ballots only; recruited players count as "
    "Traitors for the whole series; no murders, beliefs or endings recorded (see docs/metrics.md)."
)
N_BOOT = 1000
DEFAULT_METRICS = ("FCR", "FAS", "TAS", "TSR", "FSR", "DES", "IDR", "BRR", "VSF", "TNS")


@st.cache_resource(ttl=120, show_spinner="Computing metrics…", max_entries=4)
def metric_tables(url: str, scenarios: tuple[str, ...]) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Frames and per-game metric rows (long) of the games of ``scenarios`` (all if empty); shared, never
    modified."""
    from metrics import Filters, compute_metrics, load_frames

    frames = load_frames(session.engine(url), Filters(scenario=list(scenarios) or None))
    return frames, compute_metrics(frames)


@st.cache_data(ttl=120, show_spinner="Bootstrapping confidence intervals…", max_entries=16)
def summary_table(url: str, scenarios: tuple[str, ...], by: tuple[str, ...]) -> pd.DataFrame:
    """Means and 95% bootstrap CIs per group and metric (seeded: the same numbers on every run)."""
    from metrics import summarize

    frames, long = metric_tables(url, scenarios)
    return summarize(long, frames, by=list(by), n_boot=N_BOOT, seed=0)


@st.cache_data(ttl=120, show_spinner=False, max_entries=16)
def _encoded(url: str, scenarios: tuple[str, ...], by: tuple[str, ...] | None, fmt: str) -> bytes:
    """The summary (``by`` given) or the per-game metrics as CSV or Parquet bytes, encoded once."""
    frame = summary_table(url, scenarios, by) if by is not None else metric_tables(url, scenarios)[1]
    if fmt == "csv":
        return frame.to_csv(index=False).encode()
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _downloads(
    url: str, scenarios: tuple[str, ...], by: tuple[str, ...] | None, label: str, stem: str
) -> None:
    cols = st.columns(2)
    for col, fmt, mime in ((cols[0], "csv", "text/csv"), (cols[1], "parquet", "application/octet-stream")):
        col.download_button(
            f"{label} ({'CSV' if fmt == 'csv' else 'Parquet'})",
            _encoded(url, scenarios, by, fmt),
            f"{stem}.{fmt}",
            mime=mime,
            key=f"dl-{stem}-{fmt}",
        )


def render(url: str) -> None:
    """Draw the compare page (the other pages work without ``metrics``; it is imported here)."""
    st.header("Compare")
    try:
        from metrics import METRICS
    except ImportError as err:
        st.error(f"The metrics package cannot be imported: {session.md(err)}")
        return
    options = session.filter_options(url)
    cols = st.columns(3)
    scenarios = cols[0].multiselect("Scenarios (all if empty)", options["scenario"], key="cmp_scenarios")
    offer_human = scenarios and HUMAN_SCENARIO in options["scenario"] and HUMAN_SCENARIO not in scenarios
    if offer_human and cols[0].checkbox("Add the human baseline (UK show)", key="cmp_human"):
        scenarios = [*scenarios, HUMAN_SCENARIO]
    by = cols[1].multiselect("Group by", GROUPINGS, default=["model", "role"], key="cmp_by")
    frames, long = metric_tables(url, tuple(scenarios))
    n_games = len(frames["games"])
    known = sorted(long["metric"].unique())
    default = [m for m in DEFAULT_METRICS if m in known] or known[:8]
    chosen = cols[2].multiselect("Metrics", known, default=default, key="cmp_metrics")
    st.caption(
        f"{n_games:,} games; per scenario, means with 95% percentile-bootstrap CIs over games ({N_BOOT} "
        "resamples, seed 0); n = games (or players, for per-player metrics) with a defined value, games = "
        "the games behind them; chance = the level of uniformly random play where there is one. Decisions "
        "made by a fallback are left out (see fallback_rate)."
    )
    left_out = len(long.attrs.get("degraded_left_out", []))
    if left_out:
        from metrics import degraded_note

        st.caption(session.md(f"{degraded_note(left_out, hint=False)}."))
    if frames["games"]["scenario"].eq(HUMAN_SCENARIO).any():
        st.caption(HUMAN_CAVEAT)
    if long.empty:
        st.info("No metric can be computed for these games yet.")
        return
    summary = summary_table(url, tuple(scenarios), tuple(by))
    shown = summary[summary["metric"].isin(chosen)].reset_index(drop=True)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="cmp_table",
        column_config={
            c: st.column_config.NumberColumn(format="%.3f") for c in ("mean", "ci_low", "ci_high")
        },
    )
    if not shown.empty:
        keys = list(dict.fromkeys(c for c in ("scenario", *by) if c in shown.columns))  # never pooled
        label = shown[keys].astype(str).agg(" · ".join, axis=1)
        st.plotly_chart(charts.metric_bars_figure(shown.assign(group=label), "group"), key="cmp_chart")
    with st.expander("Metric definitions"):
        st.dataframe(
            pd.DataFrame([{"metric": k, "side": v.subject, "meaning": v.label} for k, v in METRICS.items()]),
            hide_index=True,
            width="stretch",
        )
    st.subheader("Downloads")
    _downloads(url, tuple(scenarios), tuple(by), "Summary", "summary")
    _downloads(url, tuple(scenarios), None, "Per-game metrics", "metrics")
