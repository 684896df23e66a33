"""Sentences: several templates per kind of evidence, filled with real names, cut to fit ``max_chars``.

``{x}`` is the player spoken about, ``{o}`` the other player the evidence involves, ``{n}`` a count.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

ACCUSE: dict[str, tuple[str, ...]] = {
    "defended_traitor": (
        "I'm voting {x}: {x} defended {o} until {o} was revealed as a Traitor.",
        "{x} stood up for {o}, and {o} turned out to be a Traitor. I can't ignore that.",
        "Remember who protected {o}? {x} did, and {o} was a Traitor.",
    ),
    "accused_faithful": (
        "{x} pushed hard against {o}, and {o} was Faithful all along.",
        "{x} pointed the table at {o}, who turned out to be Faithful. That misdirection worries me.",
        "My suspicion is {x}: {x} accused {o}, and {o} was Faithful.",
    ),
    "voted_faithful": (
        "{x} voted to banish {o}, and {o} was Faithful.",
        "{x} put a vote on {o}, an innocent Faithful. I want to know why.",
        "Look at the ballots: {x} voted against {o}, who was Faithful.",
    ),
    "bloc": (
        "{x} kept voting alongside {o}, and {o} was a Traitor.",
        "{x} and {o} voted together, and {o} turned out to be a Traitor.",
        "The ballots tie {x} to {o}, a revealed Traitor.",
    ),
    "victim_suspected": (
        "{o} was onto {x} before {o} was murdered. The Traitors silenced {o} for a reason.",
        "{o} suspected {x}, and then {o} was killed in the night. I'm following {o}'s lead.",
        "Before {o} was murdered, {o} had {x} in their sights. That tells me something.",
    ),
    "faithful_suspected": (
        "{o} was Faithful and still had doubts about {x}.",
        "Even {o}, a Faithful, was wary of {x}.",
    ),
    "traitor_defended": (
        "{o} was a Traitor and went out of the way to defend {x}.",
        "Why did {o}, a Traitor, protect {x}? I think I know.",
    ),
    "bandwagon": (
        "{x} jumped on {o} with nothing behind it. Piling on without evidence is how Traitors hide.",
        "Nobody had a real case against {o}, yet {x} joined the pile-on. Why?",
        "{x} was quick to follow the crowd against {o}. That looked like cover to me.",
    ),
    "accused_me": (
        "{x} has been pointing at me, and I know I'm Faithful.",
        "{x} accused me. I'm Faithful, so {x} is steering us wrong.",
        "I know my own role: I'm Faithful, and {x} tried to put me in the frame.",
    ),
    "voted_me": (
        "{x} voted for me, and I am Faithful. That vote was aimed at the wrong person, or on purpose.",
        "{x} wanted me gone. I'm Faithful, so I have to ask what {x} is hiding.",
    ),
    "heat": (
        "Several of you have doubts about {x}, and I share them.",
        "I'm with the others on {x}; nothing I've seen clears them.",
        "{n} of us have named {x} already. I agree.",
    ),
    "heat_one": (
        "{x} has been named already, and I agree.",
        "Someone has raised {x} already; I had the same feeling.",
        "I'll second the doubts about {x}.",
    ),
    "none_early": (
        "It's early and nobody has given much away. I'll start with {x} and listen.",
        "I have nothing solid yet, but {x} is my read for now.",
        "No hard evidence so far; my instinct says {x}.",
    ),
    "none": (
        "Nothing hard points anywhere yet, so I go with my gut: {x}.",
        "I have no proof, but {x} is the one I keep coming back to.",
        "{x} is my read, though I admit the evidence is thin.",
    ),
}

TRUST: dict[str, tuple[str, ...]] = {
    "voted_traitor": (
        "I trust {x}: {x} voted against {o}, a Traitor.",
        "{x} helped catch {o}, so I believe {x}.",
    ),
    "accused_traitor": (
        "{x} called out {o} before {o} was revealed as a Traitor; I trust {x}.",
        "{x} was right about {o}. I'm listening to {x}.",
    ),
    "traitor_targeted": (
        "{o}, a Traitor, went after {x}. That makes me trust {x}.",
        "The Traitor {o} wanted {x} gone, which speaks for {x}.",
    ),
    "victim_trusted": ("{o} trusted {x} before being murdered, and so do I.",),
    "defended_me": ("{x} stood up for me, and I know I'm Faithful. {x} reads the table well.",),
    "defended_faithful": ("{x} has been fair to the Faithful so far.",),
    "loyal": (
        "I don't see the case against {x}; we're rushing.",
        "Leave {x} alone; there's nothing real against {x}.",
        "{x} has done nothing suspicious that I've seen.",
    ),
    "self": ("I'm Faithful, and a vote on me is a vote wasted.", "Look at me all you like: I'm Faithful."),
}

PLAN: dict[str, tuple[str, ...]] = {
    "propose": (
        "Tonight we take {v}: {v} has been circling us. Tomorrow we steer the table onto {s}.",
        "I say we murder {v} tonight and push {s} at the round table.",
        "{v} is the biggest danger to us, so {v} goes. {s} is already doubted; we keep the heat on {s}.",
    ),
    "follow": (
        "Agreed: {v} tonight, and {s} tomorrow.",
        "Fine by me. {v} goes tonight; I'll lean on {s}.",
        "Yes, {v}. And tomorrow we all look surprised and talk about {s}.",
    ),
    "why_accuse": ("{v} went after {t} at the table.", "{v} has been pointing at {t}."),
    "why_vote": ("{v} has been voting for {t}.", "{v} put a vote on {t}; that cannot go on."),
    "recruit": ("If we get to recruit, {r} is the safe pick.", "{r} would make a quiet recruit."),
}


def line(rng: random.Random, table: dict[str, tuple[str, ...]], key: str, **names: object) -> str:
    """One template of ``table[key]``, chosen by ``rng`` and filled with ``names``."""
    return rng.choice(table[key]).format(**names)


def fit(sentences: Sequence[str], max_chars: int) -> str:
    """Whole sentences while they fit in ``max_chars``; else the first one cut at a word boundary."""
    limit = max(1, max_chars)
    text = ""
    for s in sentences:
        candidate = f"{text} {s}" if text else s
        if len(candidate) > limit:
            break
        text = candidate
    if text:
        return text
    head = sentences[0][: limit + 1] if sentences else ""
    cut = head.rfind(" ")
    head = (head[:cut] if 0 < cut <= limit else head[:limit]).rstrip(" ,;:")
    return head or "..."[:limit]
