"""Scenario configuration: frozen, validated pydantic models loaded from YAML.

Every game mechanic is a switch here. A bad file fails at load with one line that names the file and the
field path (see :class:`ScenarioError`).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.resources
import importlib.util
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_NAMES = (
    "Alex",
    "Bea",
    "Cal",
    "Dana",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jade",
    "Kit",
    "Lee",
    "Mo",
    "Nia",
    "Oren",
    "Pia",
    "Quin",
    "Ravi",
    "Sol",
    "Tess",
    "Uma",
    "Vic",
    "Wren",
    "Xan",
    "Yara",
    "Zed",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Discussion(_Frozen):
    """Round-table discussion before the banishment vote."""

    turns: int = Field(1, ge=0, le=10, description="passes over the living players")
    order: Literal["random", "fixed"] = "random"
    max_chars: int = Field(400, ge=20, le=4000, description="longer statements are truncated")


class Banishment(_Frozen):
    """Secret ballot at the round table."""

    reveal_role: bool = True
    second_tie: Literal["random", "no_banishment"] = "random"


class Night(_Frozen):
    """The Traitors' meeting and murder."""

    turns: int = Field(1, ge=0, le=10, description="passes of the Traitors' private discussion")
    murder_rule: Literal["plurality", "unanimity"] = "plurality"
    unanimity_ballots: int = Field(3, ge=1, le=10, description="ballots before plurality decides")


class Recruitment(_Frozen):
    """After a Traitor is banished, the Traitors may recruit a Faithful instead of murdering."""

    enabled: bool = False
    mode: Literal["standard", "ultimatum"] = "standard"
    max_traitors: int | None = Field(None, ge=1, description="no offer when this many Traitors live")


class Missions(_Frozen):
    """A daily mission adding to the prize pot and awarding shields against that night's murder."""

    enabled: bool = False
    shields: int = Field(1, ge=0, le=5)
    pot_per_mission: int = Field(5000, ge=0)
    success_rate: float = Field(0.7, ge=0.0, le=1.0)


class Endgame(_Frozen):
    """Final round tables: after each banishment everyone votes to end or banish again."""

    enabled: bool = False
    at_players: int = Field(4, ge=2)


class Beliefs(_Frozen):
    """Daily belief elicitation: every living player reports P(traitor) for each other living player."""

    enabled: bool = True


class MemoryConfig(_Frozen):
    """Agents' persistent memory: ``carry_over`` lets an identity (persona + model) recall its earlier
    games (reputation across seasons). Off by default, so games stay independent."""

    carry_over: bool = False


#: The purposes of LLM agents' model calls (``ModelCall.purpose``), each with its own temperature.
LLM_PURPOSES = (
    "speak",
    "channel",
    "vote",
    "belief",
    "murder",
    "recruit",
    "answer_offer",
    "endgame",
    "reflection",
)


class Temperatures(_Frozen):
    """Sampling temperature of LLM seats per purpose (a reasoning model has none); one number sets all."""

    speak: float = Field(0.7, ge=0.0, le=2.0)
    channel: float = Field(0.7, ge=0.0, le=2.0)
    vote: float = Field(0.7, ge=0.0, le=2.0)
    belief: float = Field(0.7, ge=0.0, le=2.0)
    murder: float = Field(0.7, ge=0.0, le=2.0)
    recruit: float = Field(0.7, ge=0.0, le=2.0)
    answer_offer: float = Field(0.7, ge=0.0, le=2.0)
    endgame: float = Field(0.7, ge=0.0, le=2.0)
    reflection: float = Field(0.7, ge=0.0, le=2.0)

    @model_validator(mode="before")
    @classmethod
    def _one_for_all(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return dict.fromkeys(LLM_PURPOSES, float(data))
        return data

    def of(self, purpose: str) -> float:
        """The temperature of ``purpose`` (a vote's for a purpose not listed)."""
        return float(getattr(self, purpose, self.vote))


class History(_Frozen):
    """What LLM prompts keep of earlier days, besides the vote history, the roles revealed, the player's own
    words (verbatim) and a Traitor's channel. ``full``: every earlier day's statements verbatim while they
    fit ``max_tokens``, the oldest days condensed first (each speaker's claims as short verbatim quotes);
    ``summary``: earlier days condensed; ``recent``: no earlier speech (only votes, roles, own words).
    ``max_tokens`` bounds the earlier days' public part of a prompt (estimated tokens: words and
    punctuation) as far as condensing can: a day is never dropped, at least whom each speaker's words named
    stays; a Traitor's earlier nights get half of it."""

    mode: Literal["full", "recent", "summary"] = "full"
    max_tokens: int = Field(250, ge=50, le=200_000)

    @model_validator(mode="before")
    @classmethod
    def _mode_only(cls, data: object) -> object:
        return {"mode": data} if isinstance(data, str) else data


class Reasoning(_Frozen):
    """Private reasoning: every LLM decision's answer starts with a ``reasoning`` field (at most
    ``max_chars``), logged host-only with the decision; ``false`` turns it off."""

    enabled: bool = True
    max_chars: int = Field(300, ge=20, le=2000)

    @model_validator(mode="before")
    @classmethod
    def _switch_only(cls, data: object) -> object:
        return {"enabled": data} if isinstance(data, bool) else data


class LLMConfig(_Frozen):
    """How LLM seats play: temperatures, history, private reasoning, persona and strategy hint, daily notes
    (``reflect``: in the first banishment vote's answer, a separate ``call``, or ``off``).
    ``vote_with_beliefs``: the belief report's answer also casts the first banishment vote (nothing
    happens between the two, so one call decides both; the vote is cast from it when the ballot opens)."""

    temperature: Temperatures = Temperatures()
    history: History = History()
    reasoning: Reasoning = Reasoning()
    personas: bool = True
    hints: bool = True
    reflect: Literal["vote", "call", "off"] = "vote"
    vote_with_beliefs: bool = True


#: Longest names and ids, so that every backend's columns hold them (``games.game_id`` is 128 characters,
#: a scenario name becomes part of a game id, player names are 64 in the model and memory tables).
MAX_NAME, MAX_GAME_ID = 64, 128
#: The highest seed: SQLite and PostgreSQL store it as a signed 64-bit integer.
MAX_SEED = 2**63 - 1
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def identifier_problem(value: str, max_len: int) -> str | None:
    """Why ``value`` cannot be a name or an id (empty, surrounding spaces, a control or line-breaking
    character, too long), or ``None``."""
    if not value.strip():
        return "must not be empty"
    if value != value.strip():
        return "must not start or end with spaces"
    if _CONTROL.search(value):
        return "must not contain control characters or line breaks"
    if len(value) > max_len:
        return f"must be at most {max_len} characters (got {len(value)})"
    return None


def check_game_id(game_id: str) -> str:
    """``game_id`` if it is a valid id, else ``ValueError`` naming the problem in one line."""
    problem = identifier_problem(game_id, MAX_GAME_ID)
    if problem:
        raise ValueError(f"game id {game_id!r}: {problem}")
    return game_id


def check_seed(seed: int) -> int:
    """``seed`` if it is in [0, 2**63 - 1] (what every backend stores), else ``ValueError``."""
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed {seed}: must be between 0 and {MAX_SEED}")
    return seed


class Scenario(_Frozen):
    """A complete, validated game setting."""

    name: str = Field(min_length=1)
    description: str = ""
    players: int = Field(ge=3, le=len(DEFAULT_NAMES))
    traitors: int = Field(ge=1)
    max_days: int = Field(20, ge=1, le=100)
    reveal_traitor_count: bool = True
    names: tuple[str, ...] | None = None
    discussion: Discussion = Discussion()
    banishment: Banishment = Banishment()
    night: Night = Night()
    recruitment: Recruitment = Recruitment()
    missions: Missions = Missions()
    endgame: Endgame = Endgame()
    beliefs: Beliefs = Beliefs()
    memory: MemoryConfig = MemoryConfig()
    llm: LLMConfig = LLMConfig()
    models: tuple[str, ...] | None = Field(
        None, description="agent or model spec per seat (seat order), or one for all (e.g. openai:gpt-4o)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.traitors >= self.players - self.traitors:
            raise ValueError(
                f"traitors: {self.traitors} must be fewer than the {self.players - self.traitors} faithfuls"
            )
        problem = identifier_problem(self.name, MAX_NAME)
        if problem:
            raise ValueError(f"name: {problem}")
        if self.names is not None:
            if len(self.names) != self.players:
                raise ValueError(f"names: {len(self.names)} given for {self.players} players")
            if len(set(self.names)) != len(self.names):
                raise ValueError("names: must be unique")
            for i, n in enumerate(self.names):
                problem = identifier_problem(n, MAX_NAME)
                if problem:
                    raise ValueError(f"names.{i}: {problem}")
        if self.models is not None:
            if len(self.models) not in (1, self.players):
                raise ValueError(f"models: {len(self.models)} given: one for every seat, or {self.players}")
            if any(not m.strip() for m in self.models):
                raise ValueError("models: a spec must not be empty")
        if self.endgame.enabled and self.endgame.at_players >= self.players:
            raise ValueError(f"endgame.at_players: must be below players ({self.players})")
        return self

    def player_names(self) -> tuple[str, ...]:
        """Seat names, in seat order."""
        return self.names if self.names is not None else DEFAULT_NAMES[: self.players]

    def seat_agents(self) -> tuple[str, ...] | None:
        """The agent or model spec of each seat from ``models`` (``None`` when the scenario sets none)."""
        if self.models is None:
            return None
        return self.models * self.players if len(self.models) == 1 else self.models

    def with_llm(
        self,
        source: str = "<overrides>",
        *,
        temperature: float | None = None,
        history: str | None = None,
        history_tokens: int | None = None,
        reasoning: bool | None = None,
        reasoning_chars: int | None = None,
        personas: bool | None = None,
        hints: bool | None = None,
        reflect: str | None = None,
    ) -> Scenario:
        """A copy with the ``llm`` section changed where a value is given (``temperature``: every purpose;
        ``history``: the mode; ``history_tokens``: its budget), validated like a file: a bad value raises
        :class:`ScenarioError` with one line naming ``source`` and the field."""
        llm = self.llm.model_dump()
        given = {"personas": personas, "hints": hints, "reflect": reflect, "temperature": temperature}
        llm.update({k: v for k, v in given.items() if v is not None})
        for section, key, value in (
            ("history", "mode", history),
            ("history", "max_tokens", history_tokens),
            ("reasoning", "enabled", reasoning),
            ("reasoning", "max_chars", reasoning_chars),
        ):
            if value is not None:
                llm[section][key] = value
        return parse_scenario({**self.model_dump(), "llm": llm}, source)


class ScenarioError(ValueError):
    """A scenario file that cannot be used; ``str()`` is one line naming the file and the field."""


def _format_validation(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    # a key is user text: escape line breaks so that the message stays on one line
    loc = ".".join(str(p) for p in first["loc"]).replace("\r", "\\r").replace("\n", "\\n")
    msg = first["msg"].removeprefix("Value error, ")
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{source}: {loc + ': ' if loc else ''}{msg}{more}"


def parse_scenario(data: object, source: str = "<scenario>") -> Scenario:
    """Validate a mapping (e.g. parsed YAML) into a :class:`Scenario`."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_validation(source, err)) from None


#: The bundle's sub-folder of each kind of bundled entry (scenarios, experiments, the show's data).
BUNDLE_FOLDERS = {"scenario": "", "experiment": "experiments", "show data": "data"}


@cache
def bundle_root() -> Path:
    """The folder of the bundled scenarios, experiments and data: the installed ``scenarios`` package's
    files, found through :mod:`importlib.resources`. Where ``import scenarios`` finds something else
    first (a user's own ``scenarios`` folder or module, or an editable install made before the package
    existed), the copy beside the ``traitors`` package is used."""
    try:
        spec = importlib.util.find_spec("scenarios")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin and Path(spec.origin).name == "__init__.py":
        try:
            module = importlib.import_module("scenarios")
        except Exception:  # someone else's package of that name, broken: not ours either
            module = None
        if getattr(module, "BUNDLE", None) == "traitors":
            root = importlib.resources.files(module)
            if isinstance(root, Path):
                return root
    return Path(__file__).resolve().parent.parent / "scenarios"


def bundled(kind: str) -> dict[str, Path]:
    """The bundled entries of one kind (a key of :data:`BUNDLE_FOLDERS`) by name, sorted: ``scenario`` and
    ``experiment`` give YAML files (``paper`` → ``.../paper.yaml``), ``show data`` gives folders."""
    folder = bundle_root() / BUNDLE_FOLDERS[kind]
    if not folder.is_dir():
        return {}
    if kind == "show data":
        entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))]
        return {p.name: p for p in sorted(entries)}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def is_path(name_or_path: str | Path) -> bool:
    """Whether an argument is a path rather than a bundled name: a :class:`~pathlib.Path`, or text that
    holds a path separator or ends in ``.yaml``/``.yml``."""
    if isinstance(name_or_path, Path):
        return True
    text = str(name_or_path)
    separators = [os.sep, "/"] + ([os.altsep] if os.altsep else [])
    return any(s in text for s in separators) or text.lower().endswith((".yaml", ".yml"))


def did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """The entry of ``known`` closest to ``name`` (case-insensitive): the only one it begins, else the
    closest by :mod:`difflib`; ``None`` when nothing is close."""
    by_lower = {k.lower(): k for k in known}
    typed = name.strip().lower()
    starts = [k for k in by_lower if typed and k.startswith(typed)]
    if len(starts) == 1:
        return by_lower[starts[0]]
    close = difflib.get_close_matches(typed, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def unknown_name(name: str, kind: str, known: Iterable[str], *, own: str = "") -> str:
    """One line for a name that is not bundled: the closest bundled name, the bundled names, and how to
    give a file of one's own (``own``: an example path, ``./NAME.yaml`` by default)."""
    known = list(known)
    guess = did_you_mean(name, known)
    hint = f" (did you mean {guess!r}?)" if guess else ""
    names = ", ".join(known) if known else f"none found in {bundle_root()}: reinstall traitors"
    own = own or f"./{name}.yaml"
    return f"unknown {kind} {name!r}{hint}; bundled: {names}; for your own, give a path ({own})"


def resolve_bundled(name_or_path: str | Path, kind: str, error: type[Exception], *, own: str = "") -> Path:
    """A path as given (see :func:`is_path`), else the bundled entry of that name; a plain name that is
    neither bundled nor an existing file or folder raises ``error`` with one line (:func:`unknown_name`;
    ``own`` is its example path)."""
    if is_path(name_or_path):
        return Path(name_or_path)
    name = str(name_or_path)
    entries = bundled(kind)
    if name in entries:
        return entries[name]
    if name and Path(name).exists():  # a file of one's own without a .yaml ending: a path after all
        return Path(name)
    raise error(unknown_name(name, kind, entries, own=own))


def not_found(source: str, kind: str, known: Iterable[str]) -> str:
    """One line for a path that names no file (pointing at a bundled entry of the same stem)."""
    known = list(known)
    stem = Path(source).stem
    same = f" (did you mean the bundled {stem!r}?)" if stem in known else ""
    return f"{source}: {kind} file not found{same}; bundled {kind}s: {', '.join(known) or 'none'}"


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or a bundled scenario by name (``paper`` → the bundle's ``paper.yaml``, whatever
    the current folder holds); raises :class:`ScenarioError` for a plain name that is not bundled."""
    return resolve_bundled(name_or_path, "scenario", ScenarioError)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys (the last value would silently win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, source: str, error: type[Exception]) -> object:
    """Parse a YAML file strictly; any problem raises ``error`` with one line naming ``source``."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        raise error(f"{source}: malformed YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{source}: cannot read file: {err}") from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario by bundled name or YAML path; raises :class:`ScenarioError`."""
    path = resolve_scenario_path(name_or_path)
    source = str(name_or_path) if is_path(name_or_path) else str(path)
    if not path.is_file():
        raise ScenarioError(not_found(source, "scenario", bundled("scenario")))
    data = read_yaml(path, source, ScenarioError)
    return parse_scenario(data, source)
