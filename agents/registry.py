"""Agents by spec: ``make_agent("heuristic")`` for configs, the CLI and experiments.

A spec is a built-in kind (``random``, ``heuristic``), a model spec (``openai:MODEL``,
``langchain:PROVIDER:MODEL``, ``local``), the name of an installed plugin (entry-point group
``traitors.agents``), or an import path ``package.module:ClassOrFactory``. Plugins and import paths take
keyword options in a query string: ``mypkg.sleuth:Sleuth?threshold=0.7&name=x`` calls
``Sleuth(threshold=0.7, name="x")`` (each value is read as JSON when it parses, else kept as text).
``python:module.Class`` records a seat whose agent was handed over as an instance from Python; it has no
recipe, so such a game cannot be resumed.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from agents.heuristic import HeuristicAgent
from agents.models.factory import check_options, is_model_spec
from agents.person import SPEC as PERSON
from agents.person import PersonAgent
from agents.random_agent import RandomAgent
from traitors.config import did_you_mean
from traitors.decisions import Agent

_FACTORIES: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "heuristic": HeuristicAgent,
    PERSON: PersonAgent,  # a person at the terminal (traitors play --as NAME)
}

#: Names ``make_agent`` knows, sorted.
AGENT_KINDS: tuple[str, ...] = tuple(sorted(_FACTORIES))

#: The entry-point group in which installed packages offer agents (``name = "pkg.module:Factory"``).
ENTRY_POINT_GROUP = "traitors.agents"

#: The spec prefix of a seat played by an ``Agent`` instance passed from Python (not resumable).
INSTANCE_PREFIX = "python:"

_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_IMPORT = re.compile(rf"^({_DOTTED}):({_DOTTED})$")


def is_import_spec(spec: str) -> bool:
    """Whether ``spec`` is an import path ``package.module:Name`` (optionally ``?key=value&...``)."""
    head = spec.strip().partition("?")[0]
    return not is_model_spec(spec) and not head.startswith(INSTANCE_PREFIX) and bool(_IMPORT.match(head))


def is_instance_spec(spec: str) -> bool:
    """Whether ``spec`` records an agent instance passed from Python (``python:module.Class``)."""
    return spec.strip().startswith(INSTANCE_PREFIX)


def plugins() -> dict[str, importlib.metadata.EntryPoint]:
    """The installed agent plugins (entry-point group ``traitors.agents``) by name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def _options(spec: str, query: str) -> dict[str, Any]:
    """The keyword options of a spec's query string (JSON values where they parse, else text)."""
    options: dict[str, Any] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(f"agent {spec!r}: options must read ?key=value&key=value") from None
    for key, raw in pairs:
        if not key.isidentifier():
            raise ValueError(f"agent {spec!r}: option {key!r} is not a keyword name")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


def _import(spec: str, path: str) -> Any:
    """The object at ``module:attr.attr`` (one line, a ``ValueError``, when it is not there)."""
    module_name, _, attrs = path.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        guess = (
            did_you_mean(module_name, ["openai", "langchain", "local"]) if "." not in module_name else None
        )
        hint = f" (a model? did you mean {guess}:…?)" if guess else ""
        raise ValueError(f"agent {spec!r}: cannot import module {module_name!r} ({exc}){hint}") from None
    except Exception as exc:  # a module that fails while importing
        raise ValueError(
            f"agent {spec!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    for attr in attrs.split("."):
        if not hasattr(obj, attr):
            raise ValueError(f"agent {spec!r}: module {module_name!r} has no {attrs!r}")
        obj = getattr(obj, attr)
    return obj


def _call(spec: str, factory: Any, options: dict[str, Any]) -> Agent:
    """``factory(**options)``, checked to be an ``Agent``; one line (``ValueError``) when it is not."""
    if isinstance(factory, Agent) and not isinstance(factory, type):
        if options:
            raise ValueError(f"agent {spec!r}: names an agent instance, which takes no options")
        return factory
    if not callable(factory):
        raise ValueError(f"agent {spec!r}: is neither an agent nor a class or factory of agents")
    try:
        agent = factory(**options)
    except Exception as exc:
        raise ValueError(f"agent {spec!r}: could not be made: {type(exc).__name__}: {exc}") from None
    if not isinstance(agent, Agent):
        raise ValueError(
            f"agent {spec!r}: made a {type(agent).__name__}, which has no async act(view, request)"
        )
    return agent


def make_agent(spec: str, **options: Any) -> Agent:
    """A new agent for ``spec`` (a built-in kind, a model spec whose agent takes ``options`` such as
    ``store``, a plugin name or an import path, see the module docstring); ``ValueError`` with one line
    for anything else. ``options`` go to model agents only."""
    if is_model_spec(spec):
        from agents.llm.seats import make_llm_agent

        return make_llm_agent(spec, **options)
    name, _, query = spec.strip().partition("?")
    if query:
        check_options(spec)  # a key inside the spec is refused, in one line that never repeats it
    factory = _FACTORIES.get(name)
    if factory is not None and not query:
        return factory()
    if is_instance_spec(spec):
        raise ValueError(
            f"agent {name!r} was an Agent instance passed from Python; to resume, pass a zero-argument "
            "factory or an import path (package.module:Class) instead"
        )
    if is_import_spec(spec):
        return _call(name, _import(name, name), _options(name, query))
    found = plugins().get(name)
    if found is not None:
        try:
            loaded = found.load()
        except Exception as exc:
            raise ValueError(f"agent plugin {name!r} ({found.value}) failed to load: {exc}") from None
        return _call(name, loaded, _options(name, query))
    known = [*AGENT_KINDS, *sorted(plugins())]
    if ":" in name:  # a mistyped model kind (opneai:gpt-4o) or a malformed import path
        guess = did_you_mean(name.partition(":")[0], ["openai", "langchain", "local"])
        hint = f" (did you mean {guess}:{name.partition(':')[2]}?)" if guess else ""
    else:
        guess = did_you_mean(name, [*known, "local"])
        hint = f" (did you mean {guess!r}?)" if guess else ""
    raise ValueError(
        f"unknown agent {name!r}{hint}: known agents are {', '.join(known)}; models are "
        "openai:MODEL, langchain:PROVIDER:MODEL or local; your own agent is package.module:Class"
    )


def check_agent(spec: str) -> None:
    """Raise ``ValueError`` (one line) if ``spec`` cannot make an agent; a model spec is only parsed."""
    make_agent(spec)


def agent_version(spec: str) -> str:
    """The version of the installed distribution that provides a plugin or import-path agent (``""`` for
    built-ins, models, or code that no installed distribution provides)."""
    name = spec.strip().partition("?")[0]
    if is_model_spec(spec) or name in _FACTORIES:
        return ""
    module = ""
    if is_import_spec(spec):
        module = name.partition(":")[0]
    elif is_instance_spec(spec):
        module = name[len(INSTANCE_PREFIX) :].rpartition(".")[0]
    elif name in plugins():
        ep = plugins()[name]
        if ep.dist is not None:
            return ep.dist.version
        module = ep.value.partition(":")[0]
    top = module.partition(".")[0]
    if not top:
        return ""
    dists = importlib.metadata.packages_distributions().get(top, [])
    for dist in dists:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def spec_of(agent: object) -> str:
    """The spec to record for an agent object or factory given from Python: its import path when the
    path leads back to the same object (resumable), else ``python:module.Class`` (not resumable)."""
    if isinstance(agent, type) or (callable(agent) and not isinstance(agent, Agent)):
        module = getattr(agent, "__module__", None)
        qualname = getattr(agent, "__qualname__", None)
        if module and qualname and "<" not in qualname and module != "__main__":
            path = f"{module}:{qualname}"
            try:
                if _import(path, path) is agent:
                    return path
            except ValueError:
                pass
        return f"{INSTANCE_PREFIX}{module}.{qualname}"
    cls = type(agent)
    return f"{INSTANCE_PREFIX}{cls.__module__}.{cls.__qualname__}"


def list_agents() -> list[tuple[str, str, str]]:
    """Every named agent as ``(name, source, version)``: the built-ins, then the installed plugins."""
    rows = [(k, "built-in", "") for k in AGENT_KINDS]
    for name, ep in sorted(plugins().items()):
        rows.append((name, ep.value, ep.dist.version if ep.dist is not None else ""))
    return rows
