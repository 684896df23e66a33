"""The TASK section of each prompt (one per decision kind, plus the daily reflection) and the assembly
of a full message list: shared system rules, public record, private part, task last."""

from __future__ import annotations

from agents.llm.prompts import SYSTEM, about_me, public_record
from agents.models.base import Message
from traitors.decisions import DecisionRequest
from traitors.views import PlayerView


def _names(options: tuple[str, ...]) -> str:
    return ", ".join(options)


def task_text(view: PlayerView, request: DecisionRequest) -> str:
    """What to decide now, with the legal options and the answer format."""
    kind, opts = request.kind, request.options
    if kind == "speak" and request.channel == "traitors":
        text = (
            "You are in the Traitors' secret meeting tonight. In one or two sentences, tell your fellow "
            f"Traitors whom to murder and why (at most {request.max_chars} characters). "
            f"Name at most two of: {_names(opts)}."
        )
    elif kind == "speak":
        text = (
            f"It is your turn at the round table (pass {request.turn + 1}). Speak in character, at most "
            f"{request.max_chars} characters: share a suspicion, a defence or a question. "
            f"You may accuse and defend at most two players each, from: {_names(opts)}."
        )
    elif kind == "vote":
        again = " This is a revote among the tied players." if request.ballot > 1 else ""
        text = f"Cast your secret vote to banish one player.{again} Options: {_names(opts)}."
    elif kind == "murder":
        text = f"Choose the Faithful the Traitors murder tonight. Options: {_names(opts)}."
    elif kind == "recruit":
        text = (
            "A Traitor was banished today. You may recruit a Faithful to join the Traitors instead of "
            f"murdering tonight, or answer none. Options: {_names(opts)}."
        )
    elif kind == "answer_offer":
        text = (
            "The Traitors have secretly offered you to join them. If you accept, you become a Traitor "
            "and win with them. Answer accept or decline."
        )
    elif kind == "endgame":
        text = (
            "Few players remain. Vote end to finish the game now (everyone must agree; if a Traitor is "
            "still among you, the Traitors win) or banish_again to hold another banishment."
        )
    else:  # belief
        text = (
            "For each player below, give your probability (0 to 1) that they are a Traitor, consistent "
            f"with what you know. Players: {_names(opts)}."
        )
    if request.error:
        text += f"\nYour previous answer was rejected: {request.error}"
    return "TASK\n" + text + "\nAnswer with the JSON object only."


NOTES_TASK = (
    "\nAlso write private notes for yourself in 'notes' (at most two short sentences): whom you suspect or "
    "trust after today's round table, and why."
)

REFLECTION_TASK = (
    "TASK\nWrite private notes for yourself on today's round table in at most three short sentences: whom "
    "you suspect or trust now, and why. Plain text, no JSON."
)


def build_messages(
    view: PlayerView,
    task: str,
    persona: str,
    hint: str,
    notes: list[str] | None = None,
    memory: list[str] | None = None,
) -> tuple[Message, ...]:
    """System rules, then one user message: public record, private part, task (shared prefix first)."""
    private = about_me(view, persona, hint, notes or [], memory or [])
    return (
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"{public_record(view)}\n\n{private}\n\n{task}"},
    )
