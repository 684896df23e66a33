"""Deterministic fake answers for the fake OpenAI-compatible server: values that fit a JSON schema, the
"unknown name" fault, the schema asked for in a prompt, and response envelopes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from agents.models.base import SCHEMA_MARK


def digest(*parts: object) -> int:
    """A stable 64-bit hash of ``parts``."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "big")


#: Sentences of fake speeches; ``{a}`` is a player the speech is about, ``{b}`` another one.
SENTENCES = (
    "I keep coming back to {a}: the story about last night does not add up for me.",
    "{a} voted late and never said why, and that worries me more than anything said today.",
    "I trust {b} for now, because their reasoning has stayed the same since day one.",
    "Before we vote I want {a} to explain that answer again, slowly, to all of us.",
    "Watch who changes their story; {a} already did once, and {b} let it pass.",
    "Let us not pile on {b} just because they are quiet; quiet is not guilty.",
    "My vote goes where the evidence points, and today it points at {a}.",
    "I am Faithful, and I will say it as often as it takes.",
    "{a} and {b} have never once accused each other, which is a pattern worth naming.",
)
#: The length of fake speeches (the ``text`` field), in characters, unless a schema's maxLength is lower.
SPEECH_CHARS = 300
#: The length of other fake strings (reasoning, notes, free text), in characters.
OTHER_CHARS = 160


def fake_speech(salt: int, names: list[str], chars: int = SPEECH_CHARS) -> str:
    """A deterministic speech of about ``chars`` characters (cut at a word) about the first of ``names``
    (and one other), its sentences drawn from :data:`SENTENCES` without repeats."""
    names = names or ["someone", "everyone"]
    a = names[0]
    others = [n for n in names if n != a] or [a]
    b = others[salt % len(others)]
    n, step = len(SENTENCES), (2, 4, 5, 7)[salt % 4]
    parts: list[str] = []
    for k in range(n):
        if sum(len(p) + 1 for p in parts) >= chars:
            break
        parts.append(SENTENCES[(salt + k * step) % n].format(a=a, b=b))
    return _cut(" ".join(parts), chars)


def _cut(text: str, chars: int) -> str:
    """``text`` in at most ``chars`` characters, cut at a word."""
    if len(text) <= chars:
        return text
    cut = text[:chars].rsplit(" ", 1)[0].rstrip(",;:")
    return cut if cut else text[:chars]


def _names_in(props: dict[str, Any]) -> list[str]:
    """The player names a speech schema's ``accuses``/``defends`` enums offer."""
    for key in ("accuses", "defends"):
        names = props.get(key, {}).get("items", {}).get("enum")
        if names:
            return list(names)
    return []


def fake_value(
    schema: dict[str, Any], salt: int, speech_chars: int = SPEECH_CHARS, key: str | None = None
) -> Any:
    """A deterministic value that fits a (wire) JSON schema. A ``text`` field next to ``accuses`` (a
    speech) is about ``speech_chars`` characters long and names the accused; other strings are shorter."""
    if "enum" in schema:
        return schema["enum"][salt % len(schema["enum"])]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        value = {k: fake_value(v, digest(salt, k), speech_chars, k) for k, v in props.items()}
        if "text" in props and ("accuses" in props or "defends" in props):
            about = [*value.get("accuses", []), *value.get("defends", [])]
            names = list(dict.fromkeys([*about, *_names_in(props)]))
            cap = props["text"].get("maxLength", speech_chars)
            value["text"] = fake_speech(digest(salt, "text") % 1_000_003, names, min(cap, speech_chars))
        return value
    if kind == "array":
        n = min(schema.get("maxItems", 1), salt % 2)
        return [fake_value(schema.get("items", {}), digest(salt, i)) for i in range(n)]
    if kind in ("number", "integer"):
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 1)
        value = lo + (salt % 1000) / 999 * (hi - lo)
        return round(value, 2) if kind == "number" else int(value)
    if kind == "boolean":
        return bool(salt % 2)
    text = f"I have been watching closely and I think we should talk about point {salt % 1_000_003}."
    if key == "reasoning":
        text = (
            f"Weighing the votes so far against what was said (point {salt % 1_000_003}): the quiet "
            "players and the late voters matter most, and I should stay consistent with what I said before."
        )
    return _cut(text, min(schema.get("maxLength", OTHER_CHARS), OTHER_CHARS))


def common_prefix(a: list[str], b: list[str]) -> int:
    """Length of the common prefix of two token lists (binary search over C-level slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def schema_in_prompt(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JSON schema that a prompt asks for after ``SCHEMA_MARK`` (json_object and text routes)."""
    for message in reversed(messages):
        content = message.get("content") or ""
        if isinstance(content, str) and SCHEMA_MARK in content:
            start = content.index(SCHEMA_MARK) + len(SCHEMA_MARK)
            try:
                return json.JSONDecoder().raw_decode(content[start:])[0]
            except ValueError:
                return None
    return None


def unknown_name(value: Any, schema: dict[str, Any]) -> Any:
    """Replace the first enum value in ``value`` by a name nobody has."""
    if "enum" in schema:
        return "Zorro"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k, sub in props.items():
            if "enum" in json.dumps(sub):
                return {**value, k: unknown_name(value[k], sub)} if k in value else value
        return {"Zorro": 0.5, **value}
    if isinstance(value, list):
        return ["Zorro", *value]
    return value


def envelope(body: dict[str, Any], obj: str, **fields: Any) -> dict[str, Any]:
    """A chat-completion (or chunk) response object around ``fields``."""
    return {"id": "chatcmpl-fake", "object": obj, "created": 0, "model": body.get("model", "fake"), **fields}
