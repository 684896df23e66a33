"""Memory retrieval: ranking by recency, importance and relevance; the budget; determinism; persistence."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from memory import PUBLIC, HashingEmbedder, Memory, Weights, approx_tokens
from tests.memory_support import item, recall


@pytest.fixture
def memory(tmp_path) -> Memory:
    return Memory(f"sqlite:///{tmp_path / 'm.db'}")


def test_recency_ranks_newer_first(memory: Memory) -> None:
    memory.add_items([item("Bea spoke", day=1, seq=1), item("Bea spoke", day=4, seq=2)])
    got = recall(memory)
    assert [r.day for r in got] == [4, 1]
    assert got[0].recency == pytest.approx(0.8) and got[1].recency == pytest.approx(0.8**4)


def test_importance_ranks_higher_first(memory: Memory) -> None:
    memory.add_items([item("a murder", importance=0.9, seq=1), item("a remark", importance=0.1, seq=2)])
    assert [r.content for r in recall(memory)] == ["a murder", "a remark"]


def test_relevance_ranks_matching_text_first(memory: Memory) -> None:
    memory.add_items(
        [
            item("Cal voted to banish Dana", seq=1),
            item("Eli said the weather is nice", seq=2),
            item("Bea accused Gus of lying", seq=3),
        ]
    )
    got = recall(memory, "who accused Gus")
    assert got[0].content == "Bea accused Gus of lying" and got[0].relevance == 1.0
    assert got[-1].relevance == 0.0


def test_weights_trade_off_the_signals(tmp_path) -> None:

    rows = [
        item("old but vital", day=1, importance=1.0, seq=1),
        item("new but dull", day=5, importance=0.0, seq=2),
    ]
    by_recency = Memory(f"sqlite:///{tmp_path / 'a.db'}", weights=Weights(importance=0.0))
    by_importance = Memory(f"sqlite:///{tmp_path / 'b.db'}", weights=Weights(recency=0.0))
    for m in (by_recency, by_importance):
        m.add_items(rows)
    assert recall(by_recency)[0].content == "new but dull"
    assert recall(by_importance)[0].content == "old but vital"


@pytest.mark.parametrize("budget", [0, 1, 7, 30, 100, 1000])
@pytest.mark.parametrize("k", [1, 5, 50])
def test_budget_and_k_are_never_exceeded(memory: Memory, budget: int, k: int) -> None:
    memory.add_items(
        [item(f"Player {i} said " + "word " * (i % 17), day=1 + i % 5, seq=i) for i in range(300)]
    )
    got = recall(memory, "player said word", k=k, token_budget=budget)
    assert len(got) <= k
    assert sum(r.tokens for r in got) <= budget
    assert all(r.tokens == approx_tokens(r.content) for r in got)
    if budget >= 30:
        assert got  # something fits


def test_budget_skips_an_item_too_large_but_keeps_smaller_ones(memory: Memory) -> None:
    memory.add_items([item("x" * 400, importance=1.0, seq=1), item("small", importance=0.0, seq=2)])
    got = recall(memory, token_budget=20)
    assert [r.content for r in got] == ["small"]


def test_ties_are_deterministic_and_independent_of_insertion_order(tmp_path) -> None:
    rows = [item("same words", day=d, seq=s, importance=0.5) for d, s in [(2, 9), (2, 3), (1, 7), (2, 5)]]
    orders = []
    for i, ordered in enumerate((rows, rows[::-1])):
        m = Memory(f"sqlite:///{tmp_path / f'{i}.db'}", weights=Weights(recency=0.0))
        m.add_items(ordered)
        orders.append([(r.day, r.source_seq) for r in recall(m, "same")])
    assert orders[0] == orders[1] == [(2, 9), (2, 5), (2, 3), (1, 7)]


def test_other_identities_and_games_are_not_recalled(memory: Memory) -> None:
    memory.add_items(
        [
            item("mine", seq=1),
            item("someone else's", seq=1, identity="heuristic|Bea", player="Bea"),
            item("a carry-over game", seq=1, game_id="g0", kind="reflection"),
            item("an independent game", seq=1, game_id="g9", kind="reflection"),
        ]
    )
    memory.carry("heuristic|Alex", "g0", "Alex")
    assert [r.content for r in recall(memory)] == ["mine"]
    assert {r.content for r in recall(memory, carry_over=True)} == {"mine", "a carry-over game"}
    memory.flush()  # the same once written, read back by a fresh index
    fresh = Memory(memory.engine)
    assert {r.content for r in recall(fresh, carry_over=True)} == {"mine", "a carry-over game"}


def test_public_items_are_in_every_players_memory_with_their_importance(memory: Memory) -> None:
    public = {"identity": PUBLIC, "player": PUBLIC, "personal": '{"Alex": 0.9}'}
    memory.add_items([item("Bea accused Alex", seq=3, importance=0.3, **public)])
    memory.add_items([item("Gus accused Bea", seq=4, importance=0.3, **{**public, "personal": None})])
    for reader in (memory, Memory(memory.engine)):  # buffered, then written and read back
        got = {r.content: r.importance for r in recall(reader, player="Alex")}
        assert got == {"Bea accused Alex": 0.9, "Gus accused Bea": 0.3}
        bea = reader.retrieve("heuristic|Bea", "", game_id="g1", day=5, player="Bea")
        assert {r.content: r.importance for r in bea} == {"Bea accused Alex": 0.3, "Gus accused Bea": 0.3}
        assert [r["importance"] for r in reader.items("g1", player="Alex")] == [0.9, 0.3]
        assert not recall(reader, game_id="g2")
        memory.flush()


def test_index_picks_up_rows_written_after_the_first_query(memory: Memory) -> None:
    memory.add_items([item("first", seq=1)])
    assert len(recall(memory)) == 1
    memory.add_items([item("second", seq=2)])
    assert [r.content for r in recall(memory)] == ["second", "first"]


def test_duplicate_rows_are_written_once(memory: Memory) -> None:
    memory.add_items([item("once", seq=1)])
    memory.flush()
    memory.add_items([item("once", seq=1), item("once", seq=1)])
    assert len(memory.items("g1")) == 1


def test_embedder_relevance(tmp_path) -> None:
    m = Memory(f"sqlite:///{tmp_path / 'e.db'}", embedder=HashingEmbedder())
    m.add_items([item("Bea accused Gus", seq=1), item("lunch was fine", seq=2)])
    got = recall(m, "Gus accused")
    assert got[0].content == "Bea accused Gus" and got[0].relevance > got[1].relevance


def test_memory_survives_a_restart(db_url: str) -> None:
    """Write, drop every connection, reopen the database: the same recall, nothing written twice."""
    first = Memory(db_url)
    first.add_items([item(f"fact {i} about Bea", day=1 + i % 4, seq=i) for i in range(50)])
    first.add_beliefs(
        [
            {
                "game_id": "g1",
                "seq": 9,
                "day": 1,
                "observer": "Alex",
                "identity": "heuristic|Alex",
                "target": "Bea",
                "p_traitor": 0.4,
                "rationale": "quiet",
            }
        ]
    )
    before = [(r.content, r.score) for r in recall(first, "Bea fact 7", k=5)]
    first.close()  # what a process writes before it stops (buffered rows are lost in a crash)
    first.engine.dispose()
    second = Memory(create_engine(db_url))
    assert [(r.content, r.score) for r in recall(second, "Bea fact 7", k=5)] == before
    assert second.cursor("heuristic|Alex", "g1") == 49
    assert second.beliefs("g1", "Alex")[0]["rationale"] == "quiet"
    second.add_items([item("fact 3 about Bea", day=4, seq=3)])
    assert len(second.items("g1")) == 50
    second.engine.dispose()


@pytest.mark.parametrize(
    "personal", [{}, {"Alex": 0.7, "Bea": 0.8}, {'a"b\\c': 0.6000000000000001, "Zoë": 1.0, "x": 1}]
)
def test_personal_importance_is_the_json_of_the_map(personal: dict) -> None:
    import json

    from memory.bank import personal_json

    assert personal_json(personal) == (
        json.dumps({k: float(v) for k, v in personal.items()}) if personal else None
    )


@pytest.mark.parametrize("n", [1, 3, 4, 17, 64, 85, 150])
def test_every_row_is_written_whatever_the_chunking(memory: Memory, n: int) -> None:
    memory.add_items([item(f"fact {i}", seq=i) for i in range(n)])
    memory.add_items([item(f"fact {i}", seq=i) for i in range(n)])  # the same rows again: written once
    assert [r["content"] for r in memory.items("g1")] == [f"fact {i}" for i in range(n)]
