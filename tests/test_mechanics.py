"""Each game mechanic and its edge cases, played with scripted agents against hand-computed event logs.

Seats are Alex, Bea, Cal, Dana, Eli, Fay(, Gus); Traitors are hand-picked. Unless a test says otherwise
the scenario is ``scripted.scenario()``: 6 players, 1 Traitor, no discussion, no beliefs, fixed order.
A vote nobody scripted goes to the first legal option (seat order, never oneself).
"""

from __future__ import annotations

import asyncio

import pytest

from tests.scripted import (
    Scripted,
    ballot,
    briefs,
    first_legal,
    initial_state,
    play,
    scenario,
    table_fn,
    votes,
)
from traitors import rules
from traitors.decisions import Decision
from traitors.engine import Game
from traitors.events import (
    Banished,
    DecisionFallback,
    GameEnded,
    ModelCall,
    ModelCallRecord,
    MurderBlocked,
    RecruitOffered,
    ShieldAwarded,
    Statement,
    VoteCast,
    VoteResult,
)
from traitors.rng import derive_rng

SIX = ("Alex", "Bea", "Cal", "Dana", "Eli", "Fay")
SEVEN = (*SIX, "Gus")

# Day-1 ballots used by several tests: Dana and Eli tie 3-3.
TIE_1 = {"Alex": "Dana", "Bea": "Dana", "Cal": "Eli", "Dana": "Eli", "Eli": "Dana", "Fay": "Eli"}
TIE_2 = TIE_1  # the same papers are legal on the revote and tie again
DANA_2 = {"Alex": "Dana", "Bea": "Dana", "Cal": "Dana", "Dana": "Eli", "Eli": "Dana", "Fay": "Dana"}


def results_of(played, kind):
    """The VoteResult events of ``kind``."""
    return [e for e in played.events if isinstance(e, VoteResult) and e.kind == kind]


def requests_of(played, player, kind, day=None, ballot_no=None):
    """The requests ``player`` received of ``kind`` (optionally on ``day`` / ``ballot_no``)."""
    return [r for v, r in played.agents[player].calls if r.kind == kind and (day is None or v.day == day)
            and (ballot_no is None or r.ballot == ballot_no)]


# -- round table ------------------------------------------------------------------------------------------


def test_fixed_speaking_order_is_seat_order_every_turn():
    p = play(scenario(discussion={"turns": 2, "order": "fixed"}), ["Alex"], first_legal)
    said = [(e.turn, e.speaker) for e in p.events if isinstance(e, Statement)]
    assert said == [(0, n) for n in SIX] + [(1, n) for n in SIX]
    assert all(e.channel == "public" and e.audience is None for e in p.events if isinstance(e, Statement))


def _order(seed):
    p = play(scenario(discussion={"turns": 2, "order": "random"}), ["Alex"], first_legal, seed=seed)
    return [[e.speaker for e in p.events if isinstance(e, Statement) and e.turn == t] for t in (0, 1)]


def test_random_speaking_order_is_seeded():
    orders = {seed: _order(seed) for seed in range(8)}
    for seed, (turn0, turn1) in orders.items():
        assert sorted(turn0) == sorted(turn1) == sorted(SIX)  # everyone speaks once per turn
        assert _order(seed) == [turn0, turn1]  # same seed, same order
        # the documented derivation: one generator per (seed, channel, day, round table, turn)
        for turn, got in enumerate((turn0, turn1)):
            expected = list(SIX)
            derive_rng(seed, "order", "public", 1, "r1", turn).shuffle(expected)
            assert got == expected
    assert len({tuple(o[0]) for o in orders.values()}) > 1  # different seeds, different orders
    assert any(o[0] != list(SIX) for o in orders.values())


def test_statement_truncated_to_max_chars():
    long = Decision(text="  " + "x" * 100 + "  ")
    p = play(scenario(discussion={"turns": 1, "max_chars": 20}), ["Alex"], table_fn({("speak",): long}))
    assert {e.text for e in p.events if isinstance(e, Statement)} == {"x" * 20}


def test_tie_then_revote_among_the_tied():
    sc = scenario(max_days=1)
    p = play(sc, ["Alex"], table_fn({**votes("vote", 1, 1, TIE_1), **votes("vote", 1, 2, DANA_2)}))
    assert briefs(p.after_setup()) == [
        ("day", 1),
        *ballot("banish", 1, TIE_1),
        ("result", "banish", 1, "tie", None, {"Dana": 3, "Eli": 3}, ("Dana", "Eli")),
        *ballot("banish", 2, DANA_2),
        ("result", "banish", 2, "decided", "Dana", {"Dana": 5, "Eli": 1}, ()),
        ("banished", "Dana", "faithful"),
        ("vote", "murder", 1, "Alex", "Bea", True),
        ("result", "murder", 1, "decided", "Bea", {"Bea": 1}, ()),
        ("murdered", "Bea"),
        ("end", "traitors", "max_days"),
    ]
    # the revote offers only the tied players, never oneself
    assert requests_of(p, "Alex", "vote", 1, 2)[0].options == ("Dana", "Eli")
    assert requests_of(p, "Dana", "vote", 1, 2)[0].options == ("Eli",)
    assert requests_of(p, "Eli", "vote", 1, 2)[0].options == ("Dana",)
    assert requests_of(p, "Alex", "vote", 1, 1)[0].options == ("Bea", "Cal", "Dana", "Eli", "Fay")


def _second_tie(seed, rule):
    """Dana and Eli tie on both ballots; ``rule`` settles the second tie."""
    sc = scenario(max_days=2, banishment={"second_tie": rule})
    table = {**votes("vote", 1, 1, TIE_1), **votes("vote", 1, 2, TIE_2)}
    return play(sc, ["Alex"], table_fn(table), seed=seed)


def test_second_tie_random_is_seeded_and_reproducible():
    chosen = {}
    for seed in range(16):
        p = _second_tie(seed, "random")
        events = p.after_setup()
        # DayStarted, 6 papers, the tie, 6 papers of the revote, then the second result
        result = events[1 + 6 + 1 + 6]
        assert isinstance(result, VoteResult)
        assert (result.ballot, result.outcome, result.tied) == (2, "tie_broken", ("Dana", "Eli"))
        assert result.counts == {"Dana": 3, "Eli": 3}
        assert result.target in ("Dana", "Eli")
        assert events[1 + 6 + 1 + 6 + 1] == Banished(
            game_id="g", seq=result.seq + 1, day=1, phase="roundtable", player=result.target,
            revealed_role="faithful")
        expected = rules.break_tie(["Dana", "Eli"], derive_rng(seed, "tiebreak", "banish", 1, "r1"))
        assert result.target == expected
        again = _second_tie(seed, "random").events
        assert [e.model_dump() for e in again] == [e.model_dump() for e in p.events]
        chosen[seed] = result.target
    assert set(chosen.values()) == {"Dana", "Eli"}  # the seed decides


def test_second_tie_no_banishment_continues_to_night():
    p = _second_tie(0, "no_banishment")
    assert briefs(p.after_setup()) == [
        ("day", 1),
        *ballot("banish", 1, TIE_1),
        ("result", "banish", 1, "tie", None, {"Dana": 3, "Eli": 3}, ("Dana", "Eli")),
        *ballot("banish", 2, TIE_2),
        ("result", "banish", 2, "no_decision", None, {"Dana": 3, "Eli": 3}, ("Dana", "Eli")),
        ("vote", "murder", 1, "Alex", "Bea", True),
        ("result", "murder", 1, "decided", "Bea", {"Bea": 1}, ()),
        ("murdered", "Bea"),
        ("day", 2),
        *ballot("banish", 1, {"Alex": "Cal", "Cal": "Alex", "Dana": "Alex", "Eli": "Alex", "Fay": "Alex"}),
        ("result", "banish", 1, "decided", "Alex", {"Alex": 4, "Cal": 1}, ()),
        ("banished", "Alex", "traitor"),
        ("end", "faithful", "all_traitors_gone"),
    ]


@pytest.mark.parametrize(("reveal", "shown"), [(True, "faithful"), (False, None)])
def test_banishment_reveal_on_off(reveal, shown):
    papers = {n: "Dana" for n in SIX if n != "Dana"} | {"Dana": "Alex"}
    p = play(scenario(max_days=2, banishment={"reveal_role": reveal}), ["Alex"],
             table_fn(votes("vote", 1, 1, papers)))
    banished = [(e.player, e.revealed_role, e.audience) for e in p.events if isinstance(e, Banished)]
    assert banished == [("Dana", shown, None), ("Alex", "traitor" if reveal else None, None)]
    # what a Faithful knows the next day follows the reveal (Bea was murdered in the night)
    view, _ = requests_view(p, "Cal", "vote", 2)
    known = {"Cal": "faithful", "Dana": "faithful"} if reveal else {"Cal": "faithful"}
    assert view.revealed_roles() == known
    # the end of the game shows every role, whatever the reveal setting
    assert p.events[-1].roles["Alex"] == "traitor"


def requests_view(p, player, kind, day):
    """The last (view, request) ``player`` got of ``kind`` on ``day``, or (None, None)."""
    calls = [(v, r) for v, r in p.agents[player].calls if r.kind == kind and v.day == day]
    return calls[-1] if calls else (None, None)


def test_last_traitor_banished_faithful_win_at_once():
    papers = {n: "Alex" for n in SIX if n != "Alex"} | {"Alex": "Bea"}
    p = play(scenario(), ["Alex"], table_fn(votes("vote", 1, 1, papers)))
    assert briefs(p.after_setup()) == [
        ("day", 1),
        *ballot("banish", 1, papers | {"Alex": "Bea"}),
        ("result", "banish", 1, "decided", "Alex", {"Alex": 5, "Bea": 1}, ()),
        ("banished", "Alex", "traitor"),
        ("end", "faithful", "all_traitors_gone"),
    ]
    end = p.events[-1]
    assert isinstance(end, GameEnded) and end.phase == "roundtable" and end.audience is None
    assert end.roles == {n: "traitor" if n == "Alex" else "faithful" for n in SIX}
    assert p.state.winner == "faithful" and p.state.alive == SIX[1:]


def test_one_of_two_traitors_banished_game_goes_on():
    papers = {n: "Alex" for n in SEVEN if n != "Alex"} | {"Alex": "Bea"}
    sc = scenario(players=7, traitors=2, max_days=1)
    p = play(sc, ["Alex", "Bea"], table_fn(votes("vote", 1, 1, papers)))
    assert ("banished", "Alex", "traitor") in briefs(p.events)
    assert briefs(p.events)[-1] == ("end", "traitors", "max_days")


def test_parity_at_night_traitors_win():
    sc = scenario(players=4)
    papers = {"Alex": "Bea", "Bea": "Cal", "Cal": "Bea", "Dana": "Bea"}
    p = play(sc, ["Alex"], table_fn(votes("vote", 1, 1, papers)))
    assert briefs(p.after_setup()) == [
        ("day", 1),
        *ballot("banish", 1, papers),
        ("result", "banish", 1, "decided", "Bea", {"Bea": 3, "Cal": 1}, ()),
        ("banished", "Bea", "faithful"),
        ("vote", "murder", 1, "Alex", "Cal", True),
        ("result", "murder", 1, "decided", "Cal", {"Cal": 1}, ()),
        ("murdered", "Cal"),
        ("end", "traitors", "parity"),
    ]
    assert p.events[-1].phase == "night" and p.state.alive == ("Alex", "Dana")


def test_parity_at_round_table_traitors_win():
    sc = scenario(players=5, traitors=2)
    papers = {"Alex": "Cal", "Bea": "Cal", "Cal": "Alex", "Dana": "Cal", "Eli": "Cal"}
    p = play(sc, ["Alex", "Bea"], table_fn(votes("vote", 1, 1, papers)))
    assert briefs(p.events)[-3:] == [
        ("result", "banish", 1, "decided", "Cal", {"Alex": 1, "Cal": 4}, ()),
        ("banished", "Cal", "faithful"),
        ("end", "traitors", "parity"),
    ]
    assert p.events[-1].phase == "roundtable"


# -- recruitment ------------------------------------------------------------------------------------------

ALEX_OUT = {n: "Alex" for n in SEVEN if n != "Alex"} | {"Alex": "Cal"}


def _recruit(answer, mode="standard", max_days=1, extra=None):
    sc = scenario(players=7, traitors=2, max_days=max_days, night={"turns": 1},
                  recruitment={"enabled": True, "mode": mode})
    table = {**votes("vote", 1, 1, ALEX_OUT), ("recruit", 1, "Bea"): "Cal", ("answer_offer", "Cal"): answer,
             ("murder", 1, "Bea"): "Dana", **(extra or {})}
    return play(sc, ["Alex", "Bea"], table_fn(table))


RECRUIT_DAY_1 = [
    ("day", 1),
    *ballot("banish", 1, ALEX_OUT),
    ("result", "banish", 1, "decided", "Alex", {"Alex": 6, "Cal": 1}, ()),
    ("banished", "Alex", "traitor"),
    ("vote", "recruit", 1, "Bea", "Cal", True),
    ("result", "recruit", 1, "decided", "Cal", {"Cal": 1}, ()),
]


def test_recruitment_accepted():
    day2 = {"Bea": "Dana", "Cal": "Dana", "Dana": "Eli", "Eli": "Dana", "Fay": "Dana", "Gus": "Dana"}
    p = _recruit("accept", max_days=2, extra=votes("vote", 2, 1, day2))
    assert briefs(p.after_setup()) == [
        *RECRUIT_DAY_1,
        ("offer", "Cal", False),
        ("answer", "Cal", True),  # no murder tonight
        ("day", 2),
        *ballot("banish", 1, day2),
        ("result", "banish", 1, "decided", "Dana", {"Dana": 5, "Eli": 1}, ()),
        ("banished", "Dana", "faithful"),
        ("say", "traitors", 0, "Bea"),  # two Traitors now: they meet
        ("say", "traitors", 0, "Cal"),
        ("vote", "murder", 1, "Bea", "Eli", True),  # no recruitment: a Faithful was banished today
        ("vote", "murder", 1, "Cal", "Eli", True),
        ("result", "murder", 1, "decided", "Eli", {"Eli": 2}, ()),
        ("murdered", "Eli"),
        ("end", "traitors", "parity"),  # Bea, Cal vs Fay, Gus
    ]
    assert p.state.roles["Cal"] == "traitor" and p.state.initial_roles["Cal"] == "faithful"
    offer = next(e for e in p.events if isinstance(e, RecruitOffered))
    assert set(offer.audience) == {"Bea", "Cal"}
    # the recruit's views: offered as a Faithful, later a Traitor who sees Bea and the Traitors' channel
    (offer_view, offer_req), = [(v, r) for v, r in p.agents["Cal"].calls if r.kind == "answer_offer"]
    assert offer_view.role == "faithful" and offer_view.fellow_traitors == ()
    assert offer_req.options == ("accept", "decline")
    assert any(isinstance(e, RecruitOffered) and e.player == "Cal" for e in offer_view.events)
    v2, _ = requests_view(p, "Cal", "vote", 2)
    assert v2.role == "traitor" and v2.n_traitors == 2
    assert v2.fellow_traitors == ("Alex", "Bea")  # every Traitor, the banished one included
    assert v2.alive == ("Bea", "Cal", "Dana", "Eli", "Fay", "Gus")
    murder_view, _ = requests_view(p, "Cal", "murder", 2)
    night_talk = [e for e in murder_view.events if isinstance(e, Statement) and e.channel == "traitors"]
    assert [e.speaker for e in night_talk] == ["Bea", "Cal"]
    # Cal never sees the Traitors' ballot that chose him
    assert not any(isinstance(e, VoteCast) and e.kind == "recruit" for e in murder_view.events)


def test_recruitment_declined_standard_murder_proceeds():
    p = _recruit("decline")
    assert briefs(p.after_setup()) == [
        *RECRUIT_DAY_1,
        ("offer", "Cal", False),
        ("answer", "Cal", False),
        ("vote", "murder", 1, "Bea", "Dana", True),
        ("result", "murder", 1, "decided", "Dana", {"Dana": 1}, ()),
        ("murdered", "Dana"),
        ("end", "traitors", "max_days"),
    ]
    assert p.state.roles["Cal"] == "faithful" and "Cal" in p.state.alive


def test_recruitment_declined_ultimatum_recruit_murdered():
    p = _recruit("decline", mode="ultimatum")
    assert briefs(p.after_setup()) == [
        *RECRUIT_DAY_1,
        ("offer", "Cal", True),
        ("answer", "Cal", False),
        ("murdered", "Cal"),
        ("end", "traitors", "max_days"),
    ]
    assert "Cal" not in p.state.alive and "Dana" in p.state.alive


def test_recruitment_failed_answer_counts_as_decline():
    p = _recruit(RuntimeError("no answer"), mode="ultimatum")
    assert briefs(p.after_setup())[len(RECRUIT_DAY_1):] == [
        ("offer", "Cal", True),
        ("fallback", "Cal", "answer_offer", 3),
        ("answer", "Cal", False),
        ("murdered", "Cal"),
        ("end", "traitors", "max_days"),
    ]


def test_recruitment_none_means_murder():
    p = _recruit("accept", extra={("recruit", 1, "Bea"): "none"})
    assert briefs(p.after_setup()) == [
        *RECRUIT_DAY_1[:-2],
        ("vote", "recruit", 1, "Bea", "none", True),
        ("result", "recruit", 1, "decided", "none", {"none": 1}, ()),
        ("vote", "murder", 1, "Bea", "Dana", True),
        ("result", "murder", 1, "decided", "Dana", {"Dana": 1}, ()),
        ("murdered", "Dana"),
        ("end", "traitors", "max_days"),
    ]
    recruit_req = requests_of(p, "Bea", "recruit")[0]
    assert recruit_req.options == ("Cal", "Dana", "Eli", "Fay", "Gus", "none")


def test_recruitment_disabled_or_capped():
    for recruitment in ({"enabled": False}, {"enabled": True, "max_traitors": 1}):
        sc = scenario(players=7, traitors=2, max_days=1, recruitment=recruitment)
        p = play(sc, ["Alex", "Bea"], table_fn(votes("vote", 1, 1, ALEX_OUT)))
        kinds = {e.kind for e in p.events if isinstance(e, VoteCast)}
        assert kinds == {"banish", "murder"}, recruitment


# -- missions and shields ---------------------------------------------------------------------------------


def test_shield_blocks_murder_and_faithfuls_see_nothing():
    sc = scenario(max_days=2, missions={"enabled": True, "success_rate": 1.0, "shields": 5})
    fay_out = {n: "Fay" for n in SIX if n != "Fay"} | {"Fay": "Eli"}
    holder = {}

    def shielded_victim(view, request):
        return sorted(set(request.options) & holder["game"].state.shields)[0]

    fn = table_fn({**votes("vote", 1, 1, fay_out), ("murder",): shielded_victim})
    agents = {n: Scripted(fn) for n in SIX}
    game = holder["game"] = Game(initial_state(sc, ["Alex"]), agents)
    final = asyncio.run(game.run())
    b = briefs(final.events[2:])
    assert b[:2] == [("day", 1), ("mission", True, 5000, 5000)]
    shields = [e for e in final.events if isinstance(e, ShieldAwarded) and e.day == 1]
    assert len(shields) == 5 and all(e.audience == (e.player,) for e in shields)
    assert [e.player for e in shields] == sorted(e.player for e in shields)
    blocked = [e for e in final.events if isinstance(e, MurderBlocked)]
    assert len(blocked) == 1
    victim = blocked[0].player
    assert blocked[0].audience == ("Alex",)
    assert victim in {e.player for e in shields} and victim in final.alive
    i = b.index(("blocked", victim))
    assert b[i - 2:i + 3] == [
        ("vote", "murder", 1, "Alex", victim, True),
        ("result", "murder", 1, "decided", victim, {victim: 1}, ()),
        ("blocked", victim),
        ("day", 2),
        ("mission", True, 5000, 10000),
    ]
    assert not any(t[0] == "murdered" for t in b)
    for name in SIX[1:]:
        for v, _ in agents[name].calls:
            assert not any(isinstance(e, MurderBlocked) for e in v.events)
            assert {e.player for e in v.events if isinstance(e, ShieldAwarded)} <= {name}
            assert v.has_shield == (name in {e.player for e in v.events
                                              if isinstance(e, ShieldAwarded) and e.day == v.day})


def test_shield_also_protects_an_ultimatum_refuser():
    sc = scenario(players=7, traitors=2, max_days=1, recruitment={"enabled": True, "mode": "ultimatum"},
                  missions={"enabled": True, "success_rate": 1.0, "shields": 5})
    holder = {}

    def shielded(view, request):
        return sorted(set(request.options) & holder["game"].state.shields)[0]

    fn = table_fn({**votes("vote", 1, 1, ALEX_OUT), ("recruit",): shielded, ("answer_offer",): "decline"})
    game = holder["game"] = Game(initial_state(sc, ["Alex", "Bea"]), {n: Scripted(fn) for n in SEVEN})
    final = asyncio.run(game.run())
    b = briefs(final.events)
    offer = next(e for e in final.events if isinstance(e, RecruitOffered))
    assert offer.player in final.shields and offer.ultimatum
    who = offer.player
    assert b[-4:] == [("offer", who, True), ("answer", who, False), ("blocked", who),
                      ("end", "traitors", "max_days")]
    assert offer.player in final.alive


def test_failed_mission_adds_nothing():
    sc = scenario(max_days=1, missions={"enabled": True, "success_rate": 0.0})
    p = play(sc, ["Fay"], first_legal)
    assert briefs(p.after_setup())[:3] == [("day", 1), ("mission", False, 0, 0), ("vote", "banish", 1, "Alex",
                                                                                   "Bea", True)]
    assert p.state.pot == 0 and p.state.shields == frozenset()


# -- endgame ----------------------------------------------------------------------------------------------

BEA_OUT = {n: "Bea" for n in SIX if n != "Bea"} | {"Bea": "Alex"}
ENDGAME_DAY_1 = [
    ("day", 1),
    *ballot("banish", 1, BEA_OUT),
    ("result", "banish", 1, "decided", "Bea", {"Alex": 1, "Bea": 5}, ()),
    ("banished", "Bea", "faithful"),
]
FIVE = ("Alex", "Cal", "Dana", "Eli", "Fay")


def test_endgame_unanimous_end_closes_game_traitors_win():
    sc = scenario(endgame={"enabled": True, "at_players": 5})
    p = play(sc, ["Alex"], table_fn({**votes("vote", 1, 1, BEA_OUT), ("endgame",): "end"}))
    assert briefs(p.after_setup()) == [
        *ENDGAME_DAY_1,
        *ballot("endgame", 1, dict.fromkeys(FIVE, "end")),
        ("result", "endgame", 1, "decided", "end", {"end": 5}, ()),
        ("end", "traitors", "endgame_vote"),
    ]
    assert requests_of(p, "Cal", "endgame")[0].options == ("end", "banish_again")


def test_endgame_not_unanimous_banishes_again_without_night():
    def banish(view, request):
        return next((n for n in ("Bea", "Alex") if n in request.options), request.options[0])

    table = {("vote",): banish, ("endgame",): "end", ("endgame", "Dana"): "banish_again"}
    p = play(scenario(endgame={"enabled": True, "at_players": 5}), ["Alex"], table_fn(table))
    second = {"Alex": "Cal", "Cal": "Alex", "Dana": "Alex", "Eli": "Alex", "Fay": "Alex"}
    assert briefs(p.after_setup()) == [
        *ENDGAME_DAY_1,
        *ballot("endgame", 1, dict.fromkeys(FIVE, "end") | {"Dana": "banish_again"}),
        ("result", "endgame", 1, "decided", "banish_again", {"banish_again": 1, "end": 4}, ()),
        *ballot("banish", 1, second),  # same day, no night in between
        ("result", "banish", 1, "decided", "Alex", {"Alex": 4, "Cal": 1}, ()),
        ("banished", "Alex", "traitor"),
        ("end", "faithful", "all_traitors_gone"),
    ]
    assert all(e.day == 1 for e in p.events[2:])


def test_endgame_invalid_vote_is_not_unanimous():
    def banish(view, request):
        return next((n for n in ("Bea", "Cal", "Dana") if n in request.options), request.options[0])

    table = {("vote",): banish, ("endgame",): "end", ("endgame", "Eli"): "maybe"}
    p = play(scenario(endgame={"enabled": True, "at_players": 5}, max_days=1), ["Alex"], table_fn(table))
    results = [e for e in p.events if isinstance(e, VoteResult) and e.kind == "endgame"]
    assert results[0].target == "banish_again" and results[0].counts == {"end": 4}
    assert isinstance(p.events[-1], GameEnded) and p.events[-1].reason != "endgame_vote"


def test_endgame_not_reached_above_threshold():
    p = play(scenario(endgame={"enabled": True, "at_players": 4}, max_days=1), ["Alex"],
             table_fn(votes("vote", 1, 1, BEA_OUT)))
    assert not any(isinstance(e, VoteCast) and e.kind == "endgame" for e in p.events)


# -- closing and night voting -----------------------------------------------------------------------------


def test_max_days_closes_the_game():
    p = play(scenario(max_days=1), ["Fay"], first_legal)
    papers = {"Alex": "Bea", "Bea": "Alex", "Cal": "Alex", "Dana": "Alex", "Eli": "Alex", "Fay": "Alex"}
    assert briefs(p.after_setup()) == [
        ("day", 1),
        *ballot("banish", 1, papers),
        ("result", "banish", 1, "decided", "Alex", {"Alex": 5, "Bea": 1}, ()),
        ("banished", "Alex", "faithful"),
        ("vote", "murder", 1, "Fay", "Bea", True),
        ("result", "murder", 1, "decided", "Bea", {"Bea": 1}, ()),
        ("murdered", "Bea"),
        ("end", "traitors", "max_days"),
    ]
    assert p.events[-1].phase == "night" and p.events[-1].day == 1


GUS_OUT = {n: "Gus" for n in SEVEN if n != "Gus"} | {"Gus": "Fay"}


def _unanimity(murders, ballots=3, rule="unanimity"):
    night = {"murder_rule": rule, "unanimity_ballots": ballots}
    sc = scenario(players=7, traitors=2, max_days=1, night=night)
    table = {**votes("vote", 1, 1, GUS_OUT)}
    for number, papers in enumerate(murders, start=1):
        table.update(votes("murder", 1, number, papers))
    return play(sc, ["Alex", "Bea"], table_fn(table))


def test_murder_unanimity_revotes():
    split, agree = {"Alex": "Dana", "Bea": "Eli"}, {"Alex": "Eli", "Bea": "Eli"}
    p = _unanimity([split, agree])
    night = [b for b in briefs(p.events) if b[1:2] == ("murder",) or b[0] in ("murdered", "end")]
    assert night == [
        *ballot("murder", 1, split),
        ("result", "murder", 1, "no_decision", None, {"Dana": 1, "Eli": 1}, ("Dana", "Eli")),
        *ballot("murder", 2, agree),
        ("result", "murder", 2, "decided", "Eli", {"Eli": 2}, ()),
        ("murdered", "Eli"),
        ("end", "traitors", "max_days"),
    ]
    results = [e for e in p.events if isinstance(e, VoteResult) and e.kind == "murder"]
    assert all(e.audience == ("Alex", "Bea") for e in results)


def test_murder_unanimity_majority_is_not_enough_until_last_ballot():
    # 3 Traitors: a 2-1 majority is no decision until the last ballot, where plurality decides
    night = {"murder_rule": "unanimity", "unanimity_ballots": 2}
    sc = scenario(players=8, traitors=3, max_days=1, night=night)
    papers = {"Alex": "Eli", "Bea": "Eli", "Cal": "Fay"}
    hana_out = {n: "Hana" for n in (*SEVEN, "Hana") if n != "Hana"} | {"Hana": "Gus"}
    table = {**votes("vote", 1, 1, hana_out), **votes("murder", 1, 1, papers),
             **votes("murder", 1, 2, papers)}
    p = play(sc, ["Alex", "Bea", "Cal"], table_fn(table))
    results = [(e.ballot, e.outcome, e.target) for e in results_of(p, "murder")]
    assert results == [(1, "no_decision", None), (2, "decided", "Eli")]
    assert ("murdered", "Eli") in briefs(p.events)


def test_murder_unanimity_exhausted_seeded_tiebreak():
    split = {"Alex": "Dana", "Bea": "Eli"}
    p = _unanimity([split, split, split])
    results = [e for e in p.events if isinstance(e, VoteResult) and e.kind == "murder"]
    assert [(e.ballot, e.outcome) for e in results] == [
        (1, "no_decision"), (2, "no_decision"), (3, "tie_broken")]
    victim = results[-1].target
    assert victim == rules.break_tie(["Dana", "Eli"], derive_rng(0, "tiebreak", "murder", 1))
    assert results[-1].tied == ("Dana", "Eli")
    assert ("murdered", victim) in briefs(p.events)


def test_murder_plurality_split_is_tie_broken_at_once():
    p = _unanimity([{"Alex": "Dana", "Bea": "Eli"}], rule="plurality")
    results = [(e.ballot, e.outcome, e.tied) for e in results_of(p, "murder")]
    assert results == [(1, "tie_broken", ("Dana", "Eli"))]


# -- invalid decisions ------------------------------------------------------------------------------------

FIRST_LEGAL_DAY_1 = {"Alex": "Bea", "Bea": None, "Cal": "Alex", "Dana": "Alex", "Eli": "Alex", "Fay": "Alex"}


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ("Bea", "'Bea' is not one of"),  # a self-vote
        ("Gus", "'Gus' is not one of"),  # not a player
        (Decision(text="no choice"), "None is not one of"),
        (RuntimeError("boom"), "RuntimeError: boom"),  # the agent crashes
        (lambda v, r: None, "AttributeError"),  # not a Decision at all
    ],
)
def test_invalid_vote_retries_then_logged_fallback(bad, error):
    p = play(scenario(), ["Alex"], table_fn({("vote", "Bea"): bad}))
    assert briefs(p.after_setup()) == [
        ("day", 1),
        ("fallback", "Bea", "vote", 3),
        *ballot("banish", 1, FIRST_LEGAL_DAY_1),
        ("result", "banish", 1, "decided", "Alex", {"Alex": 4, "Bea": 1}, ()),
        ("banished", "Alex", "traitor"),
        ("end", "faithful", "all_traitors_gone"),
    ]
    fallback = next(e for e in p.events if isinstance(e, DecisionFallback))
    assert fallback.audience == () and error in fallback.error and "\n" not in fallback.error
    cast = next(e for e in p.events if isinstance(e, VoteCast) and e.voter == "Bea")
    assert (cast.target, cast.valid) == (None, False)
    asked = requests_of(p, "Bea", "vote")
    assert [r.attempt for r in asked] == [1, 2, 3]
    assert asked[0].error is None and all(error in r.error for r in asked[1:])
    assert len({r.seed for r in asked}) == 1


def test_max_attempts_bounds_retries():
    p = play(scenario(), ["Alex"], table_fn({("vote", "Bea"): "Bea"}), max_attempts=1)
    assert len(requests_of(p, "Bea", "vote")) == 1
    assert ("fallback", "Bea", "vote", 1) in briefs(p.events)


def test_retry_succeeds_without_fallback():
    def second_try(view, request):
        return "Bea" if request.attempt == 1 else "Alex"

    p = play(scenario(), ["Alex"], table_fn({("vote", "Bea"): second_try}))
    assert not any(isinstance(e, DecisionFallback) for e in p.events)
    assert ("vote", "banish", 1, "Bea", "Alex", True) in briefs(p.events)


def test_invalid_speech_and_beliefs_are_skipped():
    sc = scenario(discussion={"turns": 1}, beliefs={"enabled": True})
    table = {
        ("speak", "Bea"): Decision(text="   "),
        ("speak", "Cal"): Decision(text="hi", accuses=("Cal",)),  # cannot accuse oneself
        ("speak", "Dana"): ValueError("bad"),
        ("belief", "Eli"): Decision(beliefs={"Alex": 0.5}),  # does not cover everyone
        ("belief", "Fay"): lambda v, r: Decision(beliefs=dict.fromkeys(r.options, 1.5)),
    }
    p = play(sc, ["Alex"], table_fn(table))
    assert [e.speaker for e in p.events if isinstance(e, Statement)] == ["Alex", "Eli", "Fay"]
    beliefs = [e for e in p.events if e.type == "belief_reported"]
    assert [e.observer for e in beliefs] == ["Alex", "Bea", "Cal", "Dana"]
    assert all(e.audience == (e.observer,) for e in beliefs)
    assert beliefs[0].beliefs == dict.fromkeys(("Bea", "Cal", "Dana", "Eli", "Fay"), 0.5)
    fallbacks = [(e.player, e.kind) for e in p.events if isinstance(e, DecisionFallback)]
    assert fallbacks == [("Bea", "speak"), ("Cal", "speak"), ("Dana", "speak"), ("Eli", "belief"),
                         ("Fay", "belief")]


def test_invalid_murder_falls_back_to_seeded_choice():
    p = play(scenario(max_days=1), ["Fay"], table_fn({("murder",): "Fay"}))
    b = briefs(p.events)
    i = b.index(("fallback", "Fay", "murder", 3))
    options = ["Bea", "Cal", "Dana", "Eli"]  # Alex was banished
    victim = rules.break_tie(options, derive_rng(0, "tiebreak", "murder", 1))
    assert b[i + 1:] == [
        ("vote", "murder", 1, "Fay", None, False),
        ("result", "murder", 1, "tie_broken", victim, {}, ()),
        ("murdered", victim),
        ("end", "traitors", "max_days"),
    ]


def test_all_invalid_banish_votes_revote_among_everyone():
    p = play(scenario(max_days=1, banishment={"second_tie": "no_banishment"}), ["Alex"],
             table_fn({("vote",): "nobody"}))
    results = [(e.ballot, e.outcome, e.counts) for e in results_of(p, "banish")]
    assert results == [(1, "tie", {}), (2, "no_decision", {})]
    assert not any(isinstance(e, Banished) for e in p.events)


# -- what players are told --------------------------------------------------------------------------------


@pytest.mark.parametrize("reveal", [True, False])
def test_reveal_traitor_count(reveal):
    p = play(scenario(players=7, traitors=2, max_days=1, reveal_traitor_count=reveal), ["Alex", "Bea"],
             first_legal)
    for name, agent in p.agents.items():
        assert agent.calls
        for v, _ in agent.calls:
            if name in ("Alex", "Bea"):
                assert v.n_traitors == 2 and v.role == "traitor"
            else:
                assert v.n_traitors == (2 if reveal else None) and v.role == "faithful"


def test_model_calls_of_every_attempt_are_logged_for_the_host_only():
    record = ModelCallRecord(purpose="vote", model="fake", route="structured", prompt_tokens=7)

    def with_calls(view, request):
        choice = "Bea" if request.attempt == 1 else "Alex"  # first answer illegal (a self-vote)
        return Decision(choice=choice, calls=(record.model_copy(update={"attempts": request.attempt}),))

    p = play(scenario(), ["Alex"], table_fn({("vote", "Bea"): with_calls}))
    calls = [e for e in p.events if isinstance(e, ModelCall)]
    assert [(e.player, e.attempts, e.audience, e.prompt_tokens) for e in calls] == [
        ("Bea", 1, (), 7), ("Bea", 2, (), 7)]
    b = briefs(p.after_setup())
    assert b[:3] == [("day", 1), ("model_call",), ("model_call",)]  # logged before the papers
    assert ("vote", "banish", 1, "Bea", "Alex", True) in b and not any(t[0] == "fallback" for t in b)
    for name in SIX:
        assert not any(isinstance(e, ModelCall) for v, _ in p.agents[name].calls for e in v.events)
