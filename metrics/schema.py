"""The tidy tables of DESIGN.md §4: their columns and dtypes (``SCHEMA``) and :func:`conform`, which gives
any frame (from SQL, CSV or Parquet) exactly those columns and dtypes.

Repeated strings of the big tables (game ids, names, kinds) are categoricals with sorted categories; roles
are categoricals over ("faithful", "traitor"); text fields are pandas strings.
"""

from __future__ import annotations

import pandas as pd

Frames = dict[str, pd.DataFrame]
ROLES: tuple[str, str] = ("faithful", "traitor")

#: Columns (and dtypes) of every table: DESIGN.md §4's, plus provenance (``decided_by`` on the decision
#: tables, the ``decisions`` table, fallback counts and rates; docs/metrics.md), round tables (``round`` on
#: votes and beliefs, the ``rounds`` table) and the chance win probability of each game's rules.
SCHEMA: dict[str, dict[str, str]] = {
    "games": {
        "game_id": "str",
        "scenario": "str",
        "seed": "int64",
        "n_players": "int64",
        "n_traitors": "int64",
        "winner": "str",
        "days": "int64",
        "status": "str",
        "fallback_rate": "float64",
        "chance_faithful_win": "float64",  # exact P(Faithful win) under uniformly random play
    },
    "players": {
        "game_id": "str",
        "player": "str",
        "model": "str",
        "persona": "str",
        "version": "str",
        "initial_role": "role",
        "final_role": "role",
        "alive_at_end": "bool",
        "eliminated_day": "Int64",
        "elimination": "str",
        "decisions": "int64",
        "fallbacks": "int64",
        "fallback_rate": "float64",
    },
    "votes": {
        "game_id": "category",
        "day": "int64",
        "round": "Int64",  # round table (1, 2, …) of a banish or endgame vote; missing at night
        "kind": "category",
        "ballot": "int64",
        "voter": "category",
        "voter_role": "role",
        "target": "category",
        "target_role": "role",
        "valid": "bool",
        "decided_by": "category",
    },
    "rounds": {  # one row per round table (metrics.rounds)
        "game_id": "category",
        "round": "int64",
        "day": "int64",
        "players": "int64",
        "traitors": "int64",
        "ballots": "int64",
        "outcome": "category",
        "banished": "category",
        "banished_role": "role",
        "endgame": "category",
    },
    "statements": {
        "game_id": "category",
        "day": "int64",
        "phase": "category",
        "turn": "int64",
        "channel": "category",
        "speaker": "category",
        "speaker_role": "role",
        "text": "str",
        "decided_by": "category",
    },
    "beliefs": {
        "game_id": "category",
        "day": "int64",
        "round": "int64",  # the round table at which the report was made
        "observer": "category",
        "observer_role": "role",
        "target": "category",
        "target_role": "role",
        "p_traitor": "float64",
        "decided_by": "category",
    },
    "decisions": {
        "game_id": "category",
        "day": "int64",
        "phase": "category",
        "player": "category",
        "player_role": "role",
        "kind": "category",
        "decided_by": "category",
    },
    "model_calls": {
        "game_id": "str",
        "seq": "float64",  # the ModelCall event's seq (NaN in rows written before rows came from events)
        "player": "str",
        "day": "int64",
        "phase": "str",
        "purpose": "str",
        "model": "str",
        "prompt_tokens": "float64",
        "completion_tokens": "float64",
        "cached_tokens": "float64",
        "latency_ms": "float64",
        "cost_usd": "float64",  # NaN: unknown (no known price, or not measured)
        "original_cost_usd": "float64",
        "attempts": "float64",
        "outcome": "str",
        "cache_hit": "boolean",
        "served_model": "str",
        "system_fingerprint": "str",
    },
}
TABLES: tuple[str, ...] = tuple(SCHEMA)


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` with exactly the columns and dtypes of ``table`` (missing columns become NaN). Categorical
    columns get their used values as categories, sorted, so that equal data gives equal frames."""
    out = frame.reindex(columns=list(SCHEMA[table])).reset_index(drop=True)
    for col, dtype in SCHEMA[table].items():
        series = out[col]
        if dtype == "category":
            if not isinstance(series.dtype, pd.CategoricalDtype):
                series = series.astype("object").astype("category")
            used = series.cat.remove_unused_categories()
            out[col] = used.cat.set_categories(sorted(str(c) for c in used.cat.categories))
        elif dtype == "role":
            if not (isinstance(series.dtype, pd.CategoricalDtype) and tuple(series.cat.categories) == ROLES):
                out[col] = pd.Categorical(series.astype("object"), categories=ROLES)
        elif str(series.dtype) == dtype:
            continue
        elif dtype == "bool":
            out[col] = series.fillna(False).astype(bool)
        elif dtype == "int64":
            out[col] = pd.to_numeric(series).fillna(0).astype("int64")
        elif dtype == "str":
            out[col] = series.astype("object").where(series.notna(), None).astype("str")
        else:
            out[col] = series.astype(dtype)
    return out


def empty_frames() -> Frames:
    """Every table with its columns and no rows."""
    return {t: conform(pd.DataFrame(), t) for t in TABLES}
