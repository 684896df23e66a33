"""Experiment specs: scenarios × populations × games, validated from YAML like scenarios are.

A bad file fails at load with one line naming the file and the field path (:class:`ExperimentError`).

.. code-block:: yaml

    name: paper_replication
    scenarios: [paper]            # bundled names or YAML paths (relative to this file)
    games: 10                     # per condition (scenario × population); seeds seed, seed+1, ... paired
    seed: 0
    models: [openai:gpt-4o-mini]  # shorthand: one population per model, every seat that model
    populations:                  # or explicit populations:
      - {name: mixed, agents: {openai:gpt-4o: 5, openai:gpt-4o-mini: 5}}   # a mix (counts per spec)
      - {name: seats, agents: [heuristic, random, ...]}                  # one spec per seat
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from traitors.config import (
    Scenario,
    ScenarioError,
    _format_validation,
    bundled,
    is_path,
    load_scenario,
    not_found,
    read_yaml,
    resolve_bundled,
)

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _id_part(value: str) -> str:
    """A name that becomes part of game ids."""
    if not _NAME.match(value):
        raise ValueError("must be 1-40 letters, digits, '_', '.' or '-' (it is part of game ids)")
    return value


IdPart = Annotated[str, AfterValidator(_id_part)]


class ExperimentError(ValueError):
    """An experiment file that cannot be used; ``str()`` is one line naming the file and the field."""


def safe_name(spec: str) -> str:
    """A population name made from an agent spec (``openai:gpt-4o?x=1`` → ``openai_gpt-4o``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", spec.split("?", 1)[0]).strip("_")[:40] or "agents"


class Population(BaseModel):
    """Who sits at the table: one spec for all seats, one per seat, or a mix ``{spec: count}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: IdPart
    agents: str | tuple[str, ...] | dict[str, int]

    @field_validator("agents")
    @classmethod
    def _agents(cls, value: str | tuple[str, ...] | dict[str, int]) -> str | tuple[str, ...] | dict[str, int]:
        specs = [value] if isinstance(value, str) else list(value)
        if not specs or any(not isinstance(s, str) or not s.strip() for s in specs):
            raise ValueError("agent specs must be non-empty strings")
        if isinstance(value, dict) and any(n < 1 for n in value.values()):
            raise ValueError("mix counts must be at least 1")
        return value

    def seats(self, n: int) -> list[str]:
        """One agent spec per seat, in the order given (before role balancing)."""
        if isinstance(self.agents, str):
            return [self.agents] * n
        seats = (
            list(self.agents)
            if isinstance(self.agents, tuple)
            else [spec for spec, count in self.agents.items() for _ in range(count)]
        )
        if len(seats) != n:
            raise ValueError(f"{len(seats)} seats given for {n} players")
        return seats


class Experiment(BaseModel):
    """A complete, validated experiment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: IdPart
    description: str = ""
    scenarios: tuple[str, ...] = Field(("paper",), min_length=1)
    games: int = Field(ge=1, le=100_000, description="games per condition")
    seed: int = Field(0, ge=0, le=2**31 - 1_000_000)
    balance_roles: bool = True
    memory: bool = Field(True, description="agents keep persistent SQL memory (traitors.runner's memory)")
    max_fallback_rate: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="a game whose model seats' decisions were fallbacks more often is degraded",
    )
    models: tuple[str, ...] = ()
    populations: tuple[Population, ...] = ()
    base_dir: str = Field("", exclude=True, description="where relative scenario paths start")

    @field_validator("scenarios", "models", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _conditions(self) -> Experiment:
        names = [p.name for p in self.all_populations()]
        if not names:
            raise ValueError("populations: give `models` or `populations` (at least one)")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"populations: duplicate name(s) {', '.join(dupes)}")
        return self

    def all_populations(self) -> tuple[Population, ...]:
        """``models`` (one homogeneous population each) followed by ``populations``."""
        from_models = tuple(Population(name=safe_name(m), agents=m) for m in self.models)
        return from_models + self.populations

    def load_scenarios(self, source: str = "<experiment>") -> list[Scenario]:
        """The validated scenarios, each checked against every population's seats."""
        loaded = []
        for i, ref in enumerate(self.scenarios):
            path = Path(ref)
            if is_path(ref) and not path.is_absolute() and self.base_dir:
                candidate = Path(self.base_dir) / path
                ref = str(candidate) if candidate.exists() else ref
            try:
                scenario = load_scenario(ref)
            except ScenarioError as err:
                raise ExperimentError(f"{source}: scenarios.{i}: {err}") from None
            for j, pop in enumerate(self.populations):
                try:
                    pop.seats(scenario.players)
                except ValueError as err:
                    raise ExperimentError(
                        f"{source}: populations.{j}.agents: {err} (scenario {scenario.name})"
                    ) from None
            loaded.append(scenario)
        if len({s.name for s in loaded}) != len(loaded):
            raise ExperimentError(f"{source}: scenarios: two scenarios share a name")
        return loaded


def parse_experiment(data: object, source: str = "<experiment>", base_dir: str = "") -> Experiment:
    """Validate a mapping (e.g. parsed YAML) into an :class:`Experiment`."""
    if not isinstance(data, dict):
        raise ExperimentError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Experiment.model_validate({**data, "base_dir": base_dir})
    except ValidationError as err:
        raise ExperimentError(_format_validation(source, err)) from None


def resolve_experiment_path(name_or_path: str | Path) -> Path:
    """A path as given, or a bundled experiment by name (``baselines``, ``paper_replication``, whatever the
    current folder holds); raises :class:`ExperimentError` for a plain name that is not bundled."""
    return resolve_bundled(name_or_path, "experiment", ExperimentError)


def load_experiment(name_or_path: str | Path) -> Experiment:
    """Load and validate an experiment by bundled name or YAML path; raises :class:`ExperimentError`
    (one line)."""
    path = resolve_experiment_path(name_or_path)
    source = str(name_or_path) if is_path(name_or_path) else str(path)
    if not path.is_file():
        raise ExperimentError(not_found(source, "experiment", bundled("experiment")))
    data = read_yaml(path, source, ExperimentError)
    return parse_experiment(data, source, str(path.parent))
