"""``model_calls`` rows are exactly the ``ModelCall`` events (under faults, and after a resume that replays a
lost phase from the cache), and batch costs are never a silent $0."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml
from llm_support import KEY, SPEC, call_rows
from typer.testing import CliRunner

from agents.models.fake_server import FakeOpenAI
from traitors import runner
from traitors.batch import run_batch
from traitors.batch.progress import summary_table
from traitors.batch.spec import ExperimentError, parse_experiment
from traitors.cli import app
from traitors.config import parse_scenario
from traitors.events import Event, ModelCall
from traitors.store import Store

SMALL = {
    "name": "small",
    "players": 6,
    "traitors": 2,
    "max_days": 3,
    "discussion": {"turns": 1, "max_chars": 160},
    "night": {"turns": 1},
    "recruitment": {"enabled": True, "mode": "standard"},
}
HALF = {"rate_limit": 0.1, "server_error": 0.1, "malformed": 0.1, "unknown_name": 0.1}
HALF |= {"empty": 0.05, "refusal": 0.05}  # 0.5 in all
FIELDS = ("game_id", "seq", "player", "purpose", "model", "outcome", "attempts")
TOKENS = ("prompt_tokens", "completion_tokens", "cached_tokens", "request_hash")


def play(store: Store, seed: int = 3, game_id: str = "g") -> None:
    asyncio.run(
        runner.play_game(parse_scenario(SMALL), seed, agents=SPEC, store=store, game_id=game_id, memory=False)
    )


def calls_of(events: Sequence[Event]) -> list[ModelCall]:
    return [e for e in events if isinstance(e, ModelCall)]


def as_row(call: ModelCall) -> tuple:
    return tuple(getattr(call, f) for f in (*FIELDS, *TOKENS))


@pytest.fixture(name="env")
def env_fixture(monkeypatch: pytest.MonkeyPatch):
    def use(server: FakeOpenAI) -> FakeOpenAI:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        return server

    return use


def test_rows_and_events_agree_one_to_one_at_half_faults(env, tmp_path: Path) -> None:
    with FakeOpenAI(faults=HALF, retry_after=0.01) as server:
        env(server)
        store = Store(f"sqlite:///{tmp_path / 'f.db'}")
        play(store)
        assert sum(server.injected.values()) >= 10, server.injected
    events = calls_of(store.load_events("g"))
    rows = call_rows(store, "g")
    assert sorted(tuple(r[f] for f in (*FIELDS, *TOKENS)) for r in rows) == sorted(map(as_row, events))
    outcomes = {e.outcome for e in events}
    assert {"ok", "retried", "error"} <= outcomes, outcomes  # parse failures are "error" in both
    assert all(r["latency_ms"] > 0 and r["cache_hit"] is False and r["cost_usd"] > 0 for r in rows)
    assert all(r["served_model"] == "gpt-4o-mini" and r["system_fingerprint"] == "fp_fake" for r in rows)
    assert all(r["original_cost_usd"] == r["cost_usd"] for r in rows)  # live calls: the cost itself


class LosePhase(Store):
    """A store whose process dies while it stores its ``n``-th batch: that phase's model calls were made
    (and their answers cached), its events are lost."""

    def __init__(self, url: str, n: int) -> None:
        super().__init__(url)
        self.n, self.lost = n, []

    def append(self, batch: Sequence[Event]) -> None:
        self.n -= 1
        if self.n == 0:
            self.lost = list(batch)
            raise KeyboardInterrupt
        super().append(batch)


class CountBatches(Store):
    """A store that counts the batches it stores."""

    batches = 0

    def append(self, batch: Sequence[Event]) -> None:
        self.batches += 1
        super().append(batch)


@pytest.mark.parametrize("same_store", [False, True], ids=["new-process", "same-process"])
def test_a_resumed_game_counts_each_call_once(env, tmp_path: Path, same_store: bool) -> None:
    """The phase lost in the crash is replayed from the cache on resume: its rows are written once, as cache
    hits (cost 0, the original cost kept), and the totals equal the uninterrupted game's."""
    with FakeOpenAI() as server:
        env(server)
        whole = CountBatches(f"sqlite:///{tmp_path / 'whole.db'}")
        play(whole)
        url = f"sqlite:///{tmp_path / 'cut.db'}"
        cut = LosePhase(url, min(4, whole.batches))  # a middle phase, or the last of a short game
        with pytest.raises(KeyboardInterrupt):
            play(cut)
        lost = calls_of(cut.lost)
        assert lost, "the lost phase should have model calls"
        if same_store:  # the call log still holds the lost attempt's measurements: the newest ones win
            cut.n = -1
            store: Store = cut
        else:
            cut.close()
            store = Store(url)
        asyncio.run(runner.resume(store, "g", memory=False))
    events = calls_of(store.load_events("g"))
    rows = call_rows(store, "g")
    assert sorted(r["seq"] for r in rows) == [e.seq for e in events]  # each event once, no extra row
    assert sorted(tuple(r[f] for f in (*FIELDS, *TOKENS)) for r in rows) == sorted(map(as_row, events))
    reference = call_rows(whole, "g")
    assert len(rows) == len(reference)
    for column in ("prompt_tokens", "completion_tokens"):
        assert sum(r[column] for r in rows) == sum(r[column] for r in reference)
    hits = [r for r in rows if r["cache_hit"]]
    assert sorted(r["seq"] for r in hits) == [e.seq for e in lost]
    assert all(r["cost_usd"] == 0 and r["original_cost_usd"] > 0 for r in hits)
    assert all(r["served_model"] == "gpt-4o-mini" for r in hits)  # what originally served the answer


def experiment(base_url: str, spec_tail: str = "", games: int = 2) -> dict:
    spec = f"openai:pinned-2024-08-06?base_url={base_url}{spec_tail}"
    return {
        "name": "priced",
        "games": games,
        "seed": 1,
        "models": [spec],
        "scenarios": ["quick"],
        "memory": False,
    }


def test_max_cost_refuses_a_model_without_a_price_before_writing(tmp_path: Path) -> None:
    base = "http://127.0.0.1:9/v1"
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump(experiment(base)))
    db = tmp_path / "never.db"
    args = ["batch", str(path), "--db", f"sqlite:///{db}", "--backend", "local", "--max-cost", "1"]
    result = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": KEY})
    assert result.exit_code == 2, result.output
    line = " ".join(result.output.split())
    spec = f"openai:pinned-2024-08-06?base_url={base}"
    assert line == (
        f"error: --max-cost: no price known for openai:pinned-2024-08-06; give it in the model spec: "
        f"{spec}&price=IN,CACHED,OUT (USD per million tokens)"
    )
    assert not db.exists() and "Traceback" not in result.output
    path.write_text(yaml.safe_dump(experiment(base, "&price=1,x,2")))
    bad = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": KEY})
    assert bad.exit_code == 2 and "price='1,x,2': give three non-negative numbers" in bad.output
    assert not db.exists()


def test_batch_cost_uses_the_spec_price_and_unknown_is_not_zero(tmp_path: Path) -> None:
    with FakeOpenAI() as server:
        priced = run_batch(
            parse_experiment(experiment(server.base_url, "&price=1,0.5,2")),
            db=f"sqlite:///{tmp_path / 'p.db'}",
            backend="local",
            max_cost=100.0,
            progress=False,
        )
        assert priced.count("finished") == 2 and priced.tokens > 0
        assert 0 < priced.cost < 100 and priced.rows[0]["cost"] == pytest.approx(priced.cost)
        with Store(f"sqlite:///{tmp_path / 'p.db'}") as store:
            rows = call_rows(store)
        assert sum(r["cost_usd"] for r in rows) == pytest.approx(priced.cost)
        unknown = run_batch(
            parse_experiment(experiment(server.base_url)),
            db=f"sqlite:///{tmp_path / 'u.db'}",
            backend="local",
            progress=False,
        )
    assert unknown.count("finished") == 2 and unknown.tokens > 0 and unknown.cost != unknown.cost  # NaN
    with Store(f"sqlite:///{tmp_path / 'u.db'}") as store:
        assert all(r["cost_usd"] is None for r in call_rows(store))
    table = summary_table(unknown.outcomes)
    assert list(table.columns[-1].cells) == ["unknown"]
    never = tmp_path / "never.db"
    with pytest.raises(ExperimentError, match="--max-cost: no price known"):
        exp = parse_experiment(experiment("http://127.0.0.1:9/v1"))
        run_batch(exp, db=f"sqlite:///{never}", max_cost=1.0, progress=False)
    assert not never.exists()
