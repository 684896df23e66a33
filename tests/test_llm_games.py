"""Whole games through the ``openai`` backend and LangChain's ChatOpenAI against the fake server: faults,
cache re-runs, information isolation of prompts, concurrency, CLI."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter

from llm_support import KEY, SPEC, call_rows, event_lines, openai_env_fixture, prompts_by_call, server_fixture  # noqa: F401  (fixtures)
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from agents.llm import LLMAgent
from agents.models.calllog import CallLog
from agents.models.factory import build_model
from agents.models.fake_server import TRANSPORT_FAULTS, FakeOpenAI
from agents.models.probe import MESSAGES as PROBE
from traitors import runner
from traitors.cli import app
from traitors.config import load_scenario, parse_scenario
from traitors.engine import Game
from traitors.events import (
    BeliefReported,
    DecisionFallback,
    DecisionReasoning,
    ModelCall,
    PlayerInfo,
    RecruitAnswered,
    RolesAssigned,
    Statement,
    VoteCast,
)
from traitors.state import GameState
from traitors.store import Store
from traitors.views import view

FAULTS = {"rate_limit": 0.05, "server_error": 0.04, "timeout": 0.02, "malformed": 0.05}
FAULTS |= {"unknown_name": 0.05, "empty": 0.04, "refusal": 0.03}
SMALL = {
    "name": "small",
    "players": 7,
    "traitors": 2,
    "max_days": 4,
    "discussion": {"turns": 1, "max_chars": 200},
    "night": {"turns": 1},
    "recruitment": {"enabled": True, "mode": "standard"},
}


def play(
    store: Store, spec: str = SPEC, seed: int = 3, game_id: str = "g1", scenario: dict = SMALL
) -> GameState:
    return asyncio.run(
        runner.play_game(  # no probe call: the fault tests script the server's first answers
            parse_scenario(scenario),
            seed,
            agents=spec,
            store=store,
            game_id=game_id,
            memory=False,
            probe=False,
        )
    )


def model_calls(state: GameState) -> list[ModelCall]:
    return [e for e in state.events if isinstance(e, ModelCall)]


def test_openai_game_is_legal_recorded_and_keyless(openai_env: FakeOpenAI, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'g.db'}")
    state = play(store)
    assert state.ended
    calls = model_calls(state)
    assert calls and not any(isinstance(e, DecisionFallback) for e in state.events)
    assert {c.route for c in calls} == {"json_schema"} and all(c.outcome == "ok" for c in calls)
    assert {c.purpose for c in calls} >= {"speak", "belief", "murder"}  # first votes ride in "belief"
    votes = [e for e in state.events if isinstance(e, VoteCast) and e.kind == "banish"]
    assert votes and all(v.valid and v.decided_by == "model" for v in votes)
    rows = call_rows(store, "g1")
    game_requests = [r for r in openai_env.requests if r["messages"] != list(PROBE)]  # not the probe's
    assert len(rows) == len(calls) == len(game_requests)
    assert [r["request_hash"] for r in rows if r["purpose"] == "belief"]
    assert sum(r["cost_usd"] for r in rows) > 0 and all(r["latency_ms"] > 0 for r in rows)
    assert {(r["served_model"], r["system_fingerprint"]) for r in rows} == {("gpt-4o-mini", "fp_fake")}
    assert openai_env.auth_headers[0] == f"Bearer {KEY}"
    with store.engine.connect() as conn:  # the key is nowhere in the database
        for table in inspect(store.engine).get_table_names():
            dump = json.dumps([list(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {table}"))])
            assert KEY not in dump and "SECRET" not in dump, table


def test_faults_are_survived_and_recorded_then_replayed_from_cache(monkeypatch, tmp_path) -> None:
    with FakeOpenAI(faults=FAULTS, script=[*FAULTS], timeout_sleep=0.4, retry_after=0.02) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        first = tmp_path / "first.db"
        store = Store(f"sqlite:///{first}")
        state = play(store, spec=SPEC + "?timeout=0.2", seed=5)
        assert state.ended
        assert set(srv.injected) == set(FAULTS), srv.injected
        calls = model_calls(state)
        transport = sum(srv.injected[f] for f in TRANSPORT_FAULTS)
        assert sum(c.attempts - 1 for c in calls) == transport
        content = sum(n for f, n in srv.injected.items() if f not in TRANSPORT_FAULTS)
        assert sum(c.outcome == "error" for c in calls) == content
        assert Counter(c.outcome for c in calls)["retried"] > 0
        assert all(c.route == "fallback" for c in calls if c.outcome == "fallback")
        served = len(srv.requests)
        store.close()
        # re-run the same game from the cache only: byte-identical log, no request, no cost
        second = tmp_path / "second.db"
        shutil.copy(first, second)
        replay_store = Store(f"sqlite:///{second}")
        with replay_store.engine.begin() as conn:
            for table in ("events", "games", "model_calls"):
                conn.execute(text(f"DELETE FROM {table}"))
        rerun = play(replay_store, spec=SPEC + "?timeout=0.2", seed=5)
        assert len(srv.requests) == served
        assert event_lines(replay_store, "g1") == event_lines(Store(f"sqlite:///{first}"), "g1")
        rows = call_rows(replay_store, "g1")
        assert rows and all(r["cache_hit"] and r["cost_usd"] == 0 for r in rows)
        assert rerun.winner == state.winner


def test_faithful_prompts_hold_no_traitor_only_fact(openai_env: FakeOpenAI, tmp_path) -> None:
    """No role leak in Faithful prompts, and no player's prompt holds another player's private reasoning."""
    store = Store(f"sqlite:///{tmp_path / 'p.db'}")
    seeds = (1, 2, 3)
    for seed in seeds:
        play(store, seed=seed, game_id=f"g{seed}")
    checked, secrets, reasoned = 0, 0, 0
    for seed in seeds:
        events = store.load_events(f"g{seed}")
        roles = next(e for e in events if isinstance(e, RolesAssigned)).roles
        turned = {e.player: e.day for e in events if isinstance(e, RecruitAnswered) and e.accepted}
        talk = [json.dumps(e.text) for e in events if isinstance(e, Statement) and e.channel == "traitors"]
        thoughts = [(e.player, e.text) for e in events if isinstance(e, DecisionReasoning)]
        secrets += len(talk)
        for row, prompt in prompts_by_call(store):
            if row["game_id"] != f"g{seed}":
                continue
            player = row["player"]
            leaked = [who for who, text in thoughts if who != player and text in prompt]
            assert not leaked, (player, leaked)
            reasoned += 1
            if roles[player] == "traitor" or row["day"] >= turned.get(player, 99):
                continue
            checked += 1
            for marker in ("TRAITOR.", "fellow Traitors", "Traitors' channel", "murder vote", "recruit vote"):
                assert marker not in prompt, (player, marker)
            assert not any(said in prompt for said in talk)
        assert len(thoughts) > 20 and all(len(text) > 40 for _, text in thoughts)
    assert secrets > 0 and any(row["purpose"] == "channel" for row, _ in prompts_by_call(store))
    assert checked > 50 and reasoned > checked


def test_langchain_chat_openai_game(server: FakeOpenAI, tmp_path) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(model="gpt-4o-mini", base_url=server.base_url, api_key=KEY, max_retries=0)
    store = Store(f"sqlite:///{tmp_path / 'lc.db'}")
    model = build_model(chat, engine=store.engine)
    scenario = parse_scenario(SMALL)
    players = [PlayerInfo(name=n, agent=model.name) for n in scenario.player_names()]
    agents = {p.name: LLMAgent(model) for p in players}
    sink = runner.Tee(store, CallLog.for_store(store))  # model_calls rows come from the stored events
    state = asyncio.run(Game.create("lc", scenario, 4, players, agents, sink).run())
    calls = model_calls(state)
    assert state.ended and calls and all(c.outcome == "ok" for c in calls)
    assert {c.route for c in calls} == {"json_schema"}
    assert server.requests[0]["response_format"]["type"] == "json_schema"
    assert len(call_rows(store, "lc")) == len(calls)


def test_langchain_spec_through_the_runner(openai_env: FakeOpenAI, tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'lcs.db'}")
    spec = f"langchain:openai:gpt-4o-mini?base_url={openai_env.base_url}"
    state = play(store, spec=spec, scenario={**SMALL, "players": 5, "traitors": 1, "max_days": 2})
    assert state.ended and model_calls(state)
    assert not any(isinstance(e, DecisionFallback) for e in state.events)


def test_phase_calls_run_concurrently(monkeypatch, tmp_path) -> None:
    with FakeOpenAI(latency=0.3) as srv:  # long enough that a loaded machine sends all before one answers
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        scenario = {**SMALL, "max_days": 1, "recruitment": {"enabled": False}}
        play(Store(f"sqlite:///{tmp_path / 'c.db'}"), scenario=scenario)
        assert srv.max_inflight >= 7  # seven belief reports (each with its first vote) at once


def test_scenario_models_per_seat(openai_env: FakeOpenAI, tmp_path) -> None:
    scenario = {**SMALL, "players": 5, "traitors": 1, "max_days": 2}
    scenario["models"] = [SPEC, "heuristic", SPEC, "random", SPEC]
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    state = asyncio.run(runner.play_game(parse_scenario(scenario), 1, store=store, game_id="m", memory=False))
    assert [p.agent for p in state.players] == scenario["models"]
    assert {c.player for c in model_calls(state)} <= {"Alex", "Cal", "Eli"}


def test_cli_without_key_suggests_offline_agents(tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["run", "--scenario", "paper", "--model", SPEC, "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 2
    assert "--agents heuristic" in result.output and "--model local" in result.output
    assert not (tmp_path / "x.db").exists()


def test_cli_runs_a_model_game(openai_env: FakeOpenAI, tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(
        app, ["run", "--scenario", "quick", "--model", SPEC, "--seed", "2", "--db", db, "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "win on day" in result.output and len(call_rows(Store(db))) > 10


class CrashAfter:
    """An observer that interrupts the game after ``n`` stored phases."""

    def __init__(self, n: int) -> None:
        self.n = n

    def append(self, events) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def test_interrupted_llm_game_resumes_to_the_same_log(openai_env: FakeOpenAI, tmp_path) -> None:
    scenario = parse_scenario(SMALL)
    logs = []
    for name, crash in (("whole", None), ("cut", 2)):
        store = Store(f"sqlite:///{tmp_path / name}.db")
        observer = CrashAfter(crash) if crash else None
        try:
            asyncio.run(
                runner.play_game(
                    scenario, 7, agents=SPEC, store=store, game_id="g", observer=observer, memory=False
                )
            )
        except KeyboardInterrupt:
            assert not runner.replay(store.load_events("g")).ended
            asyncio.run(runner.resume(store, "g", memory=False))
        logs.append([{**json.loads(line), "cached_tokens": 0} for line in event_lines(store, "g")])
    assert logs[0] == logs[1]


def test_cli_llm_overrides_reach_the_stored_config_and_the_requests(openai_env: FakeOpenAI, tmp_path) -> None:
    """--temperature, --history and --no-reasoning change the scenario's llm section for the new game: it
    is stored in GameCreated.config (a resume prompts the same), every game request carries the
    temperature, no schema has a reasoning field; the seats' personas are exported. A bad value or an
    override with --resume stops in one line, nothing written."""
    from metrics import load_frames

    db = f"sqlite:///{tmp_path / 'o.db'}"
    flags = ["--temperature", "0.25", "--history", "recent", "--no-reasoning"]
    result = CliRunner().invoke(
        app, ["run", "--scenario", "quick", "--model", SPEC, "--seed", "2", "--db", db, "-q", *flags]
    )
    assert result.exit_code == 0, result.output
    with Store(db) as store:
        (row,) = store.games()
        created = store.load_events(row["game_id"])[0]
    llm = created.config["llm"]
    assert llm["temperature"]["speak"] == llm["temperature"]["vote"] == 0.25
    assert llm["history"]["mode"] == "recent" and llm["reasoning"]["enabled"] is False
    bodies = [b for b in openai_env.requests if b["messages"] != list(PROBE)]
    assert bodies and {b["temperature"] for b in bodies} == {0.25}
    schemas = [json.dumps(b["response_format"]["json_schema"]["schema"]) for b in bodies]
    assert not any('"reasoning"' in s for s in schemas)
    players = load_frames(db)["players"]
    assert players["persona"].str.contains(" Faithful hint: ").all()
    assert [p.persona for p in created.players] == players.sort_values("player")["persona"].tolist()
    for bad, says in (
        (["--temperature", "5"], "command line: llm.temperature"),
        (["--history", "everything"], "command line: llm.history.mode: Input should be 'full'"),
    ):
        other = tmp_path / "bad.db"
        result = CliRunner().invoke(
            app, ["run", "--scenario", "quick", "--model", SPEC, "--db", f"sqlite:///{other}", *bad]
        )
        assert result.exit_code == 2 and says in result.output and not other.exists(), result.output
    result = CliRunner().invoke(app, ["run", "--resume", row["game_id"], "--db", db, "--temperature", "1"])
    assert result.exit_code == 2 and "drop --temperature" in result.output


def options_of(prompt: str) -> tuple[str, ...]:
    """The options a prompt's TASK lists, in its order."""
    line = next(x for x in prompt.splitlines() if x.startswith("You are ") and "Options: " in x)
    return tuple(line.split("Options: ", 1)[1].rstrip(".").replace(" (you)", "").split(", "))


def test_option_order_is_shuffled_per_player_and_stable(openai_env: FakeOpenAI, tmp_path) -> None:
    """The players of one ballot see their options in different orders (drawn from each request's seed),
    and a re-run of the same game shows every player the same order again."""
    orders = []
    for run in ("a", "b"):
        store = Store(f"sqlite:///{tmp_path / run}.db")
        play(store, seed=4)
        found = {}
        for row, prompt in prompts_by_call(store):
            if row["purpose"] == "belief" and row["day"] == 1:
                found[row["player"]] = options_of(prompt)
        orders.append(found)
    first, again = orders
    assert len(first) >= 5 and first == again
    players = {p for opts in first.values() for p in opts}
    assert all(set(opts) == players - {me} for me, opts in first.items())
    firsts = {opts[0] for opts in first.values()}
    assert len(firsts) >= 3  # in seat order, all but one would start with Alex
    assert len({opts for opts in first.values()}) == len(first)


def test_private_reasoning_is_stored_with_each_model_decision(openai_env: FakeOpenAI, tmp_path) -> None:
    """Every decision the model made carries its reasoning field's text as a host-only DecisionReasoning
    (a belief report's is also its rationale, seen by that player alone); no view shows it."""
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    state = play(store)
    thoughts = [e for e in state.events if isinstance(e, DecisionReasoning)]
    made = [e for e in state.events if getattr(e, "decided_by", None) in ("model", "retry")]
    assert thoughts and len(thoughts) == len(made)
    assert all(e.audience == () and e.text.startswith("Weighing the votes") for e in thoughts)
    beliefs = [e for e in state.events if isinstance(e, BeliefReported)]
    assert all(b.rationale and b.audience == (b.observer,) for b in beliefs)
    for name in state.names:
        assert not any(isinstance(e, DecisionReasoning) for e in view(state, name).events)


def test_a_reasoning_model_plays_a_game_without_fallbacks(monkeypatch, tmp_path) -> None:
    """An endpoint that rejects max_tokens and temperature (as OpenAI's reasoning models do) and thinks
    before it answers: the probe passes, every decision is the model's, reasoning tokens are recorded."""
    with FakeOpenAI(rejects=("max_tokens", "temperature"), reasoning_tokens=400) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        spec = "openai:o3-mini?reasoning_effort=medium"
        store = Store(f"sqlite:///{tmp_path / 'o.db'}")
        state = asyncio.run(
            runner.play_game(parse_scenario(SMALL), 3, agents=spec, store=store, game_id="o", memory=False)
        )
        assert all("max_tokens" not in b and "temperature" not in b for b in srv.requests)
    assert state.ended and not any(isinstance(e, DecisionFallback) for e in state.events)
    calls = model_calls(state)
    assert calls and all(c.outcome == "ok" and c.reasoning_tokens == 400 for c in calls)
    assert {c.model for c in calls} == {spec}
    rows = call_rows(store, "o")
    assert len(rows) == len(calls) and all(r["reasoning_tokens"] == 400 for r in rows)
    assert runner.fallback_report(state).fallbacks == 0


def test_a_reply_cut_at_the_token_limit_is_asked_again_with_room(monkeypatch, tmp_path) -> None:
    """A reply cut by the limit (finish_reason: length) is asked again once with twice the limit, and the
    decision is the model's (a retry); a reasoning model that thinks past its first limit recovers so."""
    with FakeOpenAI(script=["length"]) as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        state = play(Store(f"sqlite:///{tmp_path / 'l.db'}"))
        first, second = srv.requests[:2]
    assert second["messages"] == first["messages"] and second["max_tokens"] == 2 * first["max_tokens"]
    assert not any(isinstance(e, DecisionFallback) for e in state.events)
    calls = model_calls(state)
    assert [c.outcome for c in calls[:2]] == ["error", "retried"]
    said = next(e for e in state.events if isinstance(e, Statement))
    assert said.decided_by == "retry"
    with FakeOpenAI(reasoning_tokens=2400) as srv:  # low effort: 1,200 hidden tokens, over its first limit
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        scenario = {**SMALL, "players": 5, "traitors": 1, "max_days": 1}
        state = play(
            Store(f"sqlite:///{tmp_path / 't.db'}"),
            spec="openai:o4-mini?reasoning_effort=low",
            scenario=scenario,
        )
        limits = [b["max_completion_tokens"] for b in srv.requests]
    assert not any(isinstance(e, DecisionFallback) for e in state.events)
    calls = model_calls(state)
    assert {"error", "retried"} <= {c.outcome for c in calls} and len(set(limits)) > 1


def test_llm_seat_personas_are_recorded_and_their_memory_identities_fit(openai_env: FakeOpenAI) -> None:
    """A model seat's persona (line and hints) is in its PlayerInfo; the memory identity built from it
    stays unique and fits memory_items.identity (String(256)); offline seats keep "agent|name"."""
    from memory.handle import MAX_IDENTITY, identity_of

    scenario = load_scenario("paper").model_copy(update={"models": ("openai:o3-mini?reasoning_effort=high",)})
    players = runner.seat_players(scenario)
    assert all(p.persona.startswith(f"{p.name}, ") and " Traitor hint: " in p.persona for p in players)
    identities = [identity_of(p) for p in players]
    assert len(set(identities)) == len(players) and max(map(len, identities)) <= MAX_IDENTITY
    off = runner.seat_players(scenario.with_llm(personas=False))
    assert {p.persona for p in off} == {""} and identity_of(off[0]) == f"{off[0].agent}|{off[0].name}"
    assert {p.persona for p in runner.seat_players(scenario, "heuristic")} == {""}
