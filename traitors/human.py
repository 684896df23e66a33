"""Human baseline: the real round-table votes of the UK TV show, imported as games in the store.

``import_show(directory, store)`` reads ``candidates.csv`` and ``votes.csv`` from a folder, or from the
bundled show data by name (``uk_show``: ``scenarios/data/uk_show/README.md``), validates both files
completely, then writes one game per series (``uk-s1``, ``uk-s2``, ...) whose seats are played by
``"human"``. Only what the files record is written:

- ``GameCreated`` (scenario ``uk_show``: players, Traitors and names from the data) and ``RolesAssigned``
  (``originalRole``; a recruited player is marked Traitor for the whole series, as in the data);
- per round table (``day`` = the data's ``round``): ``DayStarted``, one ``VoteCast`` (kind ``banish``,
  ballot 1, valid) per vote row in file order, and ``Banished`` when the data determines it (rule below).

Nothing else is invented: no murders, recruitments, shields, revotes, statements, beliefs or ``GameEnded``
(the files do not say how a series ended), so the games stay ``running`` and every metric that needs those
events is NaN with n = 0.

**Banishment rule.** At a round table that is followed by another in the same series, the banished player
is the single most-voted target (ties included) who casts no vote at any later round table; if none or
several of the most-voted stop voting, nobody is recorded as banished. At the last round table of a series
(no later votes to check against) only a unique plurality of the first ballot is recorded as banished.
A banished player's revealed role is the data's role, which is exact for them (a banished player cannot be
recruited afterwards).

The import is idempotent: games are deterministic, so re-importing the same files writes nothing; a stored
game that differs from the files is an error raised before anything is written.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from traitors.config import Scenario, bundle_root, bundled, resolve_bundled
from traitors.events import (
    Banished,
    DayStarted,
    Event,
    GameCreated,
    PlayerInfo,
    Role,
    RolesAssigned,
    VoteCast,
    event_to_json,
)
from traitors.store import Store

#: The bundled copy of the UK show data (``traitors import-show uk_show``).
UK_SHOW_DIR = bundle_root() / "data" / "uk_show"
SCENARIO_NAME = "uk_show"
AGENT = "human"
POPULATION = "human"

CANDIDATE_COLUMNS = ("series", "id", "name", "age", "job", "location", "originalRole")
VOTE_COLUMNS = ("series", "voterId", "targetId", "episode", "round")
_ROLES: dict[str, Role] = {"Faithful": "faithful", "Traitor": "traitor"}


class ShowDataError(ValueError):
    """Show data that cannot be imported; ``str()`` is one line naming the file (and line) at fault."""


@dataclass(frozen=True)
class Candidate:
    """One contestant of a series."""

    series: int
    id: int
    name: str
    role: Role
    persona: str


@dataclass(frozen=True)
class Vote:
    """One first-ballot round-table vote (``line`` is its line in ``votes.csv``)."""

    series: int
    voter: int
    target: int
    episode: int
    round: int
    line: int


def game_id(series: int) -> str:
    """The deterministic id of a series' game (``uk-s1``, ...)."""
    return f"uk-s{series}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _read(path: Path, columns: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row of a CSV file that has at least ``columns``."""
    if not path.is_file():
        raise ShowDataError(f"{path}: file not found")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle, strict=True)
            header = reader.fieldnames
            if not header:
                raise ShowDataError(f"{path}: empty file (expected columns {', '.join(columns)})")
            missing = [c for c in columns if c not in header]
            if missing:
                raise ShowDataError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = []
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    raise ShowDataError(f"{path}:{reader.line_num}: expected {len(header)} fields")
                rows.append((reader.line_num, {k: row[k].strip() for k in columns}))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise ShowDataError(f"{path}: cannot read: {_one_line(str(err))}") from None
    if not rows:
        raise ShowDataError(f"{path}: no data rows")
    return rows


def _int(path: Path, line: int, column: str, value: str, minimum: int = 0) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ShowDataError(f"{path}:{line}: {column} must be an integer, got {value!r}") from None
    if number < minimum:
        raise ShowDataError(f"{path}:{line}: {column} must be >= {minimum}, got {number}")
    return number


def read_candidates(path: Path) -> dict[int, dict[int, Candidate]]:
    """Validated contestants: {series: {id: Candidate}}; raises :class:`ShowDataError`."""
    out: dict[int, dict[int, Candidate]] = {}
    for line, row in _read(path, CANDIDATE_COLUMNS):
        series = _int(path, line, "series", row["series"], 1)
        cid = _int(path, line, "id", row["id"])
        name = " ".join(row["name"].split())
        if not name:
            raise ShowDataError(f"{path}:{line}: empty name")
        if row["originalRole"] not in _ROLES:
            got = _one_line(row["originalRole"])
            raise ShowDataError(f"{path}:{line}: originalRole must be Faithful or Traitor, got {got!r}")
        seats = out.setdefault(series, {})
        if cid in seats:
            raise ShowDataError(f"{path}:{line}: duplicate id {cid} in series {series}")
        if any(c.name == name for c in seats.values()):
            raise ShowDataError(f"{path}:{line}: duplicate name {name!r} in series {series}")
        persona = ", ".join(" ".join(row[k].split()) for k in ("age", "job", "location") if row[k].strip())
        seats[cid] = Candidate(series, cid, name, _ROLES[row["originalRole"]], persona)
    return out


def read_votes(path: Path, candidates: dict[int, dict[int, Candidate]]) -> dict[int, list[Vote]]:
    """Validated votes in file order: {series: [Vote]}; every id must name a contestant of its series, a
    voter votes at most once per round table, never for themself, and a round belongs to one episode."""
    out: dict[int, list[Vote]] = {}
    episode_of: dict[tuple[int, int], int] = {}
    seen: set[tuple[int, int, int]] = set()
    for line, row in _read(path, VOTE_COLUMNS):
        series = _int(path, line, "series", row["series"], 1)
        if series not in candidates:
            raise ShowDataError(f"{path}:{line}: series {series} has no contestants in candidates.csv")
        voter = _int(path, line, "voterId", row["voterId"])
        target = _int(path, line, "targetId", row["targetId"])
        episode = _int(path, line, "episode", row["episode"], 1)
        rnd = _int(path, line, "round", row["round"], 1)
        for column, cid in (("voterId", voter), ("targetId", target)):
            if cid not in candidates[series]:
                raise ShowDataError(f"{path}:{line}: {column} {cid} is not a contestant of series {series}")
        if voter == target:
            raise ShowDataError(f"{path}:{line}: voter {voter} votes for themself")
        if (series, voter, rnd) in seen:
            raise ShowDataError(f"{path}:{line}: voter {voter} votes twice at round {rnd} of series {series}")
        seen.add((series, voter, rnd))
        if episode_of.setdefault((series, rnd), episode) != episode:
            raise ShowDataError(
                f"{path}:{line}: round {rnd} of series {series} is in episode {episode_of[(series, rnd)]}, "
                f"not {episode}"
            )
        out.setdefault(series, []).append(Vote(series, voter, target, episode, rnd, line))
    return out


def banished_at(votes: Sequence[Vote]) -> dict[int, int]:
    """{round: banished candidate id} for one series, by the module's banishment rule."""
    rounds = sorted({v.round for v in votes})
    out: dict[int, int] = {}
    for i, rnd in enumerate(rounds):
        counts = Counter(v.target for v in votes if v.round == rnd)
        top = max(counts.values())
        leaders = sorted(c for c, k in counts.items() if k == top)
        if i + 1 < len(rounds):
            later_voters = {v.voter for v in votes if v.round > rnd}
            gone = [c for c in leaders if c not in later_voters]
            if len(gone) == 1:
                out[rnd] = gone[0]
        elif len(leaders) == 1:
            out[rnd] = leaders[0]
    return out


def series_events(series: int, cast: dict[int, Candidate], votes: Sequence[Vote]) -> list[Event]:
    """The events of one series (a deterministic function of the data)."""
    gid = game_id(series)
    seats = sorted(cast.values(), key=lambda c: c.id)
    names = tuple(c.name for c in seats)
    n_traitors = sum(c.role == "traitor" for c in seats)
    config = {
        "name": SCENARIO_NAME,
        "description": f"UK The Traitors, series {series}: real first-ballot round-table votes (humans)",
        "players": len(seats),
        "traitors": n_traitors,
        "max_days": max((v.round for v in votes), default=1),
        "names": list(names),
        "beliefs": {"enabled": False},
    }
    try:
        Scenario.model_validate(config)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ShowDataError(
            f"series {series}: not a valid game: {where + ': ' if where else ''}"
            f"{_one_line(first['msg'].removeprefix('Value error, '))}"
        ) from None
    events: list[Event] = []

    def add(cls: type, **fields: object) -> None:
        events.append(cls(game_id=gid, seq=len(events), **fields))

    add(
        GameCreated,
        day=0,
        phase="setup",
        audience=(),
        scenario=SCENARIO_NAME,
        config=config,
        seed=0,
        players=tuple(PlayerInfo(name=c.name, agent=AGENT, persona=c.persona) for c in seats),
    )
    add(RolesAssigned, day=0, phase="setup", audience=(), roles={c.name: c.role for c in seats})
    banished = banished_at(votes)
    for rnd in sorted({v.round for v in votes}):
        add(DayStarted, day=rnd, phase="roundtable")
        for v in (v for v in votes if v.round == rnd):
            add(
                VoteCast,
                day=rnd,
                phase="roundtable",
                kind="banish",
                ballot=1,
                voter=cast[v.voter].name,
                target=cast[v.target].name,
                valid=True,
                decided_by="human",
            )
        if rnd in banished:
            out = cast[banished[rnd]]
            add(Banished, day=rnd, phase="roundtable", player=out.name, revealed_role=out.role)
    return events


def resolve_show_dir(name_or_path: str | Path) -> Path:
    """A folder as given (a path, see :func:`traitors.config.is_path`), or bundled show data by name
    (``uk_show``, whatever the current folder holds); raises :class:`ShowDataError` for a plain name that
    is neither bundled nor an existing folder."""
    return resolve_bundled(name_or_path, "show data", ShowDataError, own="./my_show/")


def load_show(directory: str | Path) -> dict[str, list[Event]]:
    """Validate the files in ``directory`` (a folder, or bundled show data by name: ``uk_show``) and build
    every series' events: {game_id: events}, in series order; raises :class:`ShowDataError` (one line) and
    touches no database."""
    root = resolve_show_dir(directory)
    if not root.is_dir():
        known = ", ".join(bundled("show data")) or "none"
        raise ShowDataError(f"{directory}: not a directory; bundled show data: {known}")
    candidates = read_candidates(root / "candidates.csv")
    votes = read_votes(root / "votes.csv", candidates)
    return {game_id(s): series_events(s, candidates[s], votes.get(s, [])) for s in sorted(candidates)}


def import_show(directory: str | Path, store: Store) -> list[str]:
    """Import the show data in ``directory`` (a folder, or a bundled name: ``uk_show``) into ``store``: one
    game per series, each in one transaction.

    Returns the game ids (in series order), whether they were written now or already stored. Everything is
    validated, and every already-stored game compared with the files, before anything is written."""
    games = load_show(directory)
    fresh = []
    for gid, events in games.items():
        stored = [event_to_json(e) for e in store.load_events(gid)]
        if not stored:
            fresh.append(gid)
        elif stored != [event_to_json(e) for e in events]:
            raise ShowDataError(f"game {gid} in {store.url} differs from the files in {directory}")
    for gid in fresh:
        store.append(games[gid])
    return list(games)
