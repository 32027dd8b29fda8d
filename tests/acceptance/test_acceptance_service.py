"""Product lines, lot records and the switching state kept in the database (SQLite and PostgreSQL).

Expected plans: GB/T 2828.1 Table 1 and Tables 2-A/2-B/3-A as checked cell by cell in
tests/stats/test_acceptance_tables.py; expected switching: clause 9 as in tests/stats/test_acceptance_switching.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from lingqu.acceptance import service
from lingqu.acceptance.models import AcceptanceLine, LotInspection
from lingqu.audit.models import AuditEntry
from lingqu.audit.service import verify
from lingqu.db.engine import unit_of_work
from lingqu.exceptions import NotFound, ValidationError


def _create(db_url, code="CELL-A", aql="1.0", scheme="single", **kw):
    with unit_of_work(db_url) as s:
        return service.create_line(s, code, "II", aql, scheme, **kw)


def _lot(db_url, code, lot_size, d, second=None, **kw):
    with unit_of_work(db_url) as s:
        return service.record_lot(s, code, lot_size, d, second, inspected_on=dt.date(2025, 3, 1), **kw)


def test_created_line_starts_on_normal_and_is_audited(db_url):
    out = _create(db_url, name="电芯来料", supplier="某电池厂")
    assert (out["stage"], out["switching_score"], out["level"], out["aql"]) == ("normal", 0, "II", "1.0")
    with unit_of_work(db_url) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "acceptance_line")).one()
        assert (entry.action, entry.entity_key, entry.after["aql"]) == ("insert", "CELL-A", "1.0")


def test_duplicate_or_bad_line_is_rejected_with_the_field_named(db_url):
    _create(db_url)
    with pytest.raises(ValidationError) as err:
        _create(db_url)
    assert err.value.field == "line"
    with pytest.raises(ValidationError) as err:
        _create(db_url, code="X", aql="0.5")
    assert err.value.field == "aql"
    with pytest.raises(ValidationError) as err:
        _create(db_url, code="Y", aql="25", measure="percent_nonconforming")
    assert err.value.field == "measure"


def test_two_rejections_in_five_lots_tighten_and_the_next_plan_is_the_tightened_one(db_url):
    _create(db_url)
    # Lot 1000, level II, AQL 1.0 -> J: normal 80, 2/3 (Table 2-A); tightened 80, 1/2 (Table 2-B).
    first = _lot(db_url, "CELL-A", 1000, 1)
    assert (first["accepted"], first["plan"], first["stage"]) == (True, {"n": 80, "ac": 2, "re": 3}, "normal")
    assert first["score_points"] == 3 and first["switching_score_after"] == 3  # 1 <= Ac 1 at AQL 0.65
    _lot(db_url, "CELL-A", 1000, 3)
    _lot(db_url, "CELL-A", 1000, 0)
    out = _lot(db_url, "CELL-A", 1000, 4)
    assert out["stage_after"] == "tightened" and "9.3.1" in out["reason"]
    assert out["next"]["plan"]["stage"] == "tightened" and (out["next"]["plan"]["n"], out["next"]["plan"]["ac"]) == (80, 1)
    with unit_of_work(db_url) as s:
        status = service.line_status(s, "CELL-A")
        lots = s.scalars(select(LotInspection).order_by(LotInspection.seq)).all()
        assert [x.accepted for x in lots] == [True, False, True, False]
        assert [x.stage for x in lots] == ["normal"] * 4 and lots[-1].stage_after == "tightened"
        line = s.scalars(select(AcceptanceLine)).one()
        assert (line.stage, line.lot_count) == ("tightened", 4)
        assert verify(s).ok
    assert status["next"]["stage"] == "tightened"
    assert status["next"]["plan"]["table"] == "Table 2-B"
    assert "0 of 5 consecutive lots accepted" in status["next"]["progress"]
    assert len(status["recent_lots"]) == 4 and status["recent_lots"][0]["seq"] == 4


def test_thirty_points_switch_to_reduced_and_a_rejection_brings_normal_back(db_url):
    _create(db_url, code="PACK", aql="0.65")
    # Lot 500, level II, AQL 0.65 -> H: 50, 1/2 (Table 2-A): Ac 1, so +2 per accepted lot (9.3.3.2).
    for i in range(15):
        out = _lot(db_url, "PACK", 500, 0)
    assert out["switching_score_after"] == 0 and out["stage_after"] == "reduced"
    with unit_of_work(db_url) as s:
        status = service.line_status(s, "PACK", 500)
    # Table 2-C row H at 0.65: arrow down to row J, 32, 0/1 (S46 reduced n and Ac; Re = Ac + 1).
    nxt = status["next"]["plan"]
    assert (nxt["table"], nxt["plan_code_letter"], nxt["n"], nxt["ac"], nxt["re"]) == ("Table 2-C", "J", 32, 0, 1)
    out = _lot(db_url, "PACK", 500, 1)
    assert (out["stage"], out["accepted"], out["stage_after"]) == ("reduced", False, "normal")


def test_double_sampling_needs_the_second_count_only_when_undecided(db_url):
    _create(db_url, code="DBL", scheme="double")
    # Lot 1000, level II, AQL 1.0 -> Table 3-A row J: 50, 0/3 then cumulative 100, 3/4.
    with pytest.raises(ValidationError) as err:
        _lot(db_url, "DBL", 1000, 1)
    assert err.value.field == "nonconforming_second" and "second sample of 50" in err.value.message
    with pytest.raises(ValidationError):
        _lot(db_url, "DBL", 1000, 0, 1)  # decided on the first sample: no second count
    out = _lot(db_url, "DBL", 1000, 1, 2)
    assert (out["accepted"], out["decided_after"], out["sample_inspected"], out["score_points"]) == (True, "second", 100, 0)
    out = _lot(db_url, "DBL", 1000, 0)
    assert (out["accepted"], out["decided_after"], out["score_points"], out["switching_score_after"]) == \
        (True, "first", 3, 3)


def test_counts_are_checked_against_the_sample(db_url):
    _create(db_url)
    with pytest.raises(ValidationError) as err:
        _lot(db_url, "CELL-A", 1000, 81)
    assert err.value.field == "nonconforming"
    with pytest.raises(ValidationError) as err:
        _lot(db_url, "CELL-A", 1000, -1)
    assert err.value.field == "nonconforming"
    with pytest.raises(ValidationError) as err:
        _lot(db_url, "CELL-A", 0, 0)
    assert err.value.field == "lot_size"
    with pytest.raises(NotFound):
        _lot(db_url, "NOPE", 1000, 0)


def test_discontinued_line_refuses_lots_until_resumed_on_tightened(db_url):
    _create(db_url, code="BAD", start_stage="tightened")
    for _ in range(5):
        out = _lot(db_url, "BAD", 1000, 5)
    assert out["stage_after"] == "discontinued" and out["next"]["plan"] is None
    with pytest.raises(ValidationError, match="discontinued"):
        _lot(db_url, "BAD", 1000, 0)
    with unit_of_work(db_url) as s:
        resumed = service.resume_line(s, "BAD")
    assert resumed["stage"] == "tightened" and "9.4" in resumed["reason"]
    assert _lot(db_url, "BAD", 1000, 0)["stage"] == "tightened"


def test_a_failed_record_leaves_no_trace(db_url):
    _create(db_url)
    with pytest.raises(ValidationError):
        _lot(db_url, "CELL-A", 1000, 200)
    with unit_of_work(db_url) as s:
        assert s.scalars(select(LotInspection)).all() == []
        assert s.scalars(select(AuditEntry).where(AuditEntry.entity == "lot_inspection")).all() == []
