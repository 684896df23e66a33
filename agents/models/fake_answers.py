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


def fake_value(schema: dict[str, Any], salt: int) -> Any:
    """A deterministic value that fits a (wire) JSON schema."""
    if "enum" in schema:
        return schema["enum"][salt % len(schema["enum"])]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: fake_value(v, digest(salt, k)) for k, v in props.items()}
    if kind == "array":
        n = min(schema.get("maxItems", 1), salt % 2)
        return [fake_value(schema.get("items", {}), digest(salt, i)) for i in range(n)]
    if kind in ("number", "integer"):
        lo, hi = schema.get("minimum", 0), schema.get("maximum", 1)
        value = lo + (salt % 1000) / 999 * (hi - lo)
        return round(value, 2) if kind == "number" else int(value)
    if kind == "boolean":
        return bool(salt % 2)
    return f"I have been watching closely and I think we should talk about point {salt % 1_000_003}."


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
