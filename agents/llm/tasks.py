"""The TASK section of each prompt (one per decision kind, plus the daily reflection) and the assembly
of a full message list: shared system rules, public record, private part, task last.

Options are listed in the order the agent gives (shuffled per request from its seed, so no seat is always
first) and the player's own name is marked ``(you)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.llm.prompts import SYSTEM, about_me, earlier_record, public_record
from agents.models.base import Message
from traitors.config import History
from traitors.decisions import DecisionRequest
from traitors.rng import derive_rng
from traitors.views import PlayerView


def shuffled(options: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """``options`` in an order drawn from the request's ``seed`` (stable on a re-run, different between
    players and decisions)."""
    order = list(options)
    derive_rng(seed, "option-order").shuffle(order)
    return tuple(order)


def _names(options: tuple[str, ...], me: str) -> str:
    return ", ".join(f"{o} (you)" if o == me else o for o in options)


@dataclass(frozen=True)
class Task:
    """A decision's instructions in two parts: ``shared``, identical for every player asked the same
    thing at the same moment (it follows the public record, so the shared prefix grows), and ``mine``, the
    player's own options and errors (last in the prompt, after the private part)."""

    shared: str
    mine: str

    def __str__(self) -> str:
        return f"{self.shared}\n{self.mine}"


def task_text(
    view: PlayerView,
    request: DecisionRequest,
    options: tuple[str, ...] | None = None,
    reasoning: int = 0,
    extra: str = "",
) -> Task:
    """What to decide now: the instructions (``extra``: lines for more fields to fill; ``reasoning`` > 0
    asks for private reasoning of at most that many characters first) and the answer format, then the
    legal options (``options``: their order, default the request's)."""
    kind = request.kind
    opts = request.options if options is None else options
    if kind == "speak" and request.channel == "traitors":
        text = (
            "You are in the Traitors' secret meeting tonight. In one or two sentences, tell your fellow "
            f"Traitors whom to murder and why (at most {request.max_chars} characters). "
            "Name at most two of the options."
        )
        label = "your words to the Traitors"
    elif kind == "speak":
        text = (
            f"It is your turn at the round table (pass {request.turn + 1}). Speak in character, at most "
            f"{request.max_chars} characters: share a suspicion, a defence or a question. List in accuses "
            "and defends the players your words accuse and defend (at most two each) among the options."
        )
        label = "your statement"
    elif kind == "vote":
        again = " This is a revote among the tied players." if request.ballot > 1 else ""
        text, label = f"Cast your secret vote to banish one player.{again}", "your vote"
    elif kind == "murder":
        text, label = "Choose the Faithful the Traitors murder tonight.", "your murder vote"
    elif kind == "recruit":
        text = (
            "A Traitor was banished today. You may recruit a Faithful to join the Traitors instead of "
            "murdering tonight, or answer none."
        )
        label = "your recruitment vote"
    elif kind == "answer_offer":
        text = (
            "The Traitors have secretly offered you to join them. If you accept, you become a Traitor "
            "and win with them."
        )
        label = "your answer"
    elif kind == "endgame":
        text = (
            "Few players remain. Vote end to finish the game now (everyone must agree; if a Traitor is "
            "still among you, the Traitors win) or banish_again to hold another banishment."
        )
        label = "your endgame vote"
    else:  # belief
        text = (
            "Give each player among the options the chance, in percent (0 to 100), that they are a Traitor."
        )
        label = "the players to rate"
    text += extra
    if reasoning:
        text += f"\nThink first in 'reasoning' (private: no player sees it; at most {reasoning} characters)."
    mine = f"TASK\nYou are {view.me}; {label}. Options: {_names(opts, view.me)}."
    if request.error:
        mine += f"\nYour previous answer was rejected: {request.error}"
    return Task(f"HOW TO ANSWER\n{text}", mine + "\nAnswer with the JSON object only.")


NOTES_TASK = "\nIn 'notes', two short sentences for yourself: whom you suspect or trust, and why."

#: The line that adds the first banishment vote to a belief report's answer.
VOTE_TASK = "\nThen, in 'vote', cast your secret vote to banish one of the options."


REFLECTION_TASK = (
    "TASK\nWrite private notes for yourself on today's round table in at most three short sentences: whom "
    "you suspect or trust now, and why. Plain text, no JSON."
)


def build_messages(
    view: PlayerView,
    task: Task | str,
    persona: str,
    hint: str,
    notes: list[str] | None = None,
    memory: list[str] | None = None,
    history: History | None = None,
) -> tuple[Message, ...]:
    """System rules, then one user message: public record, the task's shared instructions, private part,
    the player's own task (shared prefix first; a plain-text ``task`` goes last whole)."""
    history = history or History()
    earlier = earlier_record(view, history)
    private = about_me(
        view, persona, hint, notes or [], memory or [], earlier.levels, history.max_tokens // 2
    )
    public = public_record(view, earlier=earlier)
    shared, mine = (task.shared, task.mine) if isinstance(task, Task) else ("", task)
    parts = [public, shared, private, mine] if shared else [public, private, mine]
    return (
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "\n\n".join(parts)},
    )
