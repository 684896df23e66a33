"""The ``traitors`` command line (typer + rich): the composition root for terminal users.

Every bad input ends with one line on stderr naming the problem and exit code 2; nothing is written first.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import shlex
import sys
from collections.abc import Sequence
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from traitors import runner, transcript
from traitors.batch.command import batch as batch_command
from traitors.config import ScenarioError, check_game_id, check_seed, load_scenario
from traitors.events import (
    Banished,
    BeliefReported,
    DayStarted,
    Event,
    GameCreated,
    GameEnded,
    Murdered,
    RolesAssigned,
    Statement,
    VoteCast,
)
from traitors.human import AGENT as HUMAN
from traitors.state import GameState, replay
from traitors.store import DamagedGame, Store, StoreError, resolve_url
from traitors.views import view

#: The base class of bad flags and values, reached through typer's public ``BadParameter`` (typer 0.29
#: vendors click, older releases use click itself).
UsageError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Play, store and inspect games of The Traitors among language-model and baseline agents.",
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[
    str | None, typer.Option("--db", help="SQLAlchemy URL (default: $TRAITORS_DB or sqlite:///traitors.db)")
]


def shown(text: object) -> str:
    """``text`` ready for the terminal: control characters escaped and line breaks folded
    (:func:`traitors.transcript.printable`), then Rich markup escaped. Every name or text from a game or a
    database goes through it."""
    return escape(transcript.printable(str(text)))


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit with code 2."""
    err.print(f"error: {shown(message)}", soft_wrap=True)
    raise typer.Exit(2)


def open_store(db: str | None, *, create: bool = True) -> Store:
    """Open the store or fail with one line."""
    try:
        return Store(db, create=create)
    except StoreError as exc:
        fail(str(exc))


def style(event: Event, text: str) -> str:
    """Rich markup for one narration line."""
    text = escape(text)
    if isinstance(event, DayStarted):
        return f"\n[bold cyan]{text}[/]"
    if isinstance(event, Statement):
        if event.channel == "traitors":
            return f"  [red]{text}[/]"
        speaker, _, said = text.partition(": ")
        return f"  [bold]{speaker}[/]: {said}"
    if isinstance(event, VoteCast):
        return f"  [dim]{text}[/]"
    if isinstance(event, Banished | Murdered):
        return f"  [yellow]{text}[/]"
    if isinstance(event, GameEnded):
        return f"\n[bold green]{text}[/]"
    if isinstance(event, RolesAssigned):
        return f"[red]{text}[/]"
    if isinstance(event, GameCreated):
        return f"[bold]{text}[/]"
    return f"  {text}"


def next_steps(state: GameState, db: str | None) -> str:
    """Rich markup for the commands to try after a narrated game: its transcript as one player (a Traitor,
    when there is one) saw it, and the replay app."""
    where = f" --db {shlex.quote(db)}" if db else ""
    traitors = [n for n in state.names if state.initial_roles.get(n) == "traitor"]
    player = (traitors or list(state.names) or ["PLAYER"])[0]
    who = f"{player}, a Traitor," if traitors else player
    show = f"traitors show {state.game_id} --as {shlex.quote(player)}{where}"
    replay_cmd = f"traitors replay{where}"
    app_extra = importlib.util.find_spec("streamlit") is not None
    extra = "" if app_extra else escape(" (needs the app extra: pip install 'traitors[app]')")
    width = max(len(show), len(replay_cmd))
    return (
        f"\n[bold]Next:[/] {shown(show.ljust(width))}   [dim]the game as {shown(who)} saw it[/]\n"
        f"      {escape(replay_cmd.ljust(width))}   [dim]step through stored games in the browser{extra}[/]"
    )


class Narrator:
    """An event sink printing each phase's events as they are stored."""

    def __init__(self, console: Console, beliefs: bool = False) -> None:
        self.console = console
        self.beliefs = beliefs

    def append(self, events: Sequence[Event]) -> None:
        """Print the lines of one batch (belief reports only when asked for)."""
        shown = [e for e in events if self.beliefs or not isinstance(e, BeliefReported)]
        for event, text in transcript.lines(shown):
            self.console.print(style(event, text), soft_wrap=True)


@app.command()
def run(
    scenario: Annotated[
        str, typer.Option(help="bundled name (paper, classic, quick) or a YAML path (./my.yaml)")
    ] = "paper",
    seed: Annotated[
        int | None, typer.Option(help="seed of the first game (default: random, printed)")
    ] = None,
    games: Annotated[int, typer.Option(min=1, help="number of games (seeds seed, seed+1, ...)")] = 1,
    agents: Annotated[
        str | None,
        typer.Option(
            help="agent for every seat: heuristic, random, a plugin (traitors agents) or your own "
            "package.module:Class[?key=value] (default: the scenario's models)"
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="model for every seat: openai:MODEL, langchain:PROVIDER:MODEL or local"),
    ] = None,
    db: DbOption = None,
    resume: Annotated[str | None, typer.Option("--resume", help="continue a stored game by id")] = None,
    game_id: Annotated[str | None, typer.Option("--game-id", help="id for the (single) new game")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="print only each game's result")] = False,
    max_fallback_rate: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="a game whose model seats' decisions were fallbacks more often ends degraded",
        ),
    ] = runner.MAX_FALLBACK_RATE,
    temperature: Annotated[
        float | None, typer.Option(help="LLM seats: sampling temperature of every call (scenario's llm)")
    ] = None,
    history: Annotated[
        str | None, typer.Option(help="LLM seats: earlier days in prompts: full, summary or recent")
    ] = None,
    history_tokens: Annotated[
        int | None, typer.Option(help="LLM seats: token budget of the earlier days in a prompt")
    ] = None,
    reasoning: Annotated[
        bool | None, typer.Option("--reasoning/--no-reasoning", help="LLM seats: private reasoning first")
    ] = None,
) -> None:
    """Play games (offline agents or language models), narrate them day by day, and store every event.
    Exit code 1 when a game ended degraded (a fallback made more than --max-fallback-rate of the model
    seats' decisions). --temperature, --history, --history-tokens and --reasoning override the scenario's
    llm section for new games (a resumed game keeps the settings it was created with)."""
    agents = model or agents
    llm = {"temperature": temperature, "history": history, "history_tokens": history_tokens}
    llm = {k: v for k, v in {**llm, "reasoning": reasoning}.items() if v is not None}
    if resume is not None and llm:
        fail(f"--resume keeps the stored game's llm settings; drop --{next(iter(llm)).replace('_', '-')}")
    if resume is None:
        try:
            loaded = load_scenario(scenario)
            if llm:
                loaded = loaded.with_llm("command line", **llm)
            seats = runner.seat_players(loaded, agents)
            if seed is not None:
                check_seed(seed + games - 1)  # every seed of the run: seed, seed + 1, ...
            if game_id is not None:
                check_game_id(game_id)
        except (ScenarioError, ValueError) as exc:
            fail(str(exc))
        if game_id is not None and games > 1:
            fail("--game-id names a single game; drop it or use --games 1")
        try:  # a dead endpoint, a wrong key or a rejected parameter stops here, in seconds
            asyncio.run(runner.check_models(seats))
        except ValueError as exc:
            fail(str(exc))
    store = open_store(db)
    narrator = None if quiet else Narrator(out)
    try:
        if resume is not None:
            matches = store.find_games(resume)
            if len(matches) != 1:
                fail(f"no game {resume!r} in {store.url}" if not matches else f"{resume!r} is ambiguous")
            try:
                states = [
                    asyncio.run(
                        runner.resume(store, matches[0], narrator, max_fallback_rate=max_fallback_rate)
                    )
                ]
            except ValueError as exc:
                fail(str(exc))
        else:
            first = seed if seed is not None else random.SystemRandom().randrange(2**31)
            if game_id is not None and store.game(game_id) is not None:
                fail(f"game {game_id} already exists in {store.url}; use --resume {game_id}")
            states = []
            for s in range(first, first + games):
                gid = game_id or runner.new_game_id(loaded, s)
                if quiet:
                    err.print(f"[dim]game {gid} (seed {s})[/]")
                states.append(
                    asyncio.run(
                        runner.play_game(
                            loaded,
                            s,
                            agents=agents,
                            store=store,
                            game_id=gid,
                            observer=narrator,
                            probe=False,
                            max_fallback_rate=max_fallback_rate,
                        )
                    )
                )
    except StoreError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err.print("interrupted: finished phases are stored; continue with `traitors run --resume GAME_ID`")
        raise typer.Exit(130) from None
    finally:
        store.close()
    degraded = []
    for state in states:
        share = runner.fallback_report(state)
        by = f", fallbacks {share.fallbacks}/{share.decisions} decisions" if share.fallbacks else ""
        out.print(
            f"[bold]{shown(state.game_id)}[/]: {state.winner} win on day {state.day}{escape(by)} "
            f"(stored in {store.url})"
        )
        if runner.is_degraded(state, max_fallback_rate):
            degraded.append((state.game_id, share))
    if not quiet and states:
        out.print(next_steps(states[-1], db), soft_wrap=True)
    if degraded:
        gid, share = degraded[0]
        more = f" (and {len(degraded) - 1} more)" if len(degraded) > 1 else ""
        err.print(
            f"error: game {shown(gid)}{more} is degraded: a fallback made {share.fallbacks} of "
            f"{share.decisions} model decisions ({share.rate:.0%} > --max-fallback-rate "
            f"{max_fallback_rate:.0%}); see `traitors show {shown(gid)}`",
            soft_wrap=True,
        )
        raise typer.Exit(1)


@app.command("agents")
def agents_command() -> None:
    """List the agents a seat can name: the built-ins and the installed plugins (entry-point group
    traitors.agents). Models are openai:MODEL, langchain:PROVIDER:MODEL or local; your own agent is an
    import path package.module:Class (see docs/agents.md)."""
    from agents.registry import list_agents

    table = Table("agent", "from", "version")
    for name, source, version in list_agents():
        table.add_row(shown(name), shown(source), shown(version))
    out.print(table)


@app.command("play")
def play_command(
    scenario: Annotated[
        str, typer.Option(help="bundled name (paper, classic, quick) or a YAML path (./my.yaml)")
    ] = "quick",
    as_: Annotated[str | None, typer.Option("--as", help="the seat you play (a player name)")] = None,
    agents: Annotated[
        str | None,
        typer.Option(help="agent of every other seat (default: the scenario's models, else heuristic)"),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="the game's seed (default: random, printed)")] = None,
    db: DbOption = None,
    resume: Annotated[str | None, typer.Option("--resume", help="continue a game you left")] = None,
    game_id: Annotated[str | None, typer.Option("--game-id", help="id for the new game")] = None,
) -> None:
    """Sit at the table: play one seat in the terminal against any other seats. At each decision you see
    exactly your player's view and type one answer a line (a statement; a name from the options, a unique
    prefix will do; NAME=P pairs for beliefs); piped standard input works the same. quit (or the end of
    input) leaves the game stored, to continue with --resume ID."""
    from agents.person import SPEC, Quit

    if resume is None:
        try:
            loaded = load_scenario(scenario)
            names = loaded.player_names()
            if as_ not in names:
                raise ValueError(f"--as: name the seat you play, one of {', '.join(names)}")
            others = runner.seat_players(loaded, agents)
            seating = [SPEC if p.name == as_ else p.agent for p in others]
            runner.seat_players(loaded, seating)
            first = seed if seed is not None else random.SystemRandom().randrange(2**31)
            check_seed(first)
            if game_id is not None:
                check_game_id(game_id)
        except (ScenarioError, ValueError) as exc:
            fail(str(exc))
    elif as_ is not None or agents is not None or seed is not None or game_id is not None:
        fail("--resume continues the stored game as it was seated; drop --as, --agents, --seed and --game-id")
    store = open_store(db)
    try:
        if resume is not None:
            matches = store.find_games(resume)
            if len(matches) != 1:
                fail(f"no game {resume!r} in {store.url}" if not matches else f"{resume!r} is ambiguous")
            gid = matches[0]
            coro = runner.resume(store, gid)
        else:
            gid = game_id or runner.new_game_id(loaded, first)
            if store.game(gid) is not None:
                fail(f"game {gid} already exists in {store.url}; use --resume {gid}")
            err.print(f"[dim]game {gid} (seed {first}); type quit to leave it[/]")
            coro = runner.play_game(loaded, first, agents=seating, store=store, game_id=gid)
        try:
            state = asyncio.run(coro)
        except Quit:
            err.print(f"you left game {gid}; its finished phases are stored: traitors play --resume {gid}")
            raise typer.Exit(0) from None
        except ValueError as exc:
            fail(str(exc))
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    traitors = ", ".join(n for n, r in state.roles.items() if r == "traitor")
    out.print(
        f"[bold]{shown(state.game_id)}[/]: {state.winner} win on day {state.day} (Traitors: "
        f"{shown(traitors)}; stored in {store.url})"
    )


@app.command("list")
def list_games(
    db: DbOption = None,
    limit: Annotated[int, typer.Option(min=1)] = 20,
    status: Annotated[str | None, typer.Option(help="running or finished")] = None,
) -> None:
    """List stored games, newest first."""
    store = open_store(db, create=False)
    rows = store.games(status=status, limit=limit)
    store.close()
    table = Table("game", "scenario", "seed", "agents", "status", "winner", "days", "created")
    for r in rows:
        table.add_row(
            shown(r["game_id"]),
            shown(r["scenario"]),
            str(r["seed"]),
            shown(r["agents"]),
            r["status"],
            r["winner"] or "",
            str(r["days"]),
            r["created_at"].strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table if rows else "No games yet: play one with `traitors run`.")


@app.command()
def show(
    game: Annotated[str, typer.Argument(help="game id (a unique prefix is enough)")],
    as_player: Annotated[str | None, typer.Option("--as", help="only what this player saw")] = None,
    db: DbOption = None,
    memory: Annotated[
        bool, typer.Option("--memory", help="with --as: that player's memory and beliefs, day by day")
    ] = False,
) -> None:
    """Print a stored game's transcript, omniscient or as one player saw it (or that player's memory)."""
    if memory and as_player is None:
        fail("--memory shows one player's memory: add --as PLAYER")
    store = open_store(db, create=False)
    matches = store.find_games(game)
    if len(matches) != 1:
        store.close()
        fail(
            f"no game {game!r} in {store.url}"
            if not matches
            else f"{game!r} is ambiguous: {len(matches)} games"
        )
    try:
        events = store.load_events(matches[0])
    except StoreError as exc:  # a damaged log: one line, not a traceback
        store.close()
        fail(f"{exc}; `traitors check` lists every damaged game")
    if memory:
        from memory.report import memory_report

        notes = memory_report(store.engine, matches[0], str(as_player))
    store.close()
    state = replay(events)
    if as_player is not None:
        if as_player not in state.names:
            fail(f"no player {as_player!r} in game {state.game_id} (players: {', '.join(state.names)})")
        player_view = view(state, as_player)
        fellows = f" with {', '.join(player_view.fellow_traitors)}" if player_view.fellow_traitors else ""
        header = f"[bold]{shown(state.game_id)}[/] as [bold]{shown(as_player)}[/], a {player_view.role}"
        out.print(header + shown(fellows))
        events = list(player_view.events)
    if memory:
        for line in notes:
            out.print(
                f"\n[bold cyan]{shown(line)}[/]" if line.startswith("—") else shown(line), soft_wrap=True
            )
        return
    Narrator(out, beliefs=True).append(events)
    if not state.ended and all(p.agent != HUMAN for p in state.players):
        out.print(f"\n[dim]unfinished: continue with `traitors run --resume {state.game_id}`[/]")


@app.command("replay")
def replay_app(
    db: DbOption = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to serve the app on")] = 8501,
    browser: Annotated[bool, typer.Option(help="open a browser tab")] = True,
) -> None:
    """Start the Streamlit replay and analysis app on the database (opened read-only). The database URL
    reaches the app through the environment (``TRAITORS_DB``), never the command line, where ``ps`` would
    show a password."""
    import os

    if importlib.util.find_spec("streamlit") is None:
        fail("the replay app needs Streamlit: pip install 'traitors[app]'")
    spec = importlib.util.find_spec("app")
    if spec is None or not spec.submodule_search_locations:
        fail("the app package is not installed next to traitors")
    script = f"{next(iter(spec.submodule_search_locations))}/main.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        script,
        "--server.port",
        str(port),
        "--server.headless",
        str(not browser).lower(),
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]
    os.environ["TRAITORS_DB"] = resolve_url(db)  # inherited by the server: off its command line
    sys.stdout.flush()
    try:  # become Streamlit, so that signals (Ctrl-C, a test's terminate) reach the server itself
        os.execv(sys.executable, command)
    except OSError as exc:
        fail(f"cannot start Streamlit: {exc}")


@app.command("upgrade")
def upgrade_command(db: DbOption = None) -> None:
    """Migrate a database to this version's tables (Alembic; one made by `traitors run` before databases
    were versioned is stamped with the revision its tables match first)."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from traitors.schema import upgrade_database

    try:
        out.print(upgrade_database(resolve_url(db)))
    except StoreError as exc:
        fail(str(exc))
    except (CommandError, SQLAlchemyError) as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()
        fail(f"cannot upgrade the database: {detail[0] if detail else type(exc).__name__}")


@app.command("import-show")
def import_show_command(
    directory: Annotated[
        str,
        typer.Argument(help="bundled show data (uk_show) or a folder with candidates.csv and votes.csv"),
    ] = "uk_show",
    db: DbOption = None,
) -> None:
    """Import the TV show's real round-table votes as human games (one per series); idempotent. The
    bundled UK series 1-4 (uk_show) by default."""
    from traitors.human import ShowDataError, import_show, load_show

    try:
        load_show(directory)  # validate before the database is opened (or created)
    except ShowDataError as exc:
        fail(str(exc))
    store = open_store(db)
    try:
        ids = import_show(directory, store)
    except (ShowDataError, StoreError) as exc:
        fail(str(exc))
    finally:
        store.close()
    out.print(f"imported {len(ids)} human games ({', '.join(ids)}) into {store.url}")


IncludeFallbacks = Annotated[
    bool,
    typer.Option(
        "--include-fallbacks",
        help="count decisions made by a fallback, and degraded games' outcomes (left out by default)",
    ),
]


@app.command("metrics")
def metrics_command(
    db: DbOption = None,
    by: Annotated[str, typer.Option(help="grouping columns, e.g. model,role or population")] = "",
    game: Annotated[list[str] | None, typer.Option("--game", help="only this game (repeatable)")] = None,
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="only this metric (repeatable)")
    ] = None,
    include_fallbacks: IncludeFallbacks = False,
) -> None:
    """Print every metric aggregated over the stored games, with n and bootstrap 95% CIs (the seats' own
    decisions only, and finished games' outcomes, unless --include-fallbacks)."""
    from metrics import METRICS, degraded_note, metrics_table
    from metrics.aggregate import GROUPS

    groups = [g.strip() for g in by.split(",") if g.strip()]
    choices = sorted(set(GROUPS) - {"metric"})
    unknown = sorted(set(groups) - set(choices))
    if unknown:
        fail(f"--by {','.join(unknown)}: not a grouping (choose from {', '.join(choices)})")
    bad = sorted(set(metric or []) - set(METRICS))
    if bad:
        fail(f"--metric {','.join(bad)}: unknown (known: {', '.join(sorted(METRICS))})")
    store = open_store(db, create=False)
    store.close()
    table = metrics_table(resolve_url(db), by=groups, game_ids=game, fallbacks=include_fallbacks)
    left_out = len(table.attrs.get("degraded_left_out", []))
    if metric:
        table = table[table["metric"].isin(metric)]
    if table.empty:
        out.print("No finished games to score: play some with `traitors run`.")
        return
    groups = [c for c in table.columns if c in GROUPS and c != "metric"]  # scenario first: never pooled
    shown = Table(*groups, "metric", "games", "n", "mean", "95% CI", "chance")
    for row in table.itertuples(index=False):
        r = row._asdict()
        ci = "" if r["ci_low"] != r["ci_low"] else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        mean = "nan" if r["mean"] != r["mean"] else f"{r['mean']:.3f}"
        chance = "" if r["chance"] != r["chance"] else f"{r['chance']:.3f}"
        cells = (*(str(r[g]) for g in groups), r["metric"], str(r["games"]), str(r["n"]), mean, ci, chance)
        shown.add_row(*cells)
    out.print(shown)
    if left_out:
        out.print(escape(degraded_note(left_out)))


@app.command("export")
def export_command(
    out_dir: Annotated[str, typer.Option("--out", help="folder to write into (created)")],
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", help="comma-separated: csv,parquet,latex")
    ] = "csv,parquet,latex",
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="matplotlib PNG + PDF figures")
    ] = False,
    by: Annotated[str, typer.Option(help="grouping of the summary table")] = "model,role",
    include_fallbacks: IncludeFallbacks = False,
) -> None:
    """Write the tidy tables, the long metrics, a booktabs summary and figures for papers."""
    from metrics import FORMATS, export_all

    formats = [f.strip() for f in fmt.split(",") if f.strip()]
    bad = sorted(set(formats) - set(FORMATS))
    if bad or not formats:
        fail(f"--format {','.join(bad) or fmt!r}: choose from {', '.join(FORMATS)}")
    needed = (["pyarrow"] if "parquet" in formats else []) + (["matplotlib"] if figures else [])
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:  # checked before anything is written
        fail(f"export needs {', '.join(missing)}: pip install 'traitors[export]'")
    store = open_store(db, create=False)
    store.close()
    try:
        paths = export_all(
            resolve_url(db),
            out_dir,
            formats=formats,
            figures=figures,
            by=[g.strip() for g in by.split(",") if g.strip()],
            fallbacks=include_fallbacks,
        )
    except ImportError as exc:
        missing = getattr(exc, "name", None) or "pyarrow or matplotlib"
        fail(f"export needs {missing} (pip install 'traitors[export]' for Parquet and figures)")
    out.print(f"wrote {len(paths)} files to {out_dir}")


app.command("batch")(batch_command)


@app.command("check")
def check_command(db: DbOption = None) -> None:
    """Check every stored game's log (fsck): contiguous seq, decodable payloads, a log that replays, a games
    row for every log. Lists the damaged games; exit code 1 if there is any."""
    store = open_store(db, create=False)
    try:
        rows = {r["game_id"]: r for r in store.games()}
        logged = store.logged_games()
        damaged: list[tuple[str, str]] = []
        for game_id in sorted(set(rows) | logged):
            if game_id not in rows:
                damaged.append((game_id, "events without a games row"))
                continue
            if game_id not in logged:
                damaged.append((game_id, "a games row without events"))
                continue
            try:
                replay(store.load_events(game_id))
            except DamagedGame as exc:
                damaged.append((game_id, f"seq {exc.seq}: {exc.problem}"))
            except ValueError as exc:  # the events decode but do not make a game
                damaged.append((game_id, f"does not replay: {exc}"))
    except StoreError as exc:
        fail(str(exc))
    finally:
        store.close()
    if not damaged:
        out.print(f"{len(rows)} games checked in {store.url}: no damage found")
        return
    table = Table("game", "problem", title=f"{len(damaged)} damaged of {len(set(rows) | logged)} games")
    for game_id, problem in damaged:
        table.add_row(shown(game_id), shown(problem))
    out.print(table)
    raise typer.Exit(1)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point. A bad flag or value (a usage error) is one line on stderr naming it,
    exit code 2, like every other bad input; Ctrl-C before a command handles it is exit code 130."""
    try:
        code = app(list(argv) if argv is not None else None, standalone_mode=False)
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `traitors`: the help, as before
            exc.show()  # type: ignore[attr-defined]
            sys.exit(0)
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path.replace("-", "traitors", 1) if ctx else "traitors"
        message = exc.format_message()  # type: ignore[attr-defined]
        err.print(f"error: {shown(message)} (see `{shown(command)} --help`)", soft_wrap=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
