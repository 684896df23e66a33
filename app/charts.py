"""Plotly figures for the app: phase timeline, vote flow, trust network, belief heatmap, metric bars.

Every label is passed as data (plotly escapes text in SVG), never as HTML built from game text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

PHASE_COLORS = {
    "setup": "#9e9e9e",
    "breakfast": "#ffb74d",
    "mission": "#4db6ac",
    "roundtable": "#64b5f6",
    "night": "#5c6bc0",
    "end": "#81c784",
}
ROLE_COLORS = {"traitor": "#d32f2f", "faithful": "#1976d2", None: "#9e9e9e"}


def timeline_figure(spans: pd.DataFrame, step: int) -> go.Figure:
    """Horizontal bars of each (day, phase) span over event seq, with a line at the current step."""
    fig = go.Figure()
    for phase, rows in spans.groupby("phase", sort=False):
        fig.add_trace(
            go.Bar(
                x=rows["last_seq"] - rows["first_seq"] + 1,
                base=rows["first_seq"],
                y=["events"] * len(rows),
                orientation="h",
                name=str(phase),
                marker_color=PHASE_COLORS.get(str(phase), "#bdbdbd"),
                customdata=rows[["day"]].to_numpy(),
                hovertemplate="day %{customdata[0]}, %{base}–%{x}<extra></extra>",
            )
        )
    for day, first in spans.groupby("day")["first_seq"].min().items():
        fig.add_annotation(x=first, y=1.05, yref="paper", text=f"D{day}", showarrow=False, xanchor="left")
    fig.add_vline(x=step + 0.5, line_color="black", line_width=2)
    fig.update_layout(
        barmode="stack",
        height=150,
        margin={"l": 10, "r": 10, "t": 25, "b": 20},
        showlegend=True,
        legend={"orientation": "h", "y": -0.4},
        yaxis={"visible": False},
        xaxis={"title": None},
    )
    return fig


def vote_flow_figure(votes: pd.DataFrame, roles: Mapping[str, str]) -> go.Figure:
    """A Sankey diagram from voters (left) to targets (right), coloured by the roles known."""
    valid = votes[votes["valid"] & votes["target"].notna()]
    voters = list(dict.fromkeys(valid["voter"]))
    targets = list(dict.fromkeys(valid["target"]))
    labels = voters + targets
    colors = [ROLE_COLORS.get(roles.get(name)) for name in labels]
    fig = go.Figure(
        go.Sankey(
            node={"label": labels, "color": colors, "pad": 8},
            link={
                "source": [voters.index(v) for v in valid["voter"]],
                "target": [len(voters) + targets.index(t) for t in valid["target"]],
                "value": [1] * len(valid),
            },
        )
    )
    fig.update_layout(height=max(220, 22 * len(voters)), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def circle_layout(names: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Players evenly on a circle, in seat order, the first at the top."""
    n = max(len(names), 1)
    return {p: (math.sin(2 * math.pi * i / n), math.cos(2 * math.pi * i / n)) for i, p in enumerate(names)}


def trust_network_figure(
    edges: pd.DataFrame,
    names: Sequence[str],
    alive: Sequence[str],
    roles: Mapping[str, str],
    received: Mapping[str, float],
) -> go.Figure:
    """Directed trust edges (green trusting, red suspicious) between players on a circle."""
    pos = circle_layout(names)
    fig = go.Figure()
    known = edges[edges["observer"].isin(pos) & edges["target"].isin(pos)]
    bins = pd.cut(known["trust"].astype(float), [-0.01, 0.2, 0.4, 0.6, 0.8, 1.01], labels=False)
    for b, rows in known.groupby(bins):
        trust = (int(b) + 0.5) / 5
        color = f"rgba({int(220 * (1 - trust))},{int(160 * trust)},60,{0.3 + 0.6 * abs(trust - 0.5) * 2:.2f})"
        xs, ys, tips_x, tips_y, angles = [], [], [], [], []
        for observer, target in zip(rows["observer"], rows["target"], strict=True):
            (x0, y0), (x1, y1) = pos[observer], pos[target]
            tx, ty = x0 + 0.88 * (x1 - x0), y0 + 0.88 * (y1 - y0)
            xs += [x0, tx, None]
            ys += [y0, ty, None]
            tips_x.append(tx)
            tips_y.append(ty)
            angles.append(90 - math.degrees(math.atan2(y1 - y0, x1 - x0)))
        label = f"trust {trust - 0.1:.1f}–{trust + 0.1:.1f}"
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": color, "width": 1 + 2 * abs(trust - 0.5)},
                hoverinfo="skip",
                name=label,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=tips_x,
                y=tips_y,
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker={"symbol": "arrow", "angle": angles, "size": 9, "color": color},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[pos[p][0] for p in names],
            y=[pos[p][1] for p in names],
            mode="markers+text",
            text=list(names),
            textposition="top center",
            hovertext=[f"{p}: in-trust {received.get(p, float('nan')):.2f}" for p in names],
            hoverinfo="text",
            marker={
                "size": [14 + 20 * received.get(p, 0.5) for p in names],
                "color": [ROLE_COLORS.get(roles.get(p)) for p in names],
                "opacity": [1.0 if p in alive else 0.3 for p in names],
                "line": {"width": 1, "color": "#333"},
            },
        )
    )
    fig.update_layout(
        height=480,
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"visible": False, "range": [-1.3, 1.3]},
        yaxis={"visible": False, "range": [-1.3, 1.3], "scaleanchor": "x"},
    )
    return fig


def belief_heatmap_figure(matrix: pd.DataFrame, day: int | None = None) -> go.Figure:
    """P(traitor) per target and day; the selected day is outlined."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=[f"day {d}" for d in matrix.columns],
            y=list(matrix.index),
            zmin=0,
            zmax=1,
            colorscale="RdBu_r",
            colorbar={"title": "P(traitor)"},
            hovertemplate="%{y}, %{x}: %{z:.2f}<extra></extra>",
        )
    )
    if day is not None and day in list(matrix.columns):
        i = list(matrix.columns).index(day)
        fig.add_shape(
            type="rect",
            x0=i - 0.5,
            x1=i + 0.5,
            y0=-0.5,
            y1=len(matrix.index) - 0.5,
            line={"color": "black", "width": 2},
        )
    fig.update_layout(height=max(250, 26 * len(matrix.index)), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


def metric_bars_figure(summary: pd.DataFrame, group: str) -> go.Figure:
    """Metric means (``mean``) per ``group`` label with their bootstrap CIs (``ci_low``, ``ci_high``)."""
    fig = go.Figure()
    for name, rows in summary.groupby(group, sort=True):
        fig.add_trace(
            go.Bar(
                x=rows["metric"],
                y=rows["mean"],
                name=str(name),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["ci_high"] - rows["mean"],
                    "arrayminus": rows["mean"] - rows["ci_low"],
                },
            )
        )
    fig.update_layout(
        barmode="group",
        height=400,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
