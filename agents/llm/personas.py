"""Personas (name, age, profession, temperament, speaking style) and strategy hints, one per seat.

Choices are seeded by the seat name (and an optional salt), never by global randomness, so a seat keeps
its persona across runs and resumes.
"""

from __future__ import annotations

from dataclasses import dataclass

from traitors.rng import derive_rng

PROFESSIONS = (
    "teacher", "nurse", "plumber", "accountant", "firefighter", "chef", "software tester", "barrister",
    "farmer", "journalist", "retired police officer", "student", "vet", "bus driver", "architect",
    "shop owner",
)  # fmt: skip
TEMPERAMENTS = (
    "calm and analytical", "warm and trusting", "blunt and impatient", "anxious but observant",
    "cheerful and chatty", "guarded and dry", "competitive", "diplomatic",
)  # fmt: skip
STYLES = (
    "short, plain sentences", "asks pointed questions", "uses gentle humour", "cites what others said",
    "speaks formally", "speaks in a relaxed, casual way",
)  # fmt: skip
FAITHFUL_HINTS = (
    "Track who changes their story; weigh votes more than words.",
    "Watch who avoids naming suspects and who follows the crowd late.",
    "Look for pairs who never accuse each other.",
    "Share your reasoning so others can check it; do not vote on gut feeling alone.",
)
TRAITOR_HINTS = (
    "Blend in: accuse with evidence-sounding reasons, and never defend a fellow Traitor too hard.",
    "Push suspicion towards a loud Faithful, and vote with the majority when you cannot steer it.",
    "Befriend trusted players early; murder those who read the table well.",
    "Spread votes across several Faithfuls so no pattern links you to your fellow Traitors.",
)


@dataclass(frozen=True)
class Persona:
    """Who a seat plays: a character and a strategy hint for each role."""

    name: str
    age: int
    profession: str
    temperament: str
    style: str
    faithful_hint: str
    traitor_hint: str

    def describe(self) -> str:
        """One line for the prompt."""
        return f"{self.name}, {self.age}, {self.profession}; {self.temperament}; {self.style}."

    def hint(self, role: str) -> str:
        """The strategy hint for ``role``."""
        return self.traitor_hint if role == "traitor" else self.faithful_hint


def seat_persona(name: str, hints: bool = True) -> str:
    """What a seat's ``PlayerInfo.persona`` records: the persona line of ``name`` and, with ``hints``,
    its strategy hint for each role (the role is dealt later)."""
    p = persona_for(name)
    if not hints:
        return p.describe()
    return f"{p.describe()} Faithful hint: {p.faithful_hint} Traitor hint: {p.traitor_hint}"


def persona_for(name: str, salt: int = 0) -> Persona:
    """The persona of seat ``name`` (deterministic in ``name`` and ``salt``)."""
    rng = derive_rng(salt, "persona", name)
    return Persona(
        name=name,
        age=rng.randint(21, 68),
        profession=rng.choice(PROFESSIONS),
        temperament=rng.choice(TEMPERAMENTS),
        style=rng.choice(STYLES),
        faithful_hint=rng.choice(FAITHFUL_HINTS),
        traitor_hint=rng.choice(TRAITOR_HINTS),
    )
