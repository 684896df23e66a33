"""Pydantic schemas for structured decisions, their wire JSON Schema, and a lenient parser.

Every schema starts with a private ``reasoning`` field when ``reasoning`` > 0 (its cap in characters);
then name fields, as enums (``Literal``) of the legal names; free text is capped with ``max_length``. The
wire schema is strict-mode friendly (every field required, no extra keys); it keeps ``maxLength`` for
grammar-constrained local models, which hosted backends strip. Lengths are enforced here too, by
truncation, when parsing; beliefs are whole percents. The optional fields (``reasoning``, ``notes``)
never cost a valid choice: a bad or missing one is left empty, and a reply cut short keeps the fields it
completed.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

_DROP = ("title", "default")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)
_KEY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*')
#: Fields whose content no decision depends on: a bad value is dropped, not the answer.
OPTIONAL = ("reasoning", "notes")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _names(options: tuple[str, ...]) -> Any:
    return Literal[options] if options else str  # type: ignore[valid-type]


def _thinking(reasoning: int) -> dict[str, Any]:
    """The private reasoning field (first in every schema), or none when ``reasoning`` is 0."""
    return {"reasoning": (str, Field(..., max_length=reasoning))} if reasoning > 0 else {}


@lru_cache(maxsize=512)
def choice_model(options: tuple[str, ...], reasoning: int = 0) -> type[BaseModel]:
    """``{"choice": one of options}`` for votes, murders, recruitment and fixed answers."""
    return create_model("Choice", __base__=_Strict, **_thinking(reasoning), choice=(_names(options), ...))


@lru_cache(maxsize=512)
def vote_notes_model(options: tuple[str, ...], max_chars: int = 300, reasoning: int = 0) -> type[BaseModel]:
    """A banishment vote with the day's private notes: ``{"choice": ..., "notes": "..."}`` (name first)."""
    return create_model(
        "Vote",
        __base__=_Strict,
        **_thinking(reasoning),
        choice=(_names(options), ...),
        notes=(str, Field(..., max_length=max_chars)),
    )


@lru_cache(maxsize=512)
def speech_model(options: tuple[str, ...], max_chars: int, reasoning: int = 0) -> type[BaseModel]:
    """A statement: who it accuses and defends (legal names, at most two each), then the capped text."""
    names = list[_names(options)]  # type: ignore[misc]
    return create_model(
        "Speech",
        __base__=_Strict,
        **_thinking(reasoning),
        accuses=(names, Field(..., max_length=2)),
        defends=(names, Field(..., max_length=2)),
        text=(str, Field(..., max_length=max_chars)),
    )


def _percents(options: tuple[str, ...]) -> dict[str, Any]:
    """One required whole-percent field (0 to 100) per named player: an integer range, which grammar-
    constrained local models are held to (llama.cpp does not bound floating-point numbers)."""
    return {f"p{i}": (int, Field(..., ge=0, le=100, alias=name)) for i, name in enumerate(options)}


@lru_cache(maxsize=512)
def belief_model(options: tuple[str, ...], reasoning: int = 0) -> type[BaseModel]:
    """P(traitor) in whole percent for each named player (one required field per name)."""
    return create_model("Beliefs", __base__=_Strict, **_thinking(reasoning), **_percents(options))


#: Keys of the belief-and-vote answer besides the players' names.
BELIEF_VOTE_KEYS = ("reasoning", "vote", "notes")


@lru_cache(maxsize=512)
def belief_vote_model(options: tuple[str, ...], notes: int = 0, reasoning: int = 0) -> type[BaseModel]:
    """P(traitor) in whole percent for each named player, then the first banishment vote among them
    (``vote``), then the day's private notes (``notes``, when ``notes`` > 0: their cap)."""
    fields = _percents(options)
    fields["vote"] = (_names(options), ...)
    if notes > 0:
        fields["notes"] = (str, Field(..., max_length=notes))
    return create_model("BeliefsAndVote", __base__=_Strict, **_thinking(reasoning), **fields)


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _clean(v) for k, v in node.items() if k not in _DROP}
        if out.get("type") == "object":
            out["additionalProperties"] = False
            out["required"] = list(out.get("properties", {}))
        if "const" in out:  # a one-option Literal: an enum is understood more widely
            out["enum"] = [out.pop("const")]
        return out
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


@lru_cache(maxsize=1024)
def wire_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema sent to the model (strict-compatible, without titles or defaults). Cached and
    shared: treat it as read-only."""
    return _clean(model.model_json_schema(by_alias=True))


def ordered(schema: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """``schema`` (a wire schema built for the options in any order) with its name enums and per-player
    fields in ``order``: the models are built once per option set, the order the player sees is drawn per
    request. Other fields keep their places."""
    rank = {name: i for i, name in enumerate(order)}

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        enum = out.get("enum")
        if isinstance(enum, list) and enum and all(v in rank for v in enum):
            out["enum"] = sorted(enum, key=rank.__getitem__)
        props = out.get("properties")
        if isinstance(props, dict) and any(k in rank for k in props):
            names = iter(sorted((k for k in props if k in rank), key=rank.__getitem__))
            keys = [next(names) if k in rank else k for k in props]
            out["properties"] = {k: props[k] for k in keys}
            out["required"] = keys
        return out

    return walk(schema)


def extract_json(text: str) -> dict[str, Any] | None:
    """The first JSON object in ``text`` (code fences and surrounding prose tolerated)."""
    text = _FENCE.sub("", text.strip())
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text[match.start() :])
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def salvage(text: str) -> dict[str, Any] | None:
    """The completed fields of a JSON object cut short (a reply stopped at the token limit): every
    ``"key": value`` pair whose value is whole, up to the first one that is not."""
    start = text.find("{")
    if start < 0:
        return None
    decoder, out, pos = json.JSONDecoder(), {}, start + 1
    for match in _KEY.finditer(text, start):
        if match.start() < pos:
            continue  # inside the previous value
        try:
            value, pos = decoder.raw_decode(text, match.end())
            key = json.loads(f'"{match.group(1)}"')
        except ValueError:
            break
        out[key] = value
    return out or None


def _fit_name(value: Any, legal: tuple[str, ...]) -> Any:
    if not isinstance(value, str):
        return value
    folded = {n.casefold(): n for n in legal}
    return folded.get(value.strip().strip(".").casefold(), value)


def parse(model: type[BaseModel], data: dict[str, Any] | None, text: str) -> tuple[BaseModel | None, str]:
    """Validate an answer leniently: names matched case-insensitively, text truncated to its cap, beliefs
    read as whole percents (``"30%"``, 30.4 and a probability 0.3 are all 30), a bad optional field
    (:data:`OPTIONAL`) left empty, the completed fields of a reply cut short kept. Returns ``(value, "")``
    or ``(None, one-line reason)``."""
    raw = data if data is not None else extract_json(text)
    if raw is None:
        raw = salvage(text)
    if raw is None:
        return None, "the answer was not a JSON object" if text.strip() else "the answer was empty"
    fixed: dict[str, Any] = {}
    for key, value in raw.items():
        field = model.model_fields.get(key) or next(
            (f for f in model.model_fields.values() if f.alias and f.alias.casefold() == str(key).casefold()),
            None,
        )
        legal = _legal(field.annotation) if field else ()
        value = [_fit_name(v, legal) for v in value] if isinstance(value, list) else _fit_name(value, legal)
        if field is not None and field.alias:
            key = field.alias
            value = _percent(value)
        if isinstance(value, str):
            cap = next(
                (m.max_length for m in (field.metadata if field else ()) if hasattr(m, "max_length")), None
            )
            value = value[:cap] if cap else value
        fixed[key] = value
    for name in OPTIONAL:
        if name in model.model_fields and not isinstance(fixed.get(name), str):
            value = fixed.get(name)
            fixed[name] = str(value) if isinstance(value, int | float) else ""
    try:
        return model.model_validate(fixed), ""
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        got = (
            f" (got {json.dumps(first['input'])[:60]})"
            if isinstance(first.get("input"), str | int | float)
            else ""
        )
        return None, f"{where}: {first['msg']}{got}"[:300]


def _percent(value: Any) -> Any:
    """A belief as a whole percent: ``"30%"`` and 30.4 → 30, a probability such as 0.3 → 30; anything
    else as given (validation names it)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip().rstrip("%"))
        except ValueError:
            return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and 0 <= value <= 1 and not value.is_integer():
        value *= 100
    return round(value) if value == value and abs(value) != float("inf") else value


def _legal(annotation: Any) -> tuple[str, ...]:
    text = repr(annotation)
    return tuple(re.findall(r"'([^']*)'", text)) if "Literal" in text else ()
