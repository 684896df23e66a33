"""What the replay shows at one step from one point of view: pure functions over a game's events.

The point of view is ``None`` (omniscient host) or a player's name; a player sees exactly the events of
``traitors.views.view`` at that step, plus their own model calls (host-only events about them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import pandas as pd

from traitors import transcript
from traitors.events import (
    Banished,
    BeliefReported,
    DecisionReasoning,
    Event,
    GameEnded,
    ModelCall,
    Murdered,
    PlayerInfo,
    Role,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.provenance import decisions
from traitors.state import GameState, replay
from traitors.views import view

#: The ``decided_by`` of a decision the seat did not make (docs/metrics.md, "Provenance").
FALLBACK = "fallback"

AVATAR_COLORS = (
    "#e57373",
    "#64b5f6",
    "#81c784",
    "#ffb74d",
    "#ba68c8",
    "#4db6ac",
    "#f06292",
    "#a1887f",
    "#7986cb",
    "#dce775",
    "#4fc3f7",
    "#ff8a65",
    "#90a4ae",
)


@lru_cache(maxsize=512)
def avatar(name: str, seat: int) -> bytes:
    """A PNG avatar: the player's initial on a disc coloured by seat (no emoji font needed)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, 63, 63), fill=AVATAR_COLORS[seat % len(AVATAR_COLORS)])
    draw.text((32, 33), (name[:1] or "?").upper(), fill="white", anchor="mm", font=ImageFont.load_default(36))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Ballot:
    """One ballot: its votes (voter, target, valid, decided_by) and result, as the point of view saw
    them."""

    day: int
    kind: str
    ballot: int
    votes: pd.DataFrame
    result: VoteResult | None


@dataclass(frozen=True)
class ReplayView:
    """A game at ``step`` (index of the last event shown) seen by ``pov`` (``None`` = omniscient)."""

    events: Sequence[Event]
    step: int
    pov: str | None = None

    @cached_property
    def state(self) -> GameState:
        """The omniscient state after the shown prefix."""
        return replay(self.events[: self.step + 1])

    @cached_property
    def shown(self) -> tuple[Event, ...]:
        """Events up to the step that the point of view saw."""
        prefix = tuple(self.events[: self.step + 1])
        if self.pov is None:
            return prefix
        if self.pov in self.state.roles:
            return view(self.state, self.pov).events
        return tuple(e for e in prefix if e.visible_to(self.pov))

    def known_roles(self, spoilers: bool = False) -> dict[str, Role]:
        """Roles to badge: all current roles (omniscient with spoilers), what the player knew, or the
        publicly revealed ones."""
        if self.pov is None and spoilers:
            return dict(self.state.roles)
        if self.pov is not None and self.pov in self.state.roles:
            return view(self.state, self.pov).revealed_roles()
        known: dict[str, Role] = {}
        for ev in self.shown:
            if isinstance(ev, Banished) and ev.revealed_role:
                known[ev.player] = ev.revealed_role
            elif isinstance(ev, GameEnded):
                known.update(ev.roles)
        return known

    @property
    def seats(self) -> dict[str, int]:
        """Seat number of each player."""
        return {p.name: i for i, p in enumerate(self.state.players)}

    def reasoning(self, player: str | None = None) -> pd.DataFrame:
        """The private reasoning (host-only ``DecisionReasoning``) logged up to the step for ``player``
        (every player's when ``None``), only where the point of view may see it: the omniscient host sees
        everyone's, a player only their own; anyone else gets no row."""
        cols = ["seq", "day", "player", "kind", "ballot", "turn", "channel", "text"]
        rows = [
            {c: getattr(e, c) for c in cols}
            for e in self.events[: self.step + 1]
            if isinstance(e, DecisionReasoning)
            and (player is None or e.player == player)
            and (self.pov is None or e.player == self.pov)
        ]
        return pd.DataFrame(rows, columns=cols)

    def own_model_calls(self) -> list[ModelCall]:
        """Model calls made up to the step (the point of view's own, or everybody's when omniscient)."""
        calls = [e for e in self.events[: self.step + 1] if isinstance(e, ModelCall)]
        return [c for c in calls if self.pov is None or c.player == self.pov]


def timeline(events: Sequence[Event]) -> pd.DataFrame:
    """One row per (day, phase) span in event order: first and last seq and the number of events."""
    rows: list[dict] = []
    for ev in events:
        if rows and (rows[-1]["day"], rows[-1]["phase"]) == (ev.day, ev.phase):
            rows[-1]["last_seq"] = ev.seq
            rows[-1]["events"] += 1
        else:
            rows.append(
                {"day": ev.day, "phase": ev.phase, "first_seq": ev.seq, "last_seq": ev.seq, "events": 1}
            )
    return pd.DataFrame(rows, columns=["day", "phase", "first_seq", "last_seq", "events"])


def transcript_rows(shown: Sequence[Event]) -> list[dict]:
    """Rows for the transcript: statements with their speaker and ``decided_by``, and narration lines
    (votes are ballots)."""
    rows = []
    for ev in shown:
        if isinstance(ev, Statement):
            rows.append(
                {
                    "seq": ev.seq,
                    "day": ev.day,
                    "phase": ev.phase,
                    "speaker": ev.speaker,
                    "channel": ev.channel,
                    "text": ev.text,
                    "decided_by": ev.decided_by,
                }
            )
        elif not isinstance(ev, VoteCast | VoteResult | ModelCall):
            text = transcript.describe(ev)
            if text:
                rows.append(
                    {
                        "seq": ev.seq,
                        "day": ev.day,
                        "phase": ev.phase,
                        "speaker": None,
                        "channel": "host",
                        "text": text,
                        "decided_by": None,
                    }
                )
    return rows


def ballots(shown: Sequence[Event]) -> list[Ballot]:
    """Every ballot in the shown events, in order, with its result when it was shown."""
    groups: dict[tuple[int, str, int], list[VoteCast]] = {}
    results: dict[tuple[int, str, int], VoteResult] = {}
    for ev in shown:
        if isinstance(ev, VoteCast):
            groups.setdefault((ev.day, ev.kind, ev.ballot), []).append(ev)
        elif isinstance(ev, VoteResult):
            results[(ev.day, ev.kind, ev.ballot)] = ev
    out = []
    for key, votes in groups.items():
        frame = pd.DataFrame(
            [
                {"voter": v.voter, "target": v.target, "valid": v.valid, "decided_by": v.decided_by}
                for v in votes
            ],
            columns=["voter", "target", "valid", "decided_by"],
        )
        out.append(Ballot(*key, votes=frame, result=results.get(key)))
    return out


def eliminations(shown: Sequence[Event]) -> pd.DataFrame:
    """Who left the game, when and how, with the role revealed (if any)."""
    rows = [
        {
            "day": e.day,
            "player": e.player,
            "how": "banished" if isinstance(e, Banished) else "murdered",
            "revealed_role": e.revealed_role if isinstance(e, Banished) else None,
        }
        for e in shown
        if isinstance(e, Banished | Murdered)
    ]
    return pd.DataFrame(rows, columns=["day", "player", "how", "revealed_role"])


def beliefs(shown: Sequence[Event], observer: str | None = None) -> pd.DataFrame:
    """Belief reports (day, observer, target, p_traitor, decided_by), of one observer or all."""
    rows = [
        {"day": e.day, "observer": e.observer, "target": t, "p_traitor": p, "decided_by": e.decided_by}
        for e in shown
        if isinstance(e, BeliefReported) and (observer is None or e.observer == observer)
        for t, p in e.beliefs.items()
    ]
    return pd.DataFrame(rows, columns=["day", "observer", "target", "p_traitor", "decided_by"])


def fallback_counts(shown: Sequence[Event], players: Sequence[PlayerInfo]) -> pd.DataFrame:
    """Per seat: its agent, how many of its decisions the shown events record, how many a fallback made
    (``traitors.provenance.decisions``: an engine abstention counts only where its host-only record is
    shown) and their share (NaN without decisions)."""
    made: dict[str, int] = {p.name: 0 for p in players}
    fell: dict[str, int] = dict(made)
    for d in decisions(shown):
        if d.player in made:
            made[d.player] += 1
            fell[d.player] += d.decided_by == FALLBACK
    frame = pd.DataFrame(
        {
            "player": [p.name for p in players],
            "agent": [p.agent for p in players],
            "decisions": [made[p.name] for p in players],
            "fallbacks": [fell[p.name] for p in players],
        },
        columns=["player", "agent", "decisions", "fallbacks"],
    )
    total = frame["decisions"].astype(float)
    frame["fallback_rate"] = (frame["fallbacks"] / total).where(total > 0)
    return frame
