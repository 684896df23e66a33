"""``LLMAgent``: decisions from a language model, with structured output, corrections and a fallback.

Route per decision: the backend's best structured route (json_schema → tools → json_object → text), a
lenient parse, up to two correction calls that quote the error, then the heuristic agent's choice. Every
call is returned in ``Decision.calls`` (the engine logs them as ``ModelCall`` events), and the decision
says who made it: ``model`` (first answer), ``retry`` (after a correction) or ``fallback`` (the heuristic,
with the reason; the engine logs a ``DecisionFallback``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from agents.heuristic import HeuristicAgent
from agents.llm import schemas
from agents.llm.notes import NoteBook
from agents.llm.personas import Persona, persona_for
from agents.llm.tasks import NOTES_TASK, REFLECTION_TASK, build_messages, task_text
from agents.models.base import ChatModel, Completion, Message, ModelError, ModelRequest
from traitors.decisions import Decision, DecisionRequest
from traitors.events import ModelCallRecord
from traitors.views import PlayerView

Memory = Callable[[PlayerView, str], list[str]]
_Records = list[ModelCallRecord]


class LLMAgent:
    """One seat played by ``model``. ``persona`` defaults to one derived from the seat name; ``memory``
    (optional) returns remembered lines for a view and a query. ``reflect`` writes daily private notes that
    later prompts show: ``"vote"`` asks for them inside the first banishment vote's answer (no extra call),
    ``"call"`` in a separate free-text call made alongside that vote, ``"off"`` not at all."""

    def __init__(
        self,
        model: ChatModel,
        *,
        persona: Persona | None = None,
        memory: Memory | None = None,
        reflect: Literal["vote", "call", "off"] = "vote",
        temperature: float = 0.7,
        corrections: int = 2,
        fallback: Any = None,
        max_notes: int = 2,
        notes: NoteBook | None = None,
    ) -> None:
        self.model, self.persona, self.memory = model, persona, memory
        self.reflective, self.temperature, self.corrections = reflect, temperature, corrections
        self.fallback = fallback or HeuristicAgent()
        self.max_notes = max_notes
        self.name = model.name
        self._handle: Any = None
        self.notes = notes or NoteBook()

    def _persona(self, view: PlayerView) -> Persona:
        return self.persona if self.persona and self.persona.name == view.me else persona_for(view.me)

    def _messages(self, view: PlayerView, task: str) -> tuple[Message, ...]:
        persona = self._persona(view)
        notes = self.notes.get(view.game_id, view.me)
        earlier = sorted((d, t) for d, t in notes.items() if d < view.day)
        lines = [f"Day {d}: {t}" for d, t in earlier[-self.max_notes :]]
        memory = self.memory(view, task) if self.memory else self._recall(view, task)
        return build_messages(view, task, persona.describe(), persona.hint(view.role), lines, memory)

    def bind_memory(self, handle: Any) -> None:
        """Memory hook (see ``memory``): keep the handle; prompts then include recalled reflections,
        plans and beliefs (not raw observations: the public record already holds those)."""
        self._handle = handle

    async def reflect(self, view: PlayerView) -> str:
        """Memory hook: the note this agent wrote on the day that just closed (no extra model call)."""
        return self.notes.get(view.game_id, view.me).get(view.day - 1, "")

    def _recall(self, view: PlayerView, task: str) -> list[str]:
        if self._handle is None:
            return []
        items = self._handle.retrieve(view, task.splitlines()[1][:200], k=8, token_budget=400)
        return [
            f"[day {i.day} {i.kind}] {' '.join(i.content.split())}" for i in items if i.kind != "observation"
        ]

    def _request(
        self, view: PlayerView, purpose: str, messages: tuple[Message, ...], **kw: Any
    ) -> ModelRequest:
        night = purpose in ("murder", "recruit", "answer_offer", "channel") or view.phase == "night"
        tags = {
            "game_id": view.game_id,
            "player": view.me,
            "day": view.day,
            "phase": "night" if night else "roundtable",
        }
        return ModelRequest(
            messages=messages, temperature=self.temperature, tags={**tags, "purpose": purpose}, **kw
        )

    def _record(self, purpose: str, c: Completion, outcome: str) -> ModelCallRecord:
        return ModelCallRecord(
            purpose=purpose,
            model=self.model.name,
            route=c.route,
            prompt_tokens=c.prompt_tokens,
            completion_tokens=c.completion_tokens,
            cached_tokens=c.cached_tokens,
            attempts=c.attempts,
            outcome=outcome,
            request_hash=c.request_hash,
        )

    def _error(self, purpose: str, request: ModelRequest, err: ModelError) -> ModelCallRecord:
        key = request.key(self.model.name)
        return ModelCallRecord(
            purpose=purpose, model=self.model.name, route="error", attempts=err.attempts, outcome="error",
            request_hash=key,
        )  # fmt: skip

    async def ask(
        self, view: PlayerView, purpose: str, task: str, model: type[BaseModel], seed: int, max_tokens: int
    ) -> tuple[BaseModel | None, _Records]:
        """A validated answer in ``model``'s shape (or ``None``), and the records of every call made."""
        messages, records = self._messages(view, task), []
        schema = schemas.wire_schema(model)
        for correction in range(self.corrections + 1):
            request = self._request(
                view, purpose, messages, schema=schema, schema_name=purpose, seed=seed, max_tokens=max_tokens
            )
            try:
                c = await self.model.structured(request)
            except ModelError as err:
                records.append(self._error(purpose, request, err))
                return None, records
            value, problem = schemas.parse(model, c.data, c.text) if not c.refusal else (None, "refused")
            if value is not None:
                ok = correction == 0 and c.attempts == 1
                records.append(self._record(purpose, c, "ok" if ok else "retried"))
                return value, records
            records.append(self._record(purpose, c, "error"))
            reason = f"the model refused ({c.refusal})" if c.refusal else problem
            messages = (
                *messages,
                {"role": "assistant", "content": c.text or c.refusal or "(empty)"},
                {
                    "role": "user",
                    "content": f"That answer was invalid: {reason}. Reply again with only the JSON object.",
                },
            )
        return None, records

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer ``request`` with the model; fall back to the heuristic agent when the model fails."""
        tasks = [self._decide(view, request)]
        if self.reflective == "call" and request.kind == "vote" and request.ballot == 1:
            tasks.append(self._reflect(view, request.seed))
        decision, *more = await asyncio.gather(*tasks)
        calls = [*decision.calls, *(r for rs in more for r in rs)]
        return decision.model_copy(update={"calls": tuple(calls)})

    async def _decide(self, view: PlayerView, request: DecisionRequest) -> Decision:
        kind, opts, seed = request.kind, request.options, request.seed
        task = task_text(view, request)
        if kind == "speak":
            shape = schemas.speech_model(opts, request.max_chars)
            tokens = request.max_chars // 3 + 30
        elif kind == "belief":
            shape, tokens = schemas.belief_model(opts), 12 * len(opts) + 16
        elif kind == "vote" and request.ballot == 1 and self.reflective == "vote":
            shape, tokens, task = schemas.vote_notes_model(opts), 24 + 100, task + NOTES_TASK
        else:
            shape, tokens = schemas.choice_model(opts), 24
        purpose = "channel" if kind == "speak" and request.channel == "traitors" else kind
        value, records = await self.ask(view, purpose, task, shape, seed, tokens)
        notes = " ".join(str(getattr(value, "notes", "")).split())
        if notes:
            await self.notes.put(view.game_id, view.me, view.day, notes)
        if value is not None:
            decision = _decision(kind, opts, value)
            if decision is not None:
                corrected = any(r.outcome == "error" for r in records)
                by = "retry" if corrected else "model"
                return decision.model_copy(update={"calls": tuple(records), "decided_by": by})
        fallback = await self.fallback.act(view, request)
        why = _failure(records) if value is None else f"{purpose}: the answer had no usable content"
        update = {"calls": tuple(records), "decided_by": "fallback", "reason": why}
        return fallback.model_copy(update=update)

    async def _reflect(self, view: PlayerView, seed: int) -> _Records:
        request = self._request(
            view, "reflection", self._messages(view, REFLECTION_TASK), seed=seed, max_tokens=90
        )
        try:
            c = await self.model.text(request)
        except ModelError as err:
            return [self._error("reflection", request, err)]
        text = " ".join(c.text.split())[:400]
        if text:
            await self.notes.put(view.game_id, view.me, view.day, text)
        return [
            self._record(
                "reflection", c, "ok" if c.attempts == 1 and text else "retried" if text else "error"
            )
        ]


def _failure(records: _Records) -> str:
    """Why the model gave no usable answer, from the records of its calls."""
    if not records:
        return "no model call was made"
    last = records[-1]
    if last.route == "error":
        return f"{last.purpose}: the model call failed after {last.attempts} attempt(s)"
    return f"{last.purpose}: no valid answer after {len(records)} call(s)"


def _decision(kind: str, options: tuple[str, ...], value: BaseModel) -> Decision | None:
    data = value.model_dump(by_alias=True)
    if kind == "speak":
        text = " ".join(str(data["text"]).split())
        return (
            Decision(
                text=text,
                accuses=tuple(dict.fromkeys(data["accuses"])),
                defends=tuple(dict.fromkeys(data["defends"])),
            )
            if text
            else None
        )
    if kind == "belief":
        return Decision(beliefs={name: float(data[name]) for name in options})
    return Decision(choice=data["choice"])
