"""Views are append-only: what a player has seen never changes later, also across a recruitment."""

from __future__ import annotations

import pytest

from tests.scripted import corpus_game
from traitors.events import DayStarted, RecruitAnswered
from traitors.state import replay
from traitors.views import view


@pytest.mark.parametrize("seed", range(12))
def test_each_players_view_only_grows(seed: int) -> None:
    final = corpus_game("classic", seed)
    checkpoints = [i for i, e in enumerate(final.events) if isinstance(e, DayStarted)] + [final.seq]
    earlier: dict[str, tuple] = {}
    for stop in checkpoints:
        state = replay(final.events[:stop])
        for player in state.names:
            seen = view(state, player).events
            before = earlier.get(player, ())
            assert seen[: len(before)] == before, f"{player}'s earlier view changed by seq {stop}"
            earlier[player] = seen


def test_recruits_see_their_offer_without_the_traitors_names() -> None:
    for seed in range(40):
        final = corpus_game("classic", seed)
        answers = [e for e in final.events if isinstance(e, RecruitAnswered)]
        if answers:
            recruit = answers[0].player
            offer_and_answer = [
                e
                for e in view(final, recruit).events
                if getattr(e, "player", None) == recruit and e.type.startswith("recruit")
            ]
            assert offer_and_answer and all(e.audience == (recruit,) for e in offer_and_answer)
            return
    pytest.fail("no recruitment in 40 classic games")
