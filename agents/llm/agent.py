"""``LLMAgent``: decisions from a language model, with structured output, corrections and a fallback.

Route per decision: the backend's best structured route (json_schema → tools → json_object → text), a
lenient parse, one re-ask with a doubled token limit when the reply was cut (``finish_reason: length``),
up to two correction calls that quote the error, then the heuristic agent's choice. Every call is returned
in ``Decision.calls`` (the engine logs them as ``ModelCall`` events), and the decision says who made it:
``model`` (first answer), ``retry`` (after a correction or a re-ask) or ``fallback`` (the heuristic, with
the reason; the engine logs a ``DecisionFallback``). The answer's private ``reasoning`` field becomes
``Decision.reasoning`` (logged host-only as ``DecisionReasoning``).
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
from agents.llm.tasks import NOTES_TASK, REFLECTION_TASK, VOTE_TASK, Task, build_messages, shuffled, task_text
from agents.models.base import (
    THINK_TOKENS,
    ChatModel,
    Completion,
    Message,
    ModelError,
    ModelRequest,
    reasoning_effort,
)
from traitors.config import LLMConfig, Temperatures
from traitors.decisions import Decision, DecisionRequest
from traitors.events import ModelCallRecord
from traitors.views import PlayerView

Memory = Callable[[PlayerView, str], list[str]]
_Records = list[ModelCallRecord]
CUT = "the answer was cut at the token limit (finish_reason: length)"


class LLMAgent:
    """One seat played by ``model`` as ``config`` (a scenario's ``llm`` section) says: temperatures per
    purpose, the history kept in prompts, private reasoning, persona and strategy hint, daily notes.
    ``persona`` defaults to one derived from the seat name; ``memory`` (optional) returns remembered lines
    for a view and a query. ``reflect`` and ``temperature`` (one number for every purpose), when given,
    override the config's. Daily notes: ``"vote"`` asks for them inside the first banishment vote's answer
    (no extra call), ``"call"`` in a separate free-text call made alongside that vote, ``"off"`` not at
    all."""

    def __init__(
        self,
        model: ChatModel,
        *,
        config: LLMConfig | None = None,
        persona: Persona | None = None,
        memory: Memory | None = None,
        reflect: Literal["vote", "call", "off"] | None = None,
        temperature: float | None = None,
        corrections: int = 2,
        fallback: Any = None,
        max_notes: int = 2,
        notes: NoteBook | None = None,
    ) -> None:
        config = config or LLMConfig()
        if reflect is not None:
            config = config.model_copy(update={"reflect": reflect})
        if temperature is not None:
            config = config.model_copy(update={"temperature": Temperatures.model_validate(temperature)})
        self.model, self.config, self.persona, self.memory = model, config, persona, memory
        self.corrections = corrections
        self.fallback = fallback or HeuristicAgent()
        self.max_notes = max_notes
        self.name = model.name
        self.effort = reasoning_effort(model)
        self._handle: Any = None
        self.notes = notes or NoteBook()
        #: Votes decided with a belief report: (game, player, day) → (public events then, choice, reasoning,
        #: decided_by), cast when the ballot opens with nothing new in between.
        self._planned: dict[tuple[str, str, int], tuple[int, str, str, str]] = {}

    @property
    def reflective(self) -> str:
        """How daily notes are written (``vote``, ``call`` or ``off``)."""
        return self.config.reflect

    @property
    def reasoning_chars(self) -> int:
        """The cap of the private reasoning field (0: no such field)."""
        return self.config.reasoning.max_chars if self.config.reasoning.enabled else 0

    def _persona(self, view: PlayerView) -> Persona:
        return self.persona if self.persona and self.persona.name == view.me else persona_for(view.me)

    def _messages(self, view: PlayerView, task: Task | str) -> tuple[Message, ...]:
        persona = self._persona(view)
        notes = self.notes.get(view.game_id, view.me)
        earlier = sorted((d, t) for d, t in notes.items() if d < view.day)
        lines = [f"Day {d}: {t}" for d, t in earlier[-self.max_notes :]]
        memory = self.memory(view, str(task)) if self.memory else self._recall(view, str(task))
        who = persona.describe() if self.config.personas else ""
        hint = persona.hint(view.role) if self.config.hints else ""
        return build_messages(view, task, who, hint, lines, memory, self.config.history)

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

    def limit(self, answer_tokens: int, field: bool = True) -> int:
        """The token limit of a call whose answer takes ``answer_tokens``: plus the private reasoning
        field (when ``field``), plus room to think for a reasoning model
        (:data:`~agents.models.base.THINK_TOKENS`)."""
        tokens = answer_tokens + (self.reasoning_chars // 3 + 10 if self.reasoning_chars and field else 0)
        return tokens + (THINK_TOKENS[self.effort] if self.effort else 0)

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
        temperature = self.config.temperature.of(purpose)
        return ModelRequest(
            messages=messages, temperature=temperature, tags={**tags, "purpose": purpose}, **kw
        )

    def _record(self, purpose: str, c: Completion, outcome: str) -> ModelCallRecord:
        return ModelCallRecord(
            purpose=purpose,
            model=self.model.name,
            route=c.route,
            prompt_tokens=c.prompt_tokens,
            completion_tokens=c.completion_tokens,
            cached_tokens=c.cached_tokens,
            reasoning_tokens=c.reasoning_tokens,
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
        self,
        view: PlayerView,
        purpose: str,
        task: Task | str,
        model: type[BaseModel],
        seed: int,
        max_tokens: int,
        order: tuple[str, ...] = (),
    ) -> tuple[BaseModel | None, _Records, str]:
        """A validated answer in ``model``'s shape (or ``None``), the records of every call made, and why
        the last answer was unusable (empty when it was used); ``order``: the options' order in the schema
        sent (as the task lists them)."""
        messages, records = self._messages(view, task), []
        schema = schemas.wire_schema(model)
        schema = schemas.ordered(schema, order) if order else schema
        corrections, cut_once, problem = 0, False, ""
        while True:
            request = self._request(
                view, purpose, messages, schema=schema, schema_name=purpose, seed=seed, max_tokens=max_tokens
            )
            try:
                c = await self.model.structured(request)
            except ModelError as err:
                records.append(self._error(purpose, request, err))
                return None, records, f"the model call failed after {err.attempts} attempt(s): {err}"
            value, problem = schemas.parse(model, c.data, c.text) if not c.refusal else (None, "refused")
            if value is not None:
                ok = not records and c.attempts == 1
                records.append(self._record(purpose, c, "ok" if ok else "retried"))
                return value, records, ""
            records.append(self._record(purpose, c, "error"))
            if c.finish_reason == "length" and not cut_once:  # the same question, with room to finish
                cut_once, max_tokens, problem = True, max_tokens * 2, f"{CUT} at {max_tokens} tokens"
                continue
            if c.finish_reason == "length":
                problem = f"{CUT} at {max_tokens} tokens"
            if corrections == self.corrections:
                return None, records, problem
            corrections += 1
            reason = f"the model refused ({c.refusal})" if c.refusal else problem
            messages = (
                *messages,
                {"role": "assistant", "content": c.text or c.refusal or "(empty)"},
                {
                    "role": "user",
                    "content": f"That answer was invalid: {reason}. Reply again with only the JSON object.",
                },
            )

    async def act(self, view: PlayerView, request: DecisionRequest) -> Decision:
        """Answer ``request`` with the model; fall back to the heuristic agent when the model fails."""
        tasks = [self._decide(view, request)]
        if self.reflective == "call" and request.kind == "vote" and request.ballot == 1:
            tasks.append(self._reflect(view, request.seed))
        decision, *more = await asyncio.gather(*tasks)
        calls = [*decision.calls, *(r for rs in more for r in rs)]
        return decision.model_copy(update={"calls": tuple(calls)})

    async def _decide(self, view: PlayerView, request: DecisionRequest) -> Decision:
        kind, seed, think = request.kind, request.seed, self.reasoning_chars
        if kind == "vote" and request.ballot == 1:
            planned = self._cast_planned(view, request)
            if planned is not None:
                return planned
        opts = shuffled(request.options, seed)  # no seat is always first; stable on a re-run
        canon = tuple(sorted(request.options))  # models built once per option set; sent in ``opts`` order
        notes = self.reflective == "vote"
        together = (
            kind == "belief"
            and self.config.vote_with_beliefs
            and not set(opts) & set(schemas.BELIEF_VOTE_KEYS)
        )
        if kind == "speak":
            shape = schemas.speech_model(canon, request.max_chars, think)
            tokens, task = request.max_chars // 3 + 30, task_text(view, request, opts, think)
        elif together:
            extra = VOTE_TASK + (NOTES_TASK if notes else "")
            shape = schemas.belief_vote_model(canon, 300 if notes else 0, think)
            tokens = 12 * len(opts) + 40 + (100 if notes else 0)
            task = task_text(view, request, opts, think, extra)
        elif kind == "belief":
            shape, tokens = schemas.belief_model(canon, think), 12 * len(opts) + 16
            task = task_text(view, request, opts, think)
        elif kind == "vote" and request.ballot == 1 and notes:
            shape, tokens = schemas.vote_notes_model(canon, reasoning=think), 24 + 100
            task = task_text(view, request, opts, think, NOTES_TASK)
        else:
            shape, tokens = schemas.choice_model(canon, think), 24
            task = task_text(view, request, opts, think)
        purpose = "channel" if kind == "speak" and request.channel == "traitors" else kind
        value, records, problem = await self.ask(view, purpose, task, shape, seed, self.limit(tokens), opts)
        notes_text = " ".join(str(getattr(value, "notes", "")).split())
        if notes_text:
            await self.notes.put(view.game_id, view.me, view.day, notes_text)
        if value is not None:
            decision = _decision(kind, request.options, value)
            if decision is not None:
                corrected = any(r.outcome == "error" for r in records)
                by = "retry" if corrected else "model"
                reasoning = " ".join(str(getattr(value, "reasoning", "")).split())
                if together:
                    key = (view.game_id, view.me, view.day)
                    self._planned[key] = (_public(view), str(value.model_dump()["vote"]), reasoning, by)
                update = {"calls": tuple(records), "decided_by": by, "reasoning": reasoning}
                if kind == "belief":
                    update["text"] = reasoning  # the report's rationale (seen by this player only)
                return decision.model_copy(update=update)
        fallback = await self.fallback.act(view, request)
        why = _failure(records, problem) if value is None else f"{purpose}: the answer had no usable content"
        update = {"calls": tuple(records), "decided_by": "fallback", "reason": why}
        return fallback.model_copy(update=update)

    def _cast_planned(self, view: PlayerView, request: DecisionRequest) -> Decision | None:
        """The vote decided with today's belief report, if nothing public happened since and it is legal."""
        planned = self._planned.pop((view.game_id, view.me, view.day), None)
        if planned is None:
            return None
        seen, choice, reasoning, by = planned
        if seen != _public(view) or choice not in request.options:
            return None
        return Decision(choice=choice, decided_by=by, reasoning=reasoning)  # type: ignore[arg-type]

    async def _reflect(self, view: PlayerView, seed: int) -> _Records:
        request = self._request(
            view,
            "reflection",
            self._messages(view, REFLECTION_TASK),
            seed=seed,
            max_tokens=self.limit(90, field=False),
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


def _public(view: PlayerView) -> int:
    """How many public events the view holds (a vote planned at the belief report is cast only if this
    has not changed)."""
    return sum(1 for e in view.events if e.audience is None)


def _failure(records: _Records, problem: str = "") -> str:
    """Why the model gave no usable answer, from the records of its calls and the last problem."""
    if not records:
        return "no model call was made"
    last = records[-1]
    if last.route == "error":
        why = f"{last.purpose}: the model call failed after {last.attempts} attempt(s)"
    else:
        why = f"{last.purpose}: no valid answer after {len(records)} call(s)"
    return f"{why}: {problem}" if problem and last.route != "error" else why


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
        return Decision(beliefs={name: data[name] / 100 for name in options})  # whole percents
    return Decision(choice=data["choice"])
