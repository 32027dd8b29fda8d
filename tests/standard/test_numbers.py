"""Standard-number normalisation: every spelling meets the indexed tokens."""

from __future__ import annotations

import pytest

from lingqu.standard.numbers import adopted_codes, code_tokens, codes_in_query, split_codes


def test_code_tokens_of_a_recommended_standard_drop_the_T_marker_and_year():
    t = code_tokens("GB/T 35590-2017")
    assert (t.full, t.base, t.bare, t.bare_full) == ("GB35590-2017", "GB35590", "35590", "35590-2017")


def test_international_year_after_colon_is_not_a_part_number():
    t = code_tokens("IEC 60601-1-2:2007")
    assert (t.full, t.base, t.bare) == ("IEC60601-1-2:2007", "IEC60601-1-2", "60601-1-2")


@pytest.mark.parametrize("query", ["GB 9706.1", "gb9706.1", "GB/T 9706.1", "ＧＢ ９７０６.１", "gbt9706.1"])
def test_spellings_of_one_number_share_the_base_token(query):
    assert codes_in_query(query)[0].base == "GB9706.1"


def test_a_bare_number_with_an_em_dash_year_keeps_the_year():
    assert codes_in_query("2828.1—2012")[0].bare_full == "2828.1-2012"


def test_adopts_cell_yields_the_international_codes():
    assert adopted_codes("IEC 62304:2015 (2006+A1:2015) MOD") == ["IEC 62304:2015"]
    assert adopted_codes("ISO 13485:2016 IDT") == ["ISO 13485:2016"]


def test_replaced_by_cell_splits_codes_and_drops_notes():
    assert split_codes("GB 4943.1-2011; GB 8898-2011") == ["GB 4943.1-2011", "GB 8898-2011"]
    assert split_codes("CNCA-C09-02:2025 (for power banks)") == ["CNCA-C09-02:2025"]
