"""GB/T 2828.1-2012 / ISO 2859-1:1999 tables, compared cell by cell with a transcription of the standard.

Expected values: ``s46_reference`` (S46, MIL-STD-105E/ANSI Z1.4 tables with arrows already followed,
identical to ISO 2859-1 for the code letters and the normal and tightened single plans). Where the
1999 edition changed a table, the edition change is applied on top of S46 here, next to the test,
with the foreword sentence that says so (S48).
"""

from __future__ import annotations

import pytest

from lingqu.exceptions import ValidationError
from lingqu.stats.acceptance import (
    AQLS,
    LEVELS,
    AcceptanceParameterError,
    DoubleSamplingPlan,
    SingleSamplingPlan,
    code_letter,
    lookup_plan,
    table_plan,
    tighter_acceptance_number,
)
from lingqu.stats.acceptance.tables import DOWN, UP, master_table

from . import s46_reference as s46

LETTERS = s46.LETTERS
CELLS = [(letter, aql) for letter in LETTERS for aql in AQLS]


# --- Table 1: every code-letter cell (15 lot-size bands x 7 levels), at both ends of each band -----------
@pytest.mark.parametrize("band", range(15))
@pytest.mark.parametrize("level", LEVELS)
def test_code_letter_matches_table_1_at_both_ends_of_every_band(band, level):
    low, high = s46.LOT_BANDS[band]
    expected = s46.CODE_LETTERS[band][LEVELS.index(level)]  # S46 "letters" matrix
    assert code_letter(low, level) == expected
    assert code_letter(high if high is not None else 10**9, level) == expected


def test_a_lot_of_one_item_reads_in_the_first_band_and_is_inspected_entirely():
    plan = lookup_plan(1, "II", "6.5")
    assert plan.code_letter == "A" and plan.hundred_percent_inspection and plan.units_to_inspect == 1


# --- Tables 2-A and 2-B: every cell, arrows resolved -----------------------------------------------------
@pytest.mark.parametrize(("letter", "aql"), CELLS)
def test_normal_single_plan_matches_table_2a(letter, aql):
    i, c = LETTERS.index(letter), AQLS.index(aql)
    _, _, plan = table_plan("normal", "single", letter, aql)
    # S46 ANSIASQSingleNormalss / ...ac / ...re
    assert (plan.n, plan.ac, plan.re) == (s46.NORMAL_N[letter][c], s46.NORMAL_AC[c][i], s46.NORMAL_RE[c][i])


@pytest.mark.parametrize(("letter", "aql"), CELLS)
def test_tightened_single_plan_matches_table_2b(letter, aql):
    i, c = LETTERS.index(letter), AQLS.index(aql)
    _, _, plan = table_plan("tightened", "single", letter, aql)
    # S46 ANSASQSingleTightenedss / ...ac / ...re
    assert (plan.n, plan.ac, plan.re) == (s46.TIGHTENED_N[letter][c], s46.TIGHTENED_AC[c][i], s46.TIGHTENED_RE[c][i])


@pytest.mark.parametrize(("letter", "aql"), CELLS)
def test_reduced_single_plan_matches_table_2c_without_the_1987_gap(letter, aql):
    i, c = LETTERS.index(letter), AQLS.index(aql)
    _, _, plan = table_plan("reduced", "single", letter, aql)
    # n and Ac: S46 ANSIASQSingleReducedss / ...ac. Re: ISO 2859-1:1999 foreword (S48) "reduced plans have
    # been changed to eliminate the gap between the acceptance and rejection numbers", so Re = Ac + 1.
    ac = s46.REDUCED_AC[c][i]
    assert (plan.n, plan.ac, plan.re) == (s46.REDUCED_N[letter][c], ac, ac + 1)


# --- Tables 3-A, 3-B, 3-C ---------------------------------------------------------------------------------
# ISO 2859-1:1999 foreword (S48): "some changes have been made to the double sampling plans to provide a
# smaller average sample size": 1 4 / 4 5 became 1 3 / 4 5, and (normal) 3 7 / 8 9 became 3 6 / 9 10.
EDITION_1999 = {
    "normal": {(1, 4, 4, 5): (1, 3, 4, 5), (3, 7, 8, 9): (3, 6, 9, 10)},
    "tightened": {(1, 4, 4, 5): (1, 3, 4, 5)},
}
# Reduced double plans of S46 (1987, with the Ac/Re gap) -> the ISO plan for the 1999 reduced single plan
# of the same cell (Re = Ac + 1, as above) via the single<->double correspondence of Tables 2-A/3-A
# (0/1 -> no double plan, 1/2 -> 0 2/1 2, 2/3 -> 0 3/3 4, 3/4 -> 1 3/4 5, ...). This table is derived, not
# transcribed (see docs/methods/acceptance-sampling.md). Keys: S46 (Ac1, Re1, Ac2, Re2).
REDUCED_1999 = {
    (0, 2, 0, 2): None,             # single 0/2 -> 0/1
    (0, 3, 0, 4): (0, 2, 1, 2),     # single 1/3 -> 1/2
    (0, 4, 1, 5): (0, 2, 1, 2),     # single 1/4 -> 1/2
    (0, 4, 3, 6): (0, 3, 3, 4),     # single 2/5 -> 2/3
    (1, 5, 4, 7): (1, 3, 4, 5),     # single 3/6 -> 3/4
    (2, 7, 6, 9): (2, 5, 6, 7),     # single 5/8 -> 5/6
    (3, 8, 8, 12): (3, 6, 9, 10),   # single 7/10 -> 7/8
    (5, 10, 12, 16): (5, 9, 12, 13),  # single 10/13 -> 10/11
    (7, 12, 18, 22): (7, 11, 18, 19),  # single 14/17 -> 14/15
    (11, 17, 26, 30): (11, 16, 26, 27),  # single 21/24 -> 21/22
}


def _expected_double(stage: str, letter: str, aql: str):
    i, c = LETTERS.index(letter), AQLS.index(aql)
    n_each = s46.DOUBLE_N[stage][i][c]
    if n_each == 0:
        return None  # '*': use the single plan
    ac1, ac2 = s46.DOUBLE_AC[stage][c][i]
    re1, re2 = s46.DOUBLE_RE[stage][c][i]
    if stage == "reduced":
        plan = REDUCED_1999[(ac1, re1, ac2, re2)]
        return None if plan is None else (n_each,) + plan
    if stage == "normal" and aql == "100" and re2 == 26:
        re2 = 27  # S46 typo: Re2 = 26 = Ac2 for L..P at AQL 100; the arrow there points to E's 11 16 / 26 27
    key = (ac1, re1, ac2, re2)
    return (n_each,) + EDITION_1999[stage].get(key, key)


@pytest.mark.parametrize("stage", ["normal", "tightened", "reduced"])
@pytest.mark.parametrize(("letter", "aql"), CELLS)
def test_double_plan_matches_table_3(stage, letter, aql):
    _, _, plan = table_plan(stage, "double", letter, aql)
    expected = _expected_double(stage, letter, aql)
    if expected is None:
        assert plan is None
    else:
        n, ac1, re1, ac2, re2 = expected
        assert (plan.n1, plan.ac1, plan.re1, plan.n2, plan.ac2, plan.re2) == (n, ac1, re1, 2 * n, ac2, re2)


def test_tightened_row_s_holds_the_3150_plan_reached_by_arrows_from_q_and_r():
    # S46 ANSASQSingleTightenedss: Q and R at AQL 0.025 -> 3150 (Ac 1, Re 2).
    for letter in "QR":
        row, arrow, plan = table_plan("tightened", "single", letter, "0.025")
        assert (row, arrow, plan) == ("S", "down", SingleSamplingPlan(3150, 1, 2))
    row, _, plan = table_plan("tightened", "double", "R", "0.025")
    assert (row, plan) == ("S", DoubleSamplingPlan(2000, 0, 2, 4000, 1, 2))


def test_master_tables_keep_their_arrows_and_are_resolved_by_code():
    for stage in ("normal", "tightened", "reduced"):
        for scheme in ("single", "double"):
            cells = [t for row in master_table(stage, scheme).cells for t in row]
            assert cells.count(DOWN) >= 10 and cells.count(UP) >= 10


# --- lookups: arrows followed with their sample size -----------------------------------------------------
def test_arrow_is_followed_with_the_sample_size_of_the_plan_it_points_to():
    # Lot 150, level II -> F (Table 1); Table 2-A row F at AQL 1.5 is an arrow down to G: n = 32, 1/2
    # (S46 ANSIASQSingleNormalss row F). S47's README shows 20 (row F's size with G's Ac/Re), which
    # contradicts the table note "use the first sampling plan below the arrow".
    plan = lookup_plan(150, "II", "1.5")
    assert (plan.code_letter, plan.plan_code_letter, plan.arrow) == ("F", "G", "down")
    assert plan.plan == SingleSamplingPlan(32, 1, 2)


def test_s47_readme_example_lot_500_level_ii_aql_1_5():
    # S47 README, 场景1: 批量 500, 检验水平 II, AQL 1.5 -> 样本量 50, Ac 2, Re 3.
    plan = lookup_plan(500, "II", "1.5").to_dict()
    assert (plan["code_letter"], plan["n"], plan["ac"], plan["re"]) == ("H", 50, 2, 3)


def test_plan_json_has_the_keys_of_the_issue_for_single_and_double():
    single = lookup_plan(1000, "II", "1.0").to_dict()
    assert {k: single[k] for k in ("code_letter", "plan_code_letter", "n", "ac", "re")} == \
        {"code_letter": "J", "plan_code_letter": "J", "n": 80, "ac": 2, "re": 3}
    double = lookup_plan(1000, "II", "1.0", "normal", "double").to_dict()
    # Table 3-A row J (each sample 50) at AQL 1.0: 0 3 / 3 4; cumulative sizes 50 and 100.
    assert {k: double[k] for k in ("code_letter", "plan_code_letter", "n1", "ac1", "re1", "n2", "ac2", "re2")} == \
        {"code_letter": "J", "plan_code_letter": "J", "n1": 50, "ac1": 0, "re1": 3, "n2": 100, "ac2": 3, "re2": 4}
    assert double["second_sample_size"] == 50 and double["double_available"] is True


def test_double_star_cell_uses_the_corresponding_single_plan():
    plan = lookup_plan(1000, "II", "0.15", "normal", "double")  # row J, 0.15: single plan 0/1 -> '*'
    assert plan.scheme_used == "single" and plan.plan == SingleSamplingPlan(80, 0, 1)
    assert plan.to_dict()["double_available"] is False and plan.to_dict()["n1"] is None


@pytest.mark.parametrize("aql", AQLS)
def test_every_preferred_aql_gives_a_plan_for_every_stage_and_scheme(aql):
    for stage in ("normal", "tightened", "reduced"):
        for scheme in ("single", "double"):
            plan = lookup_plan(4000, "II", aql, stage, scheme)
            assert plan.plan.max_sample_size >= 2 and plan.aql == aql


def test_hundred_percent_inspection_when_sample_size_reaches_lot_size():
    plan = lookup_plan(5, "II", "0.65")  # code A, arrow down to F: n = 20 >= 5
    assert plan.plan_code_letter == "F" and plan.hundred_percent_inspection
    assert plan.units_to_inspect == 5 and "100 %" in plan.to_dict()["notes"][0]
    assert not lookup_plan(5000, "II", "0.65").hundred_percent_inspection


def test_tighter_acceptance_number_is_the_next_smaller_aql_in_the_same_row():
    assert tighter_acceptance_number("K", "1.0") == 2   # Table 2-A row K: 1.0 -> 3/4, 0.65 -> 2/3
    assert tighter_acceptance_number("K", "0.65") == 1  # 0.40 -> 1/2
    assert tighter_acceptance_number("K", "0.010") is None


# --- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "field", "fragment"), [
    ({"lot_size": 0}, "lot_size", "at least 1"),
    ({"lot_size": -5}, "lot_size", "at least 1"),
    ({"lot_size": "12.5"}, "lot_size", "whole number"),
    ({"level": "IV"}, "level", "S-1, S-2, S-3, S-4, I, II, III"),
    ({"aql": "0.5"}, "aql", "0.010, 0.015"),
    ({"aql": "abc"}, "aql", "preferred AQL"),
    ({"stage": "loose"}, "stage", "normal, tightened, reduced"),
    ({"scheme": "multiple"}, "scheme", "single, double"),
])
def test_bad_parameters_are_named_with_their_allowed_values(kwargs, field, fragment):
    args = {"lot_size": 1000, "level": "II", "aql": "1.0", "stage": "normal", "scheme": "single"} | kwargs
    with pytest.raises(AcceptanceParameterError) as err:
        lookup_plan(**args)
    assert err.value.field == field and field in err.value.message and fragment in err.value.message
    assert isinstance(err.value, ValidationError) and isinstance(err.value, ValueError)


def test_aql_and_level_spellings_are_normalised():
    assert lookup_plan("1,000", "ⅱ", 1, "正常", "一次").aql == "1.0"
    assert lookup_plan(1000, "s3", "0.01").level == "S-3"
