"""Weights of the suspicion model: how much each kind of evidence moves a player's score.

A positive weight makes the player look more like a Traitor. ``ACTOR_FEATURE`` names the feature an actor
earns when the role of the player it accused/defended/voted becomes known; ``TARGET_FEATURE`` the feature
a player earns from what a player of known role (revealed Traitor, murder victim, banished Faithful) did to
it. Tuned with ``benchmarks/bench_baselines.py``.
"""

from __future__ import annotations

FEATURES: dict[str, float] = {
    "defended_traitor": 3.0,  # defended a player later revealed as a Traitor
    "accused_faithful": 1.0,  # accused a player later revealed Faithful (banished or murdered)
    "voted_faithful": 0.8,  # voted to banish a player later revealed Faithful
    "accused_traitor": -1.0,
    "voted_traitor": -1.2,
    "defended_faithful": -0.3,
    "bloc": 0.5,  # voted the same target as a revealed Traitor on one ballot
    "victim_suspected": 1.5,  # accused or voted by a later murder victim
    "faithful_suspected": 0.3,  # accused or voted by a banished Faithful
    "traitor_targeted": -0.7,  # accused or voted by a revealed Traitor
    "traitor_defended": 1.5,  # defended by a revealed Traitor
    "victim_trusted": -0.3,  # defended by a later murder victim
    "bandwagon": 0.6,  # accused a player others already accused, with no public evidence against them
    "accused_me": 1.0,  # private to a Faithful observer: it knows it is Faithful
    "voted_me": 0.8,
    "defended_me": -0.2,
}

#: Feature earned by the actor, by the revealed role of its target and the kind of action (acc, def, vote).
ACTOR_FEATURE: dict[str, tuple[str, str, str]] = {
    "traitor": ("accused_traitor", "defended_traitor", "voted_traitor"),
    "faithful": ("accused_faithful", "defended_faithful", "voted_faithful"),
}

#: Feature earned by the target of an action by a player of known role (empty: no feature).
TARGET_FEATURE: dict[str, tuple[str, str, str]] = {
    "traitor": ("traitor_targeted", "traitor_defended", "traitor_targeted"),
    "victim": ("victim_suspected", "victim_trusted", "victim_suspected"),
    "faithful": ("faithful_suspected", "", "faithful_suspected"),
}

HEAT = 0.0  # a Faithful's suspicion per public accusation since the last banishment
PUBLIC_HEAT = 0.3  # the same in a Traitor's model of the table (the Faithfuls it expects to follow)
MIN_RARITY = 0.1  # an action the whole table took together still counts this much
BELIEF_TEMPERATURE = 0.8  # scores -> relative odds in belief reports
KNOWN = 1e6  # score of a player known to be a Traitor

# The Traitors' play.
DEFEND_FELLOW = 0.5  # chance a Traitor vouches in public for a fellow the table is turning on
AT_RISK = 2  # accusers that put a Traitor at risk (the others then rally to a scapegoat)
JOIN_MIN = 1  # Faithful accusers that make a Faithful "the likely outcome anyway", worth joining
DANGER_SUSPECTED = 0.2  # a Faithful the table already suspects is less dangerous (and a scapegoat)
