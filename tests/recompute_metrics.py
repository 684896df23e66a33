"""An independent recomputation of every per-game and per-player metric from an export's CSV files, in
plain Python (csv, math, json: no pandas, no numpy, no import of ``metrics``), from the definitions of
docs/metrics.md. Used by tests/test_metrics_recompute.py::

    python tests/recompute_metrics.py EXPORT_DIR     # prints JSON rows [game_id, metric, player, value, n]

Defaults as the package's: decisions made by a fallback are left out (a fallback vote counts as invalid, a
fallback belief report is dropped) and outcomes count finished games only.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

NAN = float("nan")
GAME_METRICS = (
    "FCR",
    "FCR_chance",
    "FCR_vs_chance",
    "FAS",
    "TAS",
    "night_consensus",
    "TSR",
    "FSR",
    "DES",
    "DES_pivotal",
    "DES_paper",
    "faithful_banished",
    "IDR",
    "IDR_chance",
    "IDR_vs_chance",
    "IDR_slope",
    "IDR_slope_vs_chance",
    "BRR",
    "VSF",
    "TNS",
    "TNS_by_traitors",
    "brier",
    "log_loss",
    "AUC",
    "deception_gap",
    "net_density",
    "net_reciprocity",
    "net_in_trust_traitor",
    "net_in_trust_faithful",
    "net_density_by_traitors",
    "net_reciprocity_by_traitors",
    "net_in_trust_traitor_by_traitors",
    "net_in_trust_faithful_by_traitors",
    "net_assortativity_by_all",
    "traitor_win",
    "faithful_win",
    "faithful_win_chance",
    "betrayal",
    "tokens",
    "cost_usd",
    "model_calls",
    "fallback_rate",
)


def read(path: Path) -> list[dict[str, str]]:
    """The rows of one CSV file ('' = missing)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def num(text: str) -> float:
    """A float ('' = NaN)."""
    return float(text) if text != "" else NAN


def mean(values: list[float]) -> float:
    """The mean (NaN for none)."""
    return sum(values) / len(values) if values else NAN


def result(values: list[float]) -> tuple[float, int]:
    """(mean of the per-unit values, how many units)."""
    return (mean(values), len(values)) if values else (NAN, 0)


def slope(points: list[tuple[float, float]]) -> tuple[float, int]:
    """Least-squares slope of y on x (NaN with fewer than two distinct x)."""
    n = len(points)
    if n < 2:
        return NAN, 0
    sx = sum(x for x, _ in points)
    sy = sum(y for _, y in points)
    sxx = sum(x * x for x, _ in points)
    sxy = sum(x * y for x, y in points)
    den = n * sxx - sx * sx
    if den <= 1e-12:
        return NAN, 0
    return (n * sxy - sx * sy) / den, n


def top_share(targets: list[str]) -> tuple[float, str | None]:
    """(count of the most-voted target / votes, that target when it is unique, else None)."""
    counts: dict[str, int] = defaultdict(int)
    for t in targets:
        counts[t] += 1
    best = max(counts.values())
    leaders = [t for t, c in counts.items() if c == best]
    return best / len(targets), leaders[0] if len(leaders) == 1 else None


def leaders(targets: list[str]) -> tuple[dict[str, int], int, list[str]]:
    """(counts, top count, targets at the top)."""
    counts: dict[str, int] = defaultdict(int)
    for t in targets:
        counts[t] += 1
    best = max(counts.values(), default=0)
    return counts, best, [t for t, c in counts.items() if c == best]


def is_model_spec(spec: str) -> bool:
    """A language-model seat (docs/metrics.md: the spec contains ':' or is 'local')."""
    return ":" in spec or spec.strip().partition("?")[0] == "local"


def vote_metrics(votes: list[dict], rounds: list[dict]) -> dict[str, tuple[float, int]]:
    """Every vote-based game metric of one game."""
    first = [v for v in votes if v["kind"] == "banish" and v["ballot"] == "1"]
    valid = [v for v in first if v["valid"] == "True"]
    by_round: dict[int, list[dict]] = defaultdict(list)
    for v in valid:
        by_round[int(v["round"])].append(v)
    present: dict[int, list[dict]] = defaultdict(list)
    for v in first:
        present[int(v["round"])].append(v)
    fcr, chance, diff, fas, tas, betrayal = [], [], [], [], [], []
    for r in sorted(by_round):
        f = [v for v in by_round[r] if v["voter_role"] == "faithful"]
        t = [v for v in by_round[r] if v["voter_role"] == "traitor"]
        if f:
            share = sum(v["target_role"] == "traitor" for v in f) / len(f)
            here = present[r]
            level = sum(v["voter_role"] == "traitor" for v in here) / (len(here) - 1)
            fcr.append(share)
            chance.append(level)
            diff.append(share - level)
            fas.append(top_share([v["target"] for v in f])[0])
        if len(t) >= 2:
            tas.append(top_share([v["target"] for v in t])[0])
            betrayal.append(sum(v["target_role"] == "traitor" for v in t) / len(t))
    nights: dict[str, list[str]] = defaultdict(list)
    for v in votes:
        if v["kind"] == "murder" and v["ballot"] == "1" and v["valid"] == "True":
            nights[v["day"]].append(v["target"])
    night = [top_share(ts)[0] for ts in nights.values() if len(ts) >= 2]
    des, pivotal, paper, gone_f = [], [], [], []
    for row in rounds:
        out = row["banished"]
        r = int(row["round"])
        t = [v["target"] for v in by_round.get(r, []) if v["voter_role"] == "traitor"]
        if out == "" or not t:
            continue
        faithful = row["banished_role"] == "faithful"
        t_counts, t_top, t_lead = leaders(t)
        _, _, a_lead = leaders([v["target"] for v in by_round[r]])
        rest = [v["target"] for v in by_round[r] if v["voter_role"] != "traitor"]
        _, r_top, r_lead = leaders(rest)
        among = faithful and t_counts.get(out, 0) == t_top
        des.append(float(among and len(t_lead) == 1))
        paper.append(float(among))
        leads = a_lead == [out]
        leads_without = r_lead == [out] and r_top > 0
        pivotal.append(float(faithful and leads and not leads_without))
        gone_f.append(float(faithful))
    brr = []
    for row in rounds:
        if row["banished"] == "" or row["banished_role"] != "traitor":
            continue
        r, out = int(row["round"]), row["banished"]
        voters = [v["voter"] for v in present.get(r, []) if v["voter_role"] == "faithful"]
        if not voters:
            continue
        earlier = {
            v["voter"]
            for v in valid
            if v["target"] == out and v["target_role"] == "traitor" and int(v["round"]) < r
        }
        brr.append(sum(x in earlier for x in voters) / len(voters))
    last: dict[str, dict] = {}
    switches: dict[int, list[float]] = defaultdict(list)
    for v in valid:  # log order
        before = last.get(v["voter"])
        last[v["voter"]] = v
        if before is None:
            continue
        r = int(v["round"])
        if any(p["voter"] == before["target"] for p in present[r]):
            switches[r].append(float(v["target"] != before["target"]))
    vsf = [mean(x) for _, x in sorted(switches.items())]
    return {
        "FCR": result(fcr),
        "FCR_chance": result(chance),
        "FCR_vs_chance": result(diff),
        "FAS": result(fas),
        "TAS": result(tas),
        "betrayal": result(betrayal),
        "night_consensus": result(night),
        "DES": result(des),
        "DES_pivotal": result(pivotal),
        "DES_paper": result(paper),
        "faithful_banished": result(gone_f),
        "BRR": result(brr),
        "VSF": result(vsf),
    }


def belief_metrics(beliefs: list[dict]) -> dict[str, tuple[float, int]]:
    """Every belief-based game metric of one game."""
    known = [b for b in beliefs if b["target_role"] != ""]
    faithful = [b for b in known if b["observer_role"] == "faithful"]
    reports: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for b in faithful:
        reports[(int(b["round"]), b["observer"])].append(b)
    per_round: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for (r, _), rows in reports.items():
        top = max(num(b["p_traitor"]) for b in rows)
        tops = [b for b in rows if num(b["p_traitor"]) >= top - 1e-12]
        share = sum(b["target_role"] == "traitor" for b in tops) / len(tops)
        level = sum(b["target_role"] == "traitor" for b in rows) / len(rows)
        per_round[r].append((share, level))
    idr = {r: mean([s for s, _ in v]) for r, v in per_round.items()}
    level = {r: mean([c for _, c in v]) for r, v in per_round.items()}
    out = {
        "IDR": result(list(idr.values())),
        "IDR_chance": result(list(level.values())),
        "IDR_vs_chance": result([idr[r] - level[r] for r in idr]),
        "IDR_slope": slope([(r, idr[r]) for r in idr]),
        "IDR_slope_vs_chance": slope([(r, idr[r] - level[r]) for r in idr]),
    }
    previous: dict[tuple[str, str], float] = {}
    deltas: dict[str, dict[int, list[float]]] = {"faithful": defaultdict(list), "traitor": defaultdict(list)}
    for b in beliefs:
        key = (b["observer"], b["target"])
        p = num(b["p_traitor"])
        if key in previous and b["observer_role"] in deltas:
            deltas[b["observer_role"]][int(b["round"])].append(abs(p - previous[key]))
        previous[key] = p
    for name, side in (("TNS", "faithful"), ("TNS_by_traitors", "traitor")):
        values = [1 - mean(d) for _, d in sorted(deltas[side].items())]
        # 1 − mean over rounds of the mean |Δ|  ==  mean over rounds of (1 − mean |Δ|)
        out[name] = result(values)
    ys = [(num(b["p_traitor"]), float(b["target_role"] == "traitor")) for b in faithful]
    out["brier"] = result([(p - y) ** 2 for p, y in ys])
    clip = [(min(max(p, 1e-6), 1 - 1e-6), y) for p, y in ys]
    out["log_loss"] = result([-(y * math.log(q) + (1 - y) * math.log(1 - q)) for q, y in clip])
    by_round: dict[int, list[dict]] = defaultdict(list)
    for b in faithful:
        by_round[int(b["round"])].append(b)
    aucs, gaps = [], []
    for r in sorted(by_round):
        rows = by_round[r]
        pos = [num(b["p_traitor"]) for b in rows if b["target_role"] == "traitor"]
        neg = [num(b["p_traitor"]) for b in rows if b["target_role"] == "faithful"]
        if pos and neg:
            wins = sum(1.0 if a > c else 0.5 if a == c else 0.0 for a in pos for c in neg)
            aucs.append(wins / (len(pos) * len(neg)))
        trust: dict[str, list[float]] = defaultdict(list)
        side: dict[str, str] = {}
        for b in rows:
            trust[b["target"]].append(1 - num(b["p_traitor"]))
            side[b["target"]] = b["target_role"]
        t = [mean(v) for k, v in trust.items() if side[k] == "traitor"]
        f = [mean(v) for k, v in trust.items() if side[k] == "faithful"]
        if t and f:
            gaps.append(mean(t) - mean(f))
    out["AUC"] = result(aucs)
    out["deception_gap"] = result(gaps)
    out.update(network(beliefs))
    return out


def network(beliefs: list[dict]) -> dict[str, tuple[float, int]]:
    """The trust-network indices of one game, per round table, averaged where defined."""
    rounds: dict[int, dict[tuple[str, str], dict]] = defaultdict(dict)
    for b in beliefs:  # the last report on a pair in a round table wins
        rounds[int(b["round"])][(b["observer"], b["target"])] = b
    values: dict[str, list[float]] = defaultdict(list)
    for r in sorted(rounds):
        rows = list(rounds[r].values())
        nodes = {b["observer"] for b in rows} | {b["target"] for b in rows}
        trust = {(b["observer"], b["target"]): 1 - num(b["p_traitor"]) for b in rows}
        edges = {k for k, w in trust.items() if w > 0.5}
        for observers, suffix in (("faithful", ""), ("traitor", "_by_traitors")):
            mine = [b for b in rows if b["observer_role"] == observers]
            reporters = {b["observer"] for b in mine}
            if not reporters:
                continue
            mine_edges = [(b["observer"], b["target"]) for b in mine if (b["observer"], b["target"]) in edges]
            if len(nodes) > 1:
                values["net_density" + suffix].append(len(mine_edges) / (len(reporters) * (len(nodes) - 1)))
            within = [(u, v) for u, v in mine_edges if v in reporters]
            if within:
                values["net_reciprocity" + suffix].append(
                    sum((v, u) in edges for u, v in within) / len(within)
                )
            received: dict[str, list[float]] = defaultdict(list)
            role: dict[str, str] = {}
            for b in mine:
                received[b["target"]].append(trust[(b["observer"], b["target"])])
                role[b["target"]] = b["target_role"]
            for side in ("traitor", "faithful"):
                levels = [mean(w) for t, w in received.items() if role[t] == side]
                if levels:
                    values[f"net_in_trust_{side}{suffix}"].append(mean(levels))
        cells: dict[tuple[bool, bool], int] = defaultdict(int)
        for b in rows:
            if (b["observer"], b["target"]) in edges:
                cells[(b["observer_role"] == "traitor", b["target_role"] == "traitor")] += 1
        total = sum(cells.values())
        if total:
            e = {k: c / total for k, c in cells.items()}
            a = {s: e.get((s, False), 0) + e.get((s, True), 0) for s in (False, True)}
            c = {s: e.get((False, s), 0) + e.get((True, s), 0) for s in (False, True)}
            ab = a[False] * c[False] + a[True] * c[True]
            if abs(1 - ab) > 1e-12:
                values["net_assortativity_by_all"].append(
                    (e.get((False, False), 0) + e.get((True, True), 0) - ab) / (1 - ab)
                )
    names = [
        f"net_{i}{s}"
        for s in ("", "_by_traitors")
        for i in ("density", "reciprocity", "in_trust_traitor", "in_trust_faithful")
    ]
    return {name: result(values[name]) for name in [*names, "net_assortativity_by_all"]}


def recompute(folder: Path) -> list[list[object]]:
    """Every row of the metrics table, recomputed: [game_id, metric, player, value, n]."""
    games = read(folder / "games.csv")
    players = defaultdict(list)
    for p in read(folder / "players.csv"):
        players[p["game_id"]].append(p)
    votes = defaultdict(list)
    for v in read(folder / "votes.csv"):
        if v["decided_by"] == "fallback":
            v["valid"] = "False"
        votes[v["game_id"]].append(v)
    beliefs = defaultdict(list)
    for b in read(folder / "beliefs.csv"):
        if b["decided_by"] != "fallback":
            beliefs[b["game_id"]].append(b)
    rounds = defaultdict(list)
    for r in read(folder / "rounds.csv"):
        rounds[r["game_id"]].append(r)
    calls = defaultdict(list)
    for c in read(folder / "model_calls.csv"):
        calls[c["game_id"]].append(c)
    rows: list[list[object]] = []
    for game in games:
        gid = game["game_id"]
        done = game["status"] == "finished" and game["winner"] != ""
        values: dict[str, tuple[float, int]] = {}
        values.update(vote_metrics(votes[gid], rounds[gid]))
        values.update(belief_metrics(beliefs[gid]))
        seats = players[gid]
        ever = [p for p in seats if p["final_role"] == "traitor"]
        start_f = [p for p in seats if p["initial_role"] == "faithful"]
        end_f = [p for p in seats if p["final_role"] == "faithful" and p["alive_at_end"] == "True"]
        values["TSR"] = (
            (sum(p["alive_at_end"] == "True" for p in ever) / len(ever), len(ever))
            if done and ever
            else (NAN, 0)
        )
        values["FSR"] = (len(end_f) / len(start_f), len(start_f)) if done and start_f else (NAN, 0)
        won_t = float(game["winner"] == "traitors")
        values["traitor_win"] = (won_t, 1) if done else (NAN, 0)
        values["faithful_win"] = (1 - won_t, 1) if done else (NAN, 0)
        chance = num(game["chance_faithful_win"])
        values["faithful_win_chance"] = (chance, 1) if done and not math.isnan(chance) else (NAN, 0)
        mine = calls[gid]
        if mine:
            values["tokens"] = (
                sum(
                    (num(c["prompt_tokens"]) if c["prompt_tokens"] else 0)
                    + (num(c["completion_tokens"]) if c["completion_tokens"] else 0)
                    for c in mine
                ),
                len(mine),
            )
            values["cost_usd"] = (sum(num(c["cost_usd"]) for c in mine), len(mine))
            values["model_calls"] = (float(len(mine)), len(mine))
        else:
            values["tokens"] = values["cost_usd"] = values["model_calls"] = (NAN, 0)
        model = [p for p in seats if is_model_spec(p["model"])] or seats
        made = sum(int(p["decisions"]) for p in model)
        fell = sum(int(p["fallbacks"]) for p in model)
        values["fallback_rate"] = (fell / made, made) if made else (NAN, 0)
        for name in GAME_METRICS:
            value, n = values[name]
            rows.append([gid, name, None, value, n if not math.isnan(value) else 0])
        if done:
            side = {"traitor": "traitors", "faithful": "faithful"}
            for p in seats:
                rows.append([gid, "win", p["player"], float(side[p["final_role"]] == game["winner"]), 1])
            for p in seats:
                rows.append([gid, "survived", p["player"], float(p["alive_at_end"] == "True"), 1])
        out = {int(r["round"]): r["banished"] for r in rounds[gid] if r["banished"] != ""}
        agree: dict[str, list[float]] = defaultdict(list)
        for v in votes[gid]:
            if (
                v["kind"] == "banish"
                and v["ballot"] == "1"
                and v["valid"] == "True"
                and int(v["round"]) in out
            ):
                agree[v["voter"]].append(float(v["target"] == out[int(v["round"])]))
        for player, hits in agree.items():
            rows.append([gid, "outcome_agreement", player, mean(hits), len(hits)])
    return rows


def main() -> None:
    """Print the recomputed rows as JSON (NaN as null) and refuse to have imported metrics or numpy."""
    rows = recompute(Path(sys.argv[1]))
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("metrics", "numpy", "pandas"))
    if loaded:
        raise SystemExit(f"not plain Python: {loaded}")
    json.dump([[g, m, p, None if math.isnan(v) else v, n] for g, m, p, v, n in rows], sys.stdout)


if __name__ == "__main__":
    main()
