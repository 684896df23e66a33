"""Aggregates (groupings, seeded bootstrap CIs, paired comparisons) and exports (CSV and Parquet read back
equal, escaped booktabs LaTeX, figures as PNG and PDF with TrueType fonts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_metrics_frames import hand_log, hand_store

from metrics import (
    TABLES,
    bootstrap_ci,
    compute_metrics,
    export,
    export_all,
    latex_escape,
    load_frames,
    metrics_table,
    paired_compare,
    read_table,
    summarize,
    summary_latex,
)


@pytest.fixture()
def two_games(tmp_path: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, str]:
    store = hand_store(tmp_path, hand_log("g1", model="gpt_4o"), hand_log("g2", model="m&m"))
    frames = load_frames(store)
    return frames, compute_metrics(frames), store.url


def test_summarize_by_model_and_role(two_games) -> None:
    frames, metrics, _ = two_games
    table = summarize(metrics, frames, by=["model", "role"], n_boot=200)
    assert list(table.columns) == [
        "scenario",
        "model",
        "role",
        "metric",
        "n",
        "games",
        "mean",
        "ci_low",
        "ci_high",
        "units",
        "chance",
    ]
    fcr = table[(table["metric"] == "FCR") & (table["model"] == "gpt_4o")].iloc[0]
    assert (fcr["role"], fcr["n"], fcr["mean"], fcr["units"]) == ("faithful", 1, pytest.approx(0.625), 2)
    win = table[(table["metric"] == "win") & (table["model"] == "m&m")].set_index("role")
    assert win.loc["traitor", "mean"] == 1.0 and win.loc["traitor", "n"] == 3  # C (recruited), E, F
    assert win.loc["traitor", "games"] == 1  # the interval is over games, not players
    assert win.loc["faithful", "mean"] == 0.0 and win.loc["faithful", "n"] == 3
    assert (table["ci_low"] <= table["mean"] + 1e-12).all() and (
        table["mean"] <= table["ci_high"] + 1e-12
    ).all()
    overall = summarize(metrics, frames, n_boot=200)
    assert overall.set_index("metric").loc["TSR", "n"] == 2
    with pytest.raises(ValueError, match="unknown grouping"):
        summarize(metrics, frames, by=["colour"])


def test_bootstrap_is_seeded_and_covers_the_mean() -> None:
    values = np.random.default_rng(3).normal(0.5, 0.1, 200)
    a = bootstrap_ci(values, 1000, np.random.default_rng(1))
    b = bootstrap_ci(values, 1000, np.random.default_rng(1))
    assert a == b and a[0] < values.mean() < a[1]
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
    assert a[1] - a[0] == pytest.approx(2 * half, rel=0.15)
    assert np.isnan(bootstrap_ci(np.array([]), 100, np.random.default_rng(0))[0])
    assert bootstrap_ci(np.array([0.3]), 100, np.random.default_rng(0)) == (0.3, 0.3)


def test_paired_compare_on_shared_seeds(two_games) -> None:
    frames, metrics, _ = two_games
    result = paired_compare(
        metrics, frames, condition={"g1": "base", "g2": "variant"}, a="base", b="variant", n_boot=200
    ).set_index("metric")
    assert result.loc["FCR", "n"] == 1 and result.loc["FCR", "diff"] == 0.0  # same seed, same game
    shifted = metrics.copy()
    shifted.loc[(shifted["game_id"] == "g2") & (shifted["metric"] == "FCR"), "value"] += 0.25
    moved = paired_compare(shifted, frames, "population", a="gpt_4o", b="m&m", n_boot=200).set_index("metric")
    assert moved.loc["FCR", "diff"] == pytest.approx(0.25) and moved.loc["FCR", "mean_b"] == pytest.approx(
        0.875
    )


def test_csv_and_parquet_read_back_equal(two_games, tmp_path: Path) -> None:
    frames, metrics, _ = two_games
    paths = export(frames, metrics, tmp_path / "out", formats=("csv", "parquet"), figures=False, n_boot=100)
    assert all(p.exists() for p in paths)
    for name in TABLES:
        for suffix in ("csv", "parquet"):
            back = read_table(tmp_path / "out" / f"{name}.{suffix}")
            pd.testing.assert_frame_equal(back, frames[name], obj=f"{name}.{suffix}")
    for suffix in ("csv", "parquet"):
        back = read_table(tmp_path / "out" / f"metrics.{suffix}")
        pd.testing.assert_frame_equal(back, metrics, obj=f"metrics.{suffix}")
    assert not (tmp_path / "out" / "summary.tex").exists()


def test_latex_special_characters_escaped(two_games, tmp_path: Path) -> None:
    assert latex_escape("100% a_b & c #1 $x$ {y} ~^\\") == (
        r"100\% a\_b \& c \#1 \$x\$ \{y\} \textasciitilde{}\textasciicircum{}\textbackslash{}"
    )
    frames, metrics, _ = two_games
    export(frames, metrics, tmp_path, formats=("latex",), figures=False, n_boot=100)
    tex = (tmp_path / "summary.tex").read_text()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert r"m\&m" in tex and r"gpt\_4o" in tex and r"net\_density" in tex
    body = tex.split("\\midrule")[1]
    assert "m&m" not in body and "gpt_4o" not in body
    table = pd.DataFrame(
        {
            "model": ["a%b"],
            "metric": ["x#y"],
            "n": [1],
            "mean": [np.nan],
            "ci_low": [np.nan],
            "ci_high": [np.nan],
            "units": [0],
        }
    )
    assert r"a\%b & x\#y & 1 & 0 & -- [--, --] \\" in summary_latex(table)


def test_figures_png_and_pdf_with_truetype_fonts(two_games, tmp_path: Path) -> None:
    frames, metrics, _ = two_games
    paths = export(frames, metrics, tmp_path, formats=("csv",), figures=True, n_boot=100)
    names = {p.name for p in paths}
    for stem in ("win_rate", "accuracy", "trust_over_days", "calibration"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
        assert (tmp_path / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
        pdf = (tmp_path / f"{stem}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF") and b"/Type3" not in pdf  # pdf.fonttype 42: TrueType outlines
        assert b"/CIDFontType2" in pdf or b"/TrueType" in pdf


def test_cli_entry_points(two_games, tmp_path: Path) -> None:
    _, _, url = two_games
    table = metrics_table(url, by=["model"], game_ids=["g1"], n_boot=100)
    assert set(table["model"].dropna()) == {"gpt_4o"} and "ci_high" in table
    overall = metrics_table(url, None, None, n_boot=100).set_index("metric")
    assert overall.loc["traitor_win", "n"] == 2
    paths = export_all(url, tmp_path / "x", formats=("csv", "latex"), figures=False)
    assert (tmp_path / "x" / "summary.tex") in paths and (tmp_path / "x" / "votes.csv") in paths
    with pytest.raises(ValueError, match="unknown format"):
        export_all(url, tmp_path / "y", formats=("xlsx",), figures=False)


def test_cluster_bootstrap_resamples_whole_games() -> None:
    rows = bootstrap_ci(
        np.array([0.0, 0.0, 1.0, 1.0]), 500, np.random.default_rng(5), clusters=np.array([0, 0, 1, 1])
    )
    games = bootstrap_ci(np.array([0.0, 1.0]), 500, np.random.default_rng(5))
    assert rows == games


def test_summaries_are_per_scenario_unless_pooled_on_request(tmp_path: Path) -> None:
    from traitors.events import GameCreated

    other = [
        e.model_copy(update={"scenario": "other"}) if isinstance(e, GameCreated) else e
        for e in hand_log("g2")
    ]
    frames = load_frames(hand_store(tmp_path, hand_log("g1"), other))
    long = compute_metrics(frames)
    table = summarize(long, frames, by=["model"], n_boot=50)
    assert set(table["scenario"]) == {"hand", "other"} and table.attrs["pooled_scenarios"] == []
    fcr = table[table["metric"] == "FCR"].set_index("scenario")
    assert (fcr["games"] == 1).all() and fcr.loc["hand", "chance"] == pytest.approx(0.45)  # T / (N − 1)
    wins = table[table["metric"].isin(["faithful_win", "traitor_win"])].set_index(["scenario", "metric"])
    assert wins.loc[("hand", "traitor_win"), "chance"] == pytest.approx(
        1 - wins.loc[("hand", "faithful_win"), "chance"]
    )
    pooled = summarize(long, frames, by=["model"], n_boot=50, pool_scenarios=True)
    assert "scenario" not in pooled.columns and pooled.attrs["pooled_scenarios"] == ["hand", "other"]
    assert "pooled over the scenarios hand, other" in summary_latex(pooled)
    assert "pooled" not in summary_latex(table)


def test_win_rates_per_game_sum_to_one(two_games) -> None:
    _, metrics, _ = two_games
    wide = metrics[metrics["metric"].isin(["faithful_win", "traitor_win"])].pivot(
        index="game_id", columns="metric", values="value"
    )
    assert ((wide["faithful_win"] + wide["traitor_win"]) == 1).all()


def test_trust_over_days_counts_the_games_alive_with_bootstrap_intervals(tmp_path: Path) -> None:
    from metrics.figures import game_groups, trust_over_days

    short = [e for e in hand_log("g2") if e.day <= 1]  # a prefix: the log up to the end of night 1
    frames = load_frames(hand_store(tmp_path, hand_log("g1"), short))  # g2 stops after day 1
    groups = game_groups(frames)
    assert set(groups) == {"hand · m1"}
    start = trust_over_days(frames["beliefs"], groups, "start", n_boot=100)
    assert start.groupby("x")["games"].max().to_dict() == {1: 2, 2: 1}  # only g1 runs on day 2
    assert ((start["ci_low"] <= start["mean"] + 1e-12) & (start["mean"] <= start["ci_high"] + 1e-12)).all()
    end = trust_over_days(frames["beliefs"], groups, "end", n_boot=100)
    assert end.groupby("x")["games"].max().to_dict() == {0: 2, 1: 1}  # every game has a last day
