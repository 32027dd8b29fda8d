"""The edition in force on a date, from replaces / replaced_by and same-number editions."""

from __future__ import annotations

import datetime as dt

import pytest

from lingqu.db.engine import unit_of_work
from lingqu.exceptions import NotFound
from lingqu.standard.service import edition_on


def _on(db_url, code, day):
    with unit_of_work(db_url) as s:
        return edition_on(s, code, dt.date.fromisoformat(day))


def test_gb_9706_1_before_the_2020_edition_took_effect_is_the_2007_edition(db_url):
    out = _on(db_url, "GB 9706.1", "2022-06-01")
    assert out["code"] == "GB 9706.1-2007"
    assert out["effective"] is None and "not recorded" in out["reason"]  # no invented date
    assert "2023-05-01" in out["reason"]


def test_gb_9706_1_after_2023_05_01_is_the_2020_edition(db_url):
    out = _on(db_url, "GB 9706.1", "2024-01-01")
    assert out["code"] == "GB 9706.1-2020" and out["effective"] == "2023-05-01"
    assert out["query"] == "GB 9706.1" and out["on"] == "2024-01-01"


def test_chain_lists_every_edition_oldest_first_with_replacements(db_url):
    chain = _on(db_url, "gb9706.1", "2024-01-01")["chain"]
    # the 2020 edition replaced both GB 9706.1-2007 and GB 9706.15-2008 (its foreword; S28, S67)
    assert [c["code"] for c in chain] == ["GB 9706.1-1988", "GB 9706.1-1995", "GB 9706.15-1999", "GB 9706.1-2007",
                                          "GB 9706.15-2008", "GB 9706.1-2020"]
    assert chain[3] == {"code": "GB 9706.1-2007", "status": "superseded", "effective": None, "replaced_by": ["GB 9706.1-2020"]}


def test_the_day_a_new_edition_takes_effect_it_is_in_force(db_url):
    assert _on(db_url, "GB 31241", "2024-01-01")["code"] == "GB 31241-2022"
    assert _on(db_url, "GB 31241", "2023-12-31")["code"] == "GB 31241-2014"


def test_no_edition_in_force_before_the_first_took_effect_is_null_with_reason(db_url):
    out = _on(db_url, "GB 31241", "2010-01-01")
    assert out["code"] is None
    assert "2015-08-01" in out["reason"] and "GB 31241-2014" in out["reason"]


def test_a_merged_standard_resolves_to_its_replacement(db_url):
    assert _on(db_url, "GB 8898", "2024-01-01")["code"] == "GB 4943.1-2022"


def test_an_unknown_number_is_not_found(db_url):
    with pytest.raises(NotFound):
        _on(db_url, "GB 1", "2024-01-01")
