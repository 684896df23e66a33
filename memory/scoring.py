"""Retrieval scoring: an incremental BM25 index over one scope's items, and the score

    score = w_recency · decay^age_days + w_importance · importance + w_relevance · relevance

with relevance in [0, 1] (BM25 divided by the best match, or cosine similarity from an embedder).
Ties break on (newer day, later source event, game id, kind), never on insertion order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

_WORD = re.compile(r"[a-z0-9]+")
_STOP = "a an and are as at be by for from has have i in is it its me my of on or that the this to was were"
STOPWORDS = frozenset(_STOP.split(" "))
PHASE_ORDER = {"setup": 0, "breakfast": 0, "mission": 1, "roundtable": 2, "night": 3, "end": 3}


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words (the BM25 vocabulary)."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def approx_tokens(text: str) -> int:
    """A model-free token estimate (about four characters a token); the default budget counter."""
    return max(1, math.ceil(len(text) / 4))


def when(day: int, phase: str) -> float:
    """A point in game time, in days (phases are quarters of a day)."""
    return day + PHASE_ORDER.get(phase, 0) / 4


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the three signals and the recency decay per game day."""

    recency: float = 1.0
    importance: float = 1.0
    relevance: float = 1.0
    decay: float = 0.8


@dataclass
class Bm25Index:
    """BM25 (k1, b) over documents added in order; postings are kept per term for fast queries."""

    k1: float = 1.2
    b: float = 0.75
    lengths: list[int] = field(default_factory=list)
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    terms_of: dict[str, Counter[str]] = field(default_factory=dict)  # shared cache: text -> term counts
    _arrays: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def add(self, text: str) -> None:
        """Index one more document (its index is the number added before it)."""
        doc = len(self.lengths)
        terms = self.terms_of.get(text)
        if terms is None:
            if len(self.terms_of) > 200_000:
                self.terms_of.clear()
            terms = self.terms_of[text] = Counter(tokenize(text))
        self.lengths.append(sum(terms.values()))
        for term, tf in terms.items():
            self.postings.setdefault(term, []).append((doc, tf))
            self._arrays.pop(term, None)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query`` (zeros when nothing matches)."""
        n = len(self.lengths)
        out = np.zeros(n)
        if n == 0:
            return out
        lengths = np.asarray(self.lengths, dtype=float)
        avg = max(lengths.mean(), 1e-9)
        for term in set(tokenize(query)):
            if term not in self.postings:
                continue
            docs, tfs = self._postings(term)
            idf = math.log(1 + (n - len(docs) + 0.5) / (len(docs) + 0.5))
            norm = self.k1 * (1 - self.b + self.b * lengths[docs] / avg)
            out[docs] += idf * tfs * (self.k1 + 1) / (tfs + norm)
        return out

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        arrays = self._arrays.get(term)
        if arrays is None:
            pairs = np.asarray(self.postings[term], dtype=np.int64)
            arrays = (pairs[:, 0], pairs[:, 1].astype(float))
            self._arrays[term] = arrays
        return arrays


def combine(
    weights: Weights, now: float, times: np.ndarray, importance: np.ndarray, relevance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Total scores and recency values for all items (``times`` from :func:`when`)."""
    recency = weights.decay ** np.maximum(now - times, 0.0)
    total = weights.recency * recency + weights.importance * importance + weights.relevance * relevance
    return total, recency


def normalise(raw: np.ndarray) -> np.ndarray:
    """Scale non-negative scores to [0, 1] by their maximum (all zeros stay zeros)."""
    top = float(raw.max()) if raw.size else 0.0
    return raw / top if top > 0 else np.zeros_like(raw)


def pack(
    order: Sequence[int], tokens: Callable[[int], int], k: int, token_budget: int
) -> list[tuple[int, int]]:
    """Greedy selection in ``order``: at most ``k`` items whose token counts add up to at most
    ``token_budget`` (an item that does not fit is skipped, smaller later ones may still fit)."""
    chosen: list[tuple[int, int]] = []
    used = 0
    for i in order:
        if len(chosen) >= k or used >= token_budget:
            break
        t = tokens(i)
        if used + t <= token_budget:
            chosen.append((i, t))
            used += t
    return chosen
