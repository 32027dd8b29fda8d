"""Switching rules of GB/T 2828.1-2012 / ISO 2859-1:1999 clause 9, walked lot by lot.

Expected states come from the text of the rules (clause 9.3.1-9.3.4, 9.3.3.2 switching score, 9.4
discontinuation) as quoted in S49 (sqconline.com "Switching rules ISO 2859-1"; aqlrule.com manual) and
the project brief: each scenario lists, after every lot, the severity and switching score a person
applying the standard by hand arrives at.
"""

from __future__ import annotations

import pytest

from lingqu.stats.acceptance import (
    AcceptanceParameterError,
    DoubleSamplingPlan,
    LotResult,
    SingleSamplingPlan,
    SwitchingState,
    lookup_plan,
    score_points,
    tighter_acceptance_number,
)

A, R = True, False  # lot accepted / not accepted


def walk(results, state=None, points=2, **lot_kwargs):
    """Apply lots in order; return the (stage, switching score) after each lot."""
    state = state or SwitchingState.start()
    trail = []
    for accepted in results:
        state = state.after(LotResult(accepted, points if accepted else 0, **lot_kwargs))
        trail.append((state.stage, state.switching_score))
    return state, trail


def test_two_of_five_consecutive_lots_not_accepted_switch_normal_to_tightened():
    state, trail = walk([A, R, A, A, R])
    assert [s for s, _ in trail] == ["normal"] * 4 + ["tightened"]
    assert "2 of the last 5" in state.reason and state.clause == "9.3.1"


def test_two_rejections_more_than_five_lots_apart_do_not_tighten():
    # lots 1 and 6 not accepted: the 5-lot window at lot 6 is lots 2-6, with one rejection only.
    _, trail = walk([R, A, A, A, A, R])
    assert [s for s, _ in trail] == ["normal"] * 6


def test_two_consecutive_rejections_tighten_at_once():
    _, trail = walk([R, R])
    assert [s for s, _ in trail] == ["normal", "tightened"]


def test_tightened_returns_to_normal_after_five_consecutive_acceptances():
    start = SwitchingState.start("tightened")
    state, trail = walk([A, A, R, A, A, A, A, A], state=start)
    assert [s for s, _ in trail] == ["tightened"] * 7 + ["normal"]
    assert state.switching_score == 0 and state.clause == "9.3.2"


def test_five_lots_not_accepted_on_tightened_discontinue_inspection():
    # Cumulative, not consecutive: acceptances in between (fewer than five in a row) do not reset the count.
    state, trail = walk([R, A, R, A, A, R, A, R, A, A, A, R], state=SwitchingState.start("tightened"))
    assert [s for s, _ in trail] == ["tightened"] * 11 + ["discontinued"]
    assert state.clause == "9.4"
    with pytest.raises(AcceptanceParameterError, match="discontinued"):
        state.after(LotResult(True))
    resumed = state.resume()
    assert (resumed.stage, resumed.tightened_not_accepted) == ("tightened", 0)


def test_switching_score_with_acceptance_number_0_or_1_adds_2_per_accepted_lot():
    # 15 accepted lots x 2 = 30 -> reduced after the 15th lot.
    state, trail = walk([A] * 15, points=2)
    assert trail[:3] == [("normal", 2), ("normal", 4), ("normal", 6)]
    assert trail[13] == ("normal", 28) and trail[14] == ("reduced", 0)
    assert state.clause == "9.3.3"


def test_switching_score_with_acceptance_number_2_or_more_adds_3_and_resets_when_not_tighter():
    # Plan: lot 5000, level II, AQL 1.0 -> code L, Table 2-A: 200, 5/6; one step tighter (0.65): Ac 3.
    plan = lookup_plan(5000, "II", "1.0").plan
    assert plan == SingleSamplingPlan(200, 5, 6)
    tighter = tighter_acceptance_number("L", "1.0")
    assert tighter == 3
    counts = [0, 1, 3, 2, 4, 0, 1, 2, 0, 0, 1, 2, 3, 0]  # the 5th lot (4 nonconforming) is accepted, not at Ac 3
    state = SwitchingState.start()
    scores = []
    for d in counts:
        accepted = plan.judge(d)
        state = state.after(LotResult(accepted, score_points(plan, accepted, nonconforming=d, tighter_ac=tighter)))
        scores.append((state.stage, state.switching_score))
    assert scores == [("normal", 3), ("normal", 6), ("normal", 9), ("normal", 12), ("normal", 0), ("normal", 3),
                      ("normal", 6), ("normal", 9), ("normal", 12), ("normal", 15), ("normal", 18), ("normal", 21),
                      ("normal", 24), ("normal", 27)]
    state = state.after(LotResult(True, 3))  # 27 + 3 = 30
    assert state.stage == "reduced"


def test_double_sampling_scores_3_only_when_accepted_on_the_first_sample():
    plan = DoubleSamplingPlan(80, 3, 6, 160, 9, 10)
    assert plan.judge(2) == (True, "first")
    assert score_points(plan, True, decided_after="first") == 3
    assert plan.judge(4, 3) == (True, "second")
    assert score_points(plan, True, decided_after="second") == 0
    assert plan.judge(4) == (None, "first")  # a second sample is needed


def test_a_rejection_resets_the_switching_score_but_does_not_tighten_alone():
    _, trail = walk([A] * 10 + [R] + [A] * 3, points=2)
    assert trail[9] == ("normal", 20) and trail[10] == ("normal", 0) and trail[13] == ("normal", 6)


def test_reduced_needs_steady_production_and_the_authoritys_approval():
    state, trail = walk([A] * 15, points=2, production_steady=False)
    assert trail[-1] == ("normal", 30) and "steady" in state.reason
    state = state.after(LotResult(True, 2, reduced_desirable=False))
    assert (state.stage, state.switching_score) == ("normal", 32) and "approved" in state.reason
    state = state.after(LotResult(True, 2))
    assert state.stage == "reduced"


@pytest.mark.parametrize(("lot", "fragment"), [
    (LotResult(False), "not accepted"),
    (LotResult(True, production_steady=False), "irregular"),
    (LotResult(True, normal_required=True), "responsible authority"),
])
def test_reduced_returns_to_normal(lot, fragment):
    state = SwitchingState.start("reduced")
    state = state.after(LotResult(True))
    assert state.stage == "reduced"
    after = state.after(lot)
    assert (after.stage, after.switching_score, after.clause) == ("normal", 0, "9.3.4")
    assert fragment in after.reason


def test_a_full_history_normal_reduced_normal_tightened_normal():
    state = SwitchingState.start()
    stages = []
    for accepted in [A] * 15 + [A, A, R] + [R, A, R] + [A] * 5:
        state = state.after(LotResult(accepted, 2 if accepted else 0))
        stages.append(state.stage)
    assert stages[14] == "reduced"             # score 30 after lot 15
    assert stages[15:17] == ["reduced"] * 2    # lots 16-17 accepted on reduced
    assert stages[17] == "normal"              # lot 18 not accepted on reduced (it does not count on normal)
    assert stages[18:20] == ["normal"] * 2     # lot 19 is the first rejection on normal
    assert stages[20] == "tightened"           # lot 21: second rejection among lots 19-21 on normal
    assert stages[21:25] == ["tightened"] * 4
    assert stages[25] == "normal"              # lots 22-26 accepted on tightened


def test_state_round_trips_through_a_dict():
    state, _ = walk([A, R, A])
    assert SwitchingState.from_dict(state.to_dict()) == state


def test_score_points_rejects_missing_tighter_acceptance_number():
    with pytest.raises(AcceptanceParameterError) as err:
        score_points(SingleSamplingPlan(200, 5, 6), True, nonconforming=1)
    assert err.value.field == "tighter_ac"
