"""Writing the tables: CSV and Parquet of every §4 table and of the metrics, a booktabs LaTeX summary, and
a reader that restores the exact dtypes (``read_table``) so that an export reads back equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from metrics.aggregate import POOLED, summarize
from metrics.chance import chance_table
from metrics.compute import COLUMNS, DEGRADED_LEFT_OUT
from metrics.elo import elo_ratings
from metrics.network import by_round as network_by_round
from metrics.provenance import outcome_statuses, without_fallbacks
from metrics.schema import SCHEMA, TABLES, conform

FORMATS = ("csv", "parquet", "latex")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: object) -> str:
    """``text`` with LaTeX's special characters escaped (% _ & # $ { } ~ ^ and backslash)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _fmt(x: float, digits: int) -> str:
    return "--" if not np.isfinite(x) else f"{x:.{digits}f}"


def summary_latex(
    summary: pd.DataFrame,
    digits: int = 3,
    caption: str = "Metrics (mean and bootstrap 95\\% CI over games)",
    label: str = "tab:metrics",
) -> str:
    """A booktabs table of a :func:`metrics.summarize` result: the group columns, metric, the number of
    games (the unit the interval resamples), the units averaged (round tables, votes, players…),
    ``mean [ci_low, ci_high]`` and the chance level where there is one; every cell escaped. The caption
    says when scenarios were pooled (``summary.attrs["pooled_scenarios"]``) and how many degraded games
    were left out of the outcome metrics (``summary.attrs["degraded_left_out"]``), when any were."""
    groups = [
        c for c in summary.columns if c not in ("n", "games", "mean", "ci_low", "ci_high", "units", "chance")
    ]
    games = "games" if "games" in summary.columns else "n"
    has_chance = "chance" in summary.columns and summary["chance"].notna().any()
    header = [*(latex_escape(c) for c in groups), "games", "units", "mean [95\\% CI]"]
    header += ["chance"] if has_chance else []
    pooled = summary.attrs.get(POOLED, [])
    if pooled:
        caption += f"; pooled over the scenarios {latex_escape(', '.join(pooled))}"
    left_out = len(summary.attrs.get(DEGRADED_LEFT_OUT, []))
    if left_out:
        caption += f"; {latex_escape(degraded_note(left_out, hint=False))}"
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{caption}}}",
        f"\\label{{{latex_escape(label)}}}",
        f"\\begin{{tabular}}{{{'l' * len(groups)}rrl{'r' if has_chance else ''}}}",
        "\\toprule",
        " & ".join(header) + " \\\\",
        "\\midrule",
    ]
    for row in summary.itertuples(index=False):
        rec = row._asdict()
        cells = [latex_escape("" if pd.isna(rec[g]) else rec[g]) for g in groups]
        ci = f"{_fmt(rec['mean'], digits)} [{_fmt(rec['ci_low'], digits)}, {_fmt(rec['ci_high'], digits)}]"
        units = str(int(rec["units"])) if "units" in rec else ""
        cells += [str(int(rec[games])), units, ci]
        if has_chance:
            cells.append("" if pd.isna(rec["chance"]) else _fmt(rec["chance"], digits))
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(lines)


def degraded_note(count: int, hint: bool = True) -> str:
    """One sentence saying that ``count`` degraded games were left out of the outcome metrics (with
    ``hint``, how to count them from the command line)."""
    games = "game" if count == 1 else "games"
    note = (
        f"{count} degraded {games} (fallbacks made more of the model seats' decisions than the run "
        "allowed, 10% by default) left out of the outcome metrics (TSR, FSR, traitor_win, faithful_win, win, "
        "survived, Elo)"
    )
    return note + ("; --include-fallbacks counts them" if hint else "")


def _table_dtypes(name: str) -> dict[str, str]:
    if name in SCHEMA:
        return SCHEMA[name]
    if name == "metrics":
        return {"game_id": "str", "metric": "str", "value": "float64", "n": "int64", "player": "str"}
    return {}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read back one exported table (``.csv`` or ``.parquet``) with the dtypes it was written with."""
    path = Path(path)
    frame = (
        pd.read_parquet(path)
        if path.suffix == ".parquet"
        else pd.read_csv(path, keep_default_na=False, na_values=[""])
    )
    name = path.stem
    for col in (
        "persona",
        "version",
    ):  # load_frames never leaves them missing; CSV reads an empty one as missing
        if name == "players" and col in frame.columns:
            frame[col] = frame[col].astype(object).fillna("")
    if name in SCHEMA:
        return conform(frame, name)
    if name == "metrics":
        frame = frame.reindex(columns=COLUMNS)
        frame["player"] = frame["player"].astype("object").where(frame["player"].notna(), None).astype("str")
        return frame.astype({"game_id": "str", "metric": "str", "value": "float64", "n": "int64"})
    return frame


def _write(frame: pd.DataFrame, stem: Path, formats: Iterable[str]) -> list[Path]:
    paths = []
    if "csv" in formats:
        paths.append(stem.with_suffix(".csv"))
        frame.to_csv(paths[-1], index=False)
    if "parquet" in formats:
        paths.append(stem.with_suffix(".parquet"))
        frame.to_parquet(paths[-1], index=False)
    return paths


def export(
    frames: Mapping[str, pd.DataFrame],
    metrics: pd.DataFrame,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    figures: bool = True,
    by: Sequence[str] = ("model", "role"),
    n_boot: int = 1000,
    seed: int = 0,
    fallbacks: bool = False,
) -> list[Path]:
    """Write the §4 tables (every row, with ``decided_by``; ``rounds``: one row per round table),
    ``metrics`` (long), ``elo``, ``network_rounds`` (trust-network indices per round table and observer
    set), ``chance`` (each scenario's rules and chance Faithful win probability) and ``summary`` (per
    scenario, grouped by ``by``) as CSV/Parquet,
    ``summary.tex`` (booktabs) for 'latex', and the paper figures (PNG + PDF) when ``figures``. Elo, the
    network indices and the figures leave out the fallbacks' decisions and degraded games unless
    ``fallbacks`` (pass the value ``metrics`` was computed with). Returns the written paths."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name in TABLES:
        paths += _write(conform(frames[name], name), out / name, formats)
    paths += _write(metrics, out / "metrics", formats)
    scored = dict(frames) if fallbacks else without_fallbacks(frames)
    paths += _write(elo_ratings(scored, statuses=outcome_statuses(fallbacks)), out / "elo", formats)
    paths += _write(network_by_round(scored["beliefs"], scored["games"]), out / "network_rounds", formats)
    paths += _write(chance_table(frames), out / "chance", formats)
    summary = summarize(metrics, frames, by=list(by), n_boot=n_boot, seed=seed)
    paths += _write(summary, out / "summary", formats)
    if "latex" in formats:
        tex = out / "summary.tex"
        tex.write_text(summary_latex(summary), encoding="utf-8")
        paths.append(tex)
    if figures:
        from metrics.figures import write_figures  # matplotlib only when figures are asked for

        paths += write_figures(scored, metrics, out, n_boot=n_boot, seed=seed)
    return paths
