"""Prices of model calls: a spec's own ``?price=IN,CACHED,OUT`` first, then :data:`PRICES`.

An unknown price is ``None``, never a silent $0: costs computed from it are ``None`` (NULL in
``model_calls``, NaN in frames and batch totals, "unknown" in summaries). The local llama.cpp backend runs
in process and is priced at $0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl

from agents.models.base import ModelConfigError

Price = tuple[float, float, float]

#: USD per million tokens: (input, cached input, output), by model name without its backend prefix. A
#: dated (pinned) name is its own model: ``gpt-4o-2024-05-13`` was priced apart from ``gpt-4o``, so names
#: are never matched by prefix; give a missing one in the spec (``?price=``).
PRICES: dict[str, Price] = {
    "gpt-4o-mini": (0.15, 0.075, 0.60),
    "gpt-4o": (2.50, 1.25, 10.00),
    "gpt-4.1-mini": (0.40, 0.10, 1.60),
    "gpt-4.1": (2.00, 0.50, 8.00),
    "deepseek-chat": (0.27, 0.07, 1.10),
    "deepseek-v3": (0.27, 0.07, 1.10),
}
FREE: Price = (0.0, 0.0, 0.0)


def _split(spec: str) -> tuple[str, str, dict[str, str]]:
    head, _, query = spec.strip().partition("?")
    kind, _, rest = head.partition(":")
    return kind, rest, dict(parse_qsl(query, keep_blank_values=True))


def parse_price(text: str, spec: str = "") -> Price:
    """``"2.5,1.25,10"`` → ``(2.5, 1.25, 10.0)``; anything but three non-negative numbers raises
    :class:`ModelConfigError` naming the option."""
    head = spec.strip().partition("?")[0]
    where = f"{head}: " if head else ""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ModelConfigError(
            f"{where}price={text!r}: give three non-negative numbers, USD per million input, cached-input "
            "and output tokens, e.g. price=2.5,1.25,10"
        )
    return values  # type: ignore[return-value]


def price_of(spec: str, prices: Mapping[str, Price] = PRICES) -> Price | None:
    """The price of ``spec`` (a model spec or a model label such as ``openai:gpt-4o``): its ``?price=``
    option, else $0 for ``local``, else ``prices`` by the model name without backend prefix, else ``None``."""
    kind, _, opts = _split(spec)
    if "price" in opts:
        return parse_price(opts["price"], spec)
    if kind == "local":
        return FREE
    key = spec.strip().partition("?")[0].rsplit(":", 1)[-1]
    found = prices.get(key)
    return tuple(float(v) for v in found) if found is not None else None  # type: ignore[return-value]


def cost_of(price: Price | None, prompt: int, cached: int, completion: int) -> float | None:
    """USD of one call's tokens at ``price`` (``None`` when the price is unknown)."""
    if price is None:
        return None
    inp, cached_inp, out = price
    return ((prompt - cached) * inp + cached * cached_inp + completion * out) / 1e6


def cost_usd(
    model: str, prompt: int, cached: int, completion: int, prices: Mapping[str, Price] = PRICES
) -> float | None:
    """Cost of one call of ``model`` (spec or label); ``None`` when its price is unknown."""
    return cost_of(price_of(model, prices), prompt, cached, completion)


def suggest_price(spec: str) -> str:
    """The one line that says a spec has no known price and how to give it."""
    head = spec.strip().partition("?")[0]
    joined = spec.strip() + ("&" if "?" in spec else "?") + "price=IN,CACHED,OUT"
    return f"no price known for {head}; give it in the model spec: {joined} (USD per million tokens)"


def label_prices(
    specs: Iterable[str], prices: Mapping[str, Price] = PRICES, *, strict: bool = True
) -> dict[str, Price | None]:
    """Model label (the ``model`` of ``ModelCall`` events) → price, for the model specs among ``specs``
    (offline agents such as ``heuristic`` are skipped). Two specs of one label with different prices raise
    :class:`ModelConfigError`, or with ``strict=False`` leave that label's price unknown."""
    from agents.models.factory import is_model_spec, model_label

    out: dict[str, Price | None] = {}
    for spec in specs:
        if not isinstance(spec, str) or not is_model_spec(spec):
            continue
        label, price = model_label(spec), price_of(spec, prices)
        if label in out and out[label] != price:
            if strict:
                raise ModelConfigError(f"{label} is given two prices ({out[label]} and {price}): give one")
            price = None
        out[label] = price
    return out
