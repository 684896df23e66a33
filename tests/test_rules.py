"""Pure rules: tallies, tie-breaks, legal options, win conditions, recruitment."""

from __future__ import annotations

import random

import pytest

from traitors import rules

ALIVE = ("Alex", "Bea", "Cal", "Dana", "Eli")
ROLES = {"Alex": "traitor", "Bea": "faithful", "Cal": "faithful", "Dana": "traitor", "Eli": "faithful"}


@pytest.mark.parametrize(
    ("targets", "counts", "leaders"),
    [
        ([], {}, ()),
        ([None, None], {}, ()),
        (["Cal"], {"Cal": 1}, ("Cal",)),
        (["Eli", "Bea", "Eli", None, "Bea", "Cal"], {"Bea": 2, "Cal": 1, "Eli": 2}, ("Bea", "Eli")),
        (["Dana", "Dana", "Alex", None, None, None], {"Alex": 1, "Dana": 2}, ("Dana",)),
        (["Eli", "Cal", "Bea"], {"Bea": 1, "Cal": 1, "Eli": 1}, ("Bea", "Cal", "Eli")),
    ],
)
def test_tally_counts_valid_votes_and_sorts_leaders(targets, counts, leaders):
    t = rules.tally(targets)
    assert t.counts == counts
    assert list(t.counts) == sorted(counts)  # counts keyed in name order
    assert t.leaders == leaders


def test_tally_accepts_a_generator():
    assert rules.tally(x for x in ["A", "B", "A"]).leaders == ("A",)


def test_break_tie_depends_only_on_seed_not_on_order():
    for seed in range(50):
        a = rules.break_tie(["Eli", "Bea", "Cal"], random.Random(seed))
        b = rules.break_tie(["Cal", "Eli", "Bea"], random.Random(seed))
        assert a == b
        assert a == random.Random(seed).choice(["Bea", "Cal", "Eli"])


def test_break_tie_reaches_every_candidate():
    chosen = {rules.break_tie(["Bea", "Cal", "Eli"], random.Random(s)) for s in range(60)}
    assert chosen == {"Bea", "Cal", "Eli"}


def test_break_tie_single_candidate():
    assert rules.break_tie(["Cal"], random.Random(3)) == "Cal"


def test_banish_options_living_others_only():
    assert rules.banish_options(ALIVE, "Cal") == ("Alex", "Bea", "Dana", "Eli")
    assert "Fay" not in rules.banish_options(ALIVE, "Alex")  # the dead are never options


def test_banish_options_revote_only_among_tied():
    assert rules.banish_options(ALIVE, "Alex", ("Bea", "Eli")) == ("Bea", "Eli")
    # a tied voter cannot vote for themself, only for the other tied players
    assert rules.banish_options(ALIVE, "Bea", ("Bea", "Eli")) == ("Eli",)
    assert rules.banish_options(ALIVE, "Eli", ("Bea", "Cal", "Eli")) == ("Bea", "Cal")
    # a tied player who is no longer alive is not an option
    assert rules.banish_options(("Alex", "Bea"), "Alex", ("Bea", "Fay")) == ("Bea",)


def test_murder_options_living_faithfuls():
    assert rules.murder_options(ALIVE, ROLES) == ("Bea", "Cal", "Eli")
    assert rules.murder_options(("Alex", "Dana"), ROLES) == ()


@pytest.mark.parametrize(
    ("alive", "expected"),
    [
        (("Bea", "Cal", "Eli"), "faithful"),  # no traitor alive
        (("Bea",), "faithful"),
        (("Alex", "Bea", "Cal", "Eli"), None),  # 1 vs 3
        (("Alex", "Bea", "Cal"), None),  # 1 vs 2
        (("Alex", "Bea"), "traitors"),  # 1 vs 1: parity
        (("Alex", "Dana", "Bea", "Cal"), "traitors"),  # 2 vs 2
        (("Alex", "Dana", "Bea", "Cal", "Eli"), None),  # 2 vs 3
        (("Alex", "Dana", "Bea"), "traitors"),  # 2 vs 1
        (("Alex",), "traitors"),
    ],
)
def test_winner(alive, expected):
    assert rules.winner(alive, ROLES) == expected


def test_winner_at_close():
    assert rules.winner_at_close(("Alex", "Bea", "Cal", "Eli"), ROLES) == "traitors"
    assert rules.winner_at_close(("Bea", "Cal", "Eli"), ROLES) == "faithful"


@pytest.mark.parametrize(
    ("banished", "living", "cap", "allowed"),
    [
        (["traitor"], 2, None, True),
        (["traitor"], 1, None, True),
        (["faithful"], 2, None, False),  # only after a Traitor's banishment
        ([], 2, None, False),  # nobody banished (second tie, no banishment)
        (["faithful", "traitor"], 1, None, True),  # endgame: two banishments in one day
        (["traitor"], 0, None, False),  # no Traitor left to recruit
        (["traitor"], 2, 3, True),
        (["traitor"], 3, 3, False),  # at the cap
        (["traitor"], 2, 2, False),
    ],
)
def test_recruitment_allowed(banished, living, cap, allowed):
    assert rules.recruitment_allowed(banished, living, cap) is allowed
