"""Chance baselines: what uniformly random play scores.

**Win probability.** :func:`faithful_win_probability` is the exact probability that the Faithfuls win a
game of the given rules when every banishment and every murder is uniformly random, by dynamic programming
over (day, living Faithfuls, living Traitors). Roles are exchangeable under uniform choices, so the living
counts are a sufficient state. The mechanics modelled, one round table at a time:

- a round table banishes one living player chosen uniformly (so a Traitor with probability T / N); the
  tie rule is not modelled: every round table banishes someone, as with ``second_tie: random``;
- the game ends as ``traitors.rules`` says: Faithfuls win when no Traitor lives, Traitors at parity
  (T ≥ F), checked after each banishment, murder and accepted recruitment;
- **endgame** (when enabled): after a banishment that leaves ``at_players`` or fewer alive, every living
  player votes to end with probability ``p_end`` (1/2: a uniform choice of two options); the game ends
  (Traitors win, one being alive) when all vote to end, else another round table follows the same day,
  with no more nights;
- **night**: the Traitors murder a living Faithful chosen uniformly; with **missions** a murder is blocked
  when the victim holds a shield, which happens with probability ``success_rate · min(shields, N) / N``
  (N = players alive in the morning, among whom the shields were drawn uniformly);
- **recruitment** (when enabled, on a night after a Traitor was banished, while 0 < T < ``max_traitors``):
  the Traitors' uniform choice among the F Faithfuls and "none" makes an offer with probability
  F / (F + 1), accepted with probability ``p_accept`` (1/2); an accepted offer turns a Faithful into a
  Traitor and replaces the murder; a declined one is followed by the murder (``standard``) or murders the
  refuser unless shielded (``ultimatum``);
- **max_days**: after the night of day ``max_days`` a game still running is closed and the Traitors win.

Random agents (``agents.random_agent``) play exactly this process in distribution: they vote, murder,
recruit and answer uniformly and ignore roles, so by symmetry the banished player is uniform among the
living (`benchmarks/RESULTS.md` compares both with :func:`simulate`, which draws the abstract process).

**Per round table** the chance level of FCR is the share of Traitors among a Faithful voter's options
(the other living players), T / (N − 1); that of IDR is the share of Traitors among the targets of a
Faithful observer's report (metrics.paper).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache, lru_cache

import pandas as pd


@dataclass(frozen=True)
class Rules:
    """The mechanics of a scenario that decide who wins under uniformly random play (fields of
    ``traitors.config.Scenario`` with its defaults)."""

    players: int
    traitors: int
    max_days: int = 20
    endgame: bool = False
    endgame_at: int = 4
    recruitment: bool = False
    recruit_mode: str = "standard"
    max_traitors: int | None = None
    missions: bool = False
    shields: int = 1
    success_rate: float = 0.7

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Rules:
        """The rules of a scenario config (``GameCreated.config``: a dumped ``Scenario``)."""

        def part(name: str) -> Mapping[str, object]:
            value = config.get(name)
            return value if isinstance(value, Mapping) else {}

        endgame, recruit, missions = part("endgame"), part("recruitment"), part("missions")
        cap = recruit.get("max_traitors")
        return cls(
            players=int(config["players"]),  # type: ignore[arg-type]
            traitors=int(config["traitors"]),  # type: ignore[arg-type]
            max_days=int(config.get("max_days", 20)),  # type: ignore[arg-type]
            endgame=bool(endgame.get("enabled", False)),
            endgame_at=int(endgame.get("at_players", 4)),  # type: ignore[arg-type]
            recruitment=bool(recruit.get("enabled", False)),
            recruit_mode=str(recruit.get("mode", "standard")),
            max_traitors=None if cap is None else int(cap),  # type: ignore[arg-type]
            missions=bool(missions.get("enabled", False)),
            shields=int(missions.get("shields", 1)),  # type: ignore[arg-type]
            success_rate=float(missions.get("success_rate", 0.7)),  # type: ignore[arg-type]
        )

    def key(self) -> str:
        """A canonical string of the rules (equal rules, equal keys)."""
        return json.dumps(asdict(self), sort_keys=True)


def _blocked(rules: Rules, morning: int) -> float:
    """Probability that a given living Faithful holds a shield tonight (N = ``morning`` players at the
    mission)."""
    if not rules.missions or morning <= 0:
        return 0.0
    return rules.success_rate * min(rules.shields, morning) / morning


def _cap(rules: Rules) -> float:
    return float("inf") if rules.max_traitors is None else float(rules.max_traitors)


def faithful_win_probability(rules: Rules, p_end: float = 0.5, p_accept: float = 0.5) -> float:
    """Exact P(Faithfuls win) when every banishment, murder, recruitment and endgame vote is uniformly
    random (module docstring: the mechanics modelled)."""
    return _solve(rules, p_end, p_accept)


@lru_cache(maxsize=256)
def _solve(rules: Rules, p_end: float, p_accept: float) -> float:
    cap = _cap(rules)

    @cache
    def endgame(f: int, t: int) -> float:
        """At an endgame vote with f Faithfuls and t ≥ 1 Traitors alive (no winner yet)."""
        n = f + t
        return (1.0 - p_end**n) * roundtable_in_endgame(f, t)

    @cache
    def roundtable_in_endgame(f: int, t: int) -> float:
        n = f + t
        return t / n * after_banishment_endgame(f, t - 1) + f / n * after_banishment_endgame(f - 1, t)

    def after_banishment_endgame(f: int, t: int) -> float:
        if t == 0:
            return 1.0
        if t >= f:
            return 0.0
        return endgame(f, t)

    @cache
    def day(d: int, f: int, t: int) -> float:
        """At the start of day d with f Faithfuls and t Traitors alive (no winner yet)."""
        n = f + t
        return t / n * banished(d, f, t - 1, True, n) + f / n * banished(d, f - 1, t, False, n)

    def banished(d: int, f: int, t: int, traitor_out: bool, morning: int) -> float:
        if t == 0:
            return 1.0
        if t >= f:
            return 0.0
        if rules.endgame and f + t <= rules.endgame_at:
            return endgame(f, t)
        return night(d, f, t, traitor_out, morning)

    def night(d: int, f: int, t: int, traitor_out: bool, morning: int) -> float:
        block = _blocked(rules, morning)
        murder = block * after_night(d, f, t) + (1 - block) * murdered(d, f - 1, t)
        if not (rules.recruitment and traitor_out and 0 < t < cap):
            return murder
        offer = f / (f + 1)
        accepted = murdered(d, f - 1, t + 1)  # a Faithful fewer, a Traitor more: the same win check
        if rules.recruit_mode == "ultimatum":
            declined = block * after_night(d, f, t) + (1 - block) * murdered(d, f - 1, t)
        else:
            declined = murder
        return (1 - offer) * murder + offer * (p_accept * accepted + (1 - p_accept) * declined)

    def murdered(d: int, f: int, t: int) -> float:
        if t >= f:
            return 0.0
        return after_night(d, f, t)

    def after_night(d: int, f: int, t: int) -> float:
        if d >= rules.max_days:
            return 0.0  # closed with a Traitor alive
        return day(d + 1, f, t)

    return day(1, rules.players - rules.traitors, rules.traitors)


def simulate(
    rules: Rules, games: int, seed: int = 0, p_end: float = 0.5, p_accept: float = 0.5
) -> list[bool]:
    """Play ``games`` games of the abstract uniformly random process (module docstring) with a seeded
    generator, drawing every choice and shield explicitly; returns whether the Faithfuls won each."""
    rng = random.Random(seed)
    cap = _cap(rules)
    out = []
    for _ in range(games):
        roles = ["t"] * rules.traitors + ["f"] * (rules.players - rules.traitors)
        out.append(_play(rules, roles, rng, cap, p_end, p_accept))
    return out


def _play(
    rules: Rules, alive: list[str], rng: random.Random, cap: float, p_end: float, p_accept: float
) -> bool:
    """One abstract game: ``alive`` holds the living players' roles ('t' / 'f'); True if Faithfuls win."""

    def winner() -> bool | None:
        t = alive.count("t")
        return True if t == 0 else False if t >= len(alive) - t else None

    for _day in range(rules.max_days):
        shielded: set[int] = set()
        if rules.missions and rng.random() < rules.success_rate:  # shields drawn among this morning's alive
            shielded = set(rng.sample(range(len(alive)), min(rules.shields, len(alive))))
        ids = list(range(len(alive)))
        out = rng.randrange(len(alive))
        traitor_out = alive[out] == "t"
        del alive[out]
        del ids[out]
        result = winner()
        if result is not None:
            return result
        if rules.endgame and len(alive) <= rules.endgame_at:
            while True:
                if all(rng.random() < p_end for _ in alive):
                    return False  # closed by the endgame vote with a Traitor alive
                del alive[rng.randrange(len(alive))]
                result = winner()
                if result is not None:
                    return result
        faithful = [i for i, r in enumerate(alive) if r == "f"]
        t = len(alive) - len(faithful)
        murder = True
        if rules.recruitment and traitor_out and 0 < t < cap:
            choice = rng.randrange(len(faithful) + 1)  # the last option is "none"
            if choice < len(faithful):
                if rng.random() < p_accept:
                    alive[faithful[choice]] = "t"
                    murder = False
                elif rules.recruit_mode == "ultimatum":
                    murder = False
                    if ids[faithful[choice]] not in shielded:
                        del alive[faithful[choice]]
        if murder:
            victim = rng.choice(faithful)
            if ids[victim] not in shielded:
                del alive[victim]
        result = winner()
        if result is not None:
            return result
    return False  # max_days: closed with a Traitor alive


def rules_of_games(configs: pd.DataFrame) -> pd.Series:
    """Per game of ``configs`` (game_id and the dotted rule fields of ``metrics.payloads.CONFIG_FIELDS``):
    the exact chance Faithful win probability of its rules, computed once per distinct rule set (NaN when
    a config cannot be read); indexed by game_id."""
    fields = [c for c in configs.columns if c != "game_id"]
    if configs.empty:
        return pd.Series(dtype=float)
    keys = configs[fields].astype(object).where(configs[fields].notna(), None)
    distinct = keys.drop_duplicates()
    values = {}
    for row in distinct.itertuples(index=False):
        config: dict[str, object] = {}
        for path, value in zip(fields, row, strict=True):
            if value is None:
                continue
            *parents, leaf = path.split(".")
            node = config
            for parent in parents:
                node = node.setdefault(parent, {})  # type: ignore[assignment]
            node[leaf] = value
        try:
            values[tuple(row)] = faithful_win_probability(Rules.from_config(config))
        except (KeyError, TypeError, ValueError):
            values[tuple(row)] = float("nan")
    chance = [values[tuple(r)] for r in keys.itertuples(index=False)]
    return pd.Series(chance, index=configs["game_id"].to_numpy(dtype=object), dtype=float)


def chance_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per scenario (and rule set): scenario, players, traitors, games, chance_faithful_win (the exact
    chance level of its rules) and faithful_win (the observed share of its finished games the Faithfuls
    won; NaN without any)."""
    games = frames["games"]
    cols = ["scenario", "players", "traitors", "games", "chance_faithful_win", "faithful_win"]
    if games.empty or "chance_faithful_win" not in games.columns:
        return pd.DataFrame(columns=cols)
    done = games["status"].eq("finished") & games["winner"].notna()
    data = pd.DataFrame(
        {
            "scenario": games["scenario"].astype(object),
            "players": games["n_players"],
            "traitors": games["n_traitors"],
            "chance_faithful_win": games["chance_faithful_win"].round(12),
            "won": games["winner"].eq("faithful").where(done).astype(float),
        }
    )
    keys = ["scenario", "players", "traitors", "chance_faithful_win"]
    table = data.groupby(keys, dropna=False, sort=True).agg(
        games=("won", "size"), faithful_win=("won", "mean")
    )
    return table.reset_index()[cols]
