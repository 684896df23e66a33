"""Scenario configuration: frozen, validated pydantic models loaded from YAML.

Every game mechanic is a switch here. A bad file fails at load with one line that names the file and the
field path (see :class:`ScenarioError`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"

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
    models: tuple[str, ...] | None = Field(
        None, description="agent or model spec per seat (seat order), or one for all (e.g. openai:gpt-4o)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.traitors >= self.players - self.traitors:
            raise ValueError(
                f"traitors: {self.traitors} must be fewer than the {self.players - self.traitors} faithfuls"
            )
        if self.names is not None:
            if len(self.names) != self.players:
                raise ValueError(f"names: {len(self.names)} given for {self.players} players")
            if len(set(self.names)) != len(self.names):
                raise ValueError("names: must be unique")
            if any(not n.strip() or n != n.strip() for n in self.names):
                raise ValueError("names: must be non-empty, without surrounding spaces")
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


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A path as given, or a bundled scenario by name (``paper`` → ``scenarios/paper.yaml``)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return SCENARIO_DIR / f"{name_or_path}.yaml"


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
    source = str(name_or_path) if Path(name_or_path).suffix else str(path)
    if not path.is_file():
        bundled = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
        raise ScenarioError(f"{source}: scenario file not found (bundled scenarios: {bundled})")
    data = read_yaml(path, source, ScenarioError)
    return parse_scenario(data, source)
