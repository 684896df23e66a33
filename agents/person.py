"""A person at the table: ``PersonAgent`` asks in the terminal (or reads piped standard input, one answer a
line) and answers with ``decided_by="human"``. Its spec is ``person`` (``"human"`` means imported TV-show
votes, which cannot be played)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from traitors.decisions import FIXED_OPTIONS, Decision, DecisionRequest
from traitors.transcript import lines
from traitors.views import PlayerView

#: The agent spec of a live human seat.
SPEC = "person"

_ASK = {
    "speak": "Your statement (one line)",
    "vote": "Whom do you vote to banish?",
    "murder": "Whom do you murder tonight?",
    "recruit": "Whom do you offer to recruit?",
    "answer_offer": "You are offered to join the Traitors: accept or decline?",
    "endgame": "End the game, or banish again?",
    "belief": "P(traitor) per player as NAME=P ... (blank: 0.5 each)",
}


class Quit(BaseException):
    """The person quit (``quit`` or end of input); not an ``Exception``, so the engine does not retry it and
    the game stops at the last stored phase, resumable."""


def _complete(options: tuple[str, ...], text: str, index: int) -> str | None:
    """The ``index``-th option that begins with ``text`` (readline's completer protocol)."""
    found = [o for o in options if o.lower().startswith(text.lower())]
    return found[index] if index < len(found) else None


def _read_line(options: tuple[str, ...] = ()) -> str | None:
    """One line from standard input (``None`` at its end); at a terminal, Tab completes ``options``."""
    if sys.stdin.isatty():
        try:
            import readline

            readline.set_completer(lambda text, i: _complete(options, text, i))
            readline.parse_and_bind("tab: complete")
        except ImportError:  # no readline (Windows): no completion
            pass
        try:
            return input("> ")
        except EOFError:
            return None
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


class PersonAgent:
    """Shows its player's view (new events since the last question, role, who is alive) and asks."""

    def __init__(
        self, read: Callable[[tuple[str, ...]], str | None] = _read_line, console: Console | None = None
    ) -> None:
        self.read, self.console, self.seen = read, console or Console(stderr=True), 0

    def _show(self, view: PlayerView, request: DecisionRequest) -> None:
        """Print what this player saw since the last question, then the question and its options."""
        if self.seen > len(view.events):  # a fresh game or a resumed one: show all again
            self.seen = 0
        for _, text in lines(view.events[self.seen :]):
            self.console.print(f"  {escape(text)}", soft_wrap=True)
        self.seen = len(view.events)
        mates = f", with {', '.join(view.fellow_traitors)}" if view.fellow_traitors else ""
        self.console.print(
            f"[bold]{escape(view.me)}[/] ({view.role}{escape(mates)}), day {view.day}; alive: "
            f"{escape(', '.join(view.alive))}"
        )
        error = f" [red]{escape(request.error)}[/]" if request.error else ""
        self.console.print(f"[cyan]{_ASK[request.kind]}[/] {escape(', '.join(request.options))}{error}")

    def _choice(self, typed: str, options: tuple[str, ...]) -> str | None:
        """The option ``typed`` names: exactly, case-insensitively, or as the unique prefix."""
        by_lower = {o.lower(): o for o in options}
        if typed.lower() in by_lower:
            return by_lower[typed.lower()]
        starts = [o for o in options if o.lower().startswith(typed.lower())] if typed else []
        return starts[0] if len(starts) == 1 else None

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Ask until the answer is legal; ``Quit`` on ``quit`` or the end of input."""
        self._show(view, request)
        while True:
            line = self.read(request.options or FIXED_OPTIONS.get(request.kind, ()))
            if line is None or line.strip().lower() in ("quit", "exit"):
                raise Quit
            typed = line.strip()
            if request.kind == "speak":
                if typed:
                    return Decision(text=typed[: request.max_chars], decided_by="human")
            elif request.kind == "belief":
                beliefs = self._beliefs(typed, request.options)
                if beliefs is not None:
                    return Decision(beliefs=beliefs, decided_by="human")
            else:
                options = request.options or FIXED_OPTIONS.get(request.kind, ())
                choice = self._choice(typed, options)
                if choice is not None:
                    return Decision(choice=choice, decided_by="human")
            self.console.print(f"[red]not a legal answer:[/] {escape(typed)!s}; try again (or quit)")

    def _beliefs(self, typed: str, options: tuple[str, ...]) -> dict[str, float] | None:
        """``NAME=P`` pairs (names as for votes; unnamed players 0.5), or ``None`` when malformed."""
        beliefs = dict.fromkeys(options, 0.5)
        for part in typed.replace(",", " ").split():
            name, eq, value = part.partition("=")
            who = self._choice(name, options)
            try:
                p = float(value)
            except ValueError:
                return None
            if not eq or who is None or not 0.0 <= p <= 1.0:
                return None
            beliefs[who] = p
        return beliefs
