"""``lingqu init``: schema by Alembic plus the reference data; running it again changes nothing."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lingqu.db.base import Base, load_all_models
from lingqu.db.engine import get_engine, unit_of_work
from lingqu.reference.service import init_database


def _counts(url):
    with unit_of_work(url) as s:
        return {t: s.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
                for t in ("city", "district", "standard", "test_item", "catalogue_category", "audit_log")}


def test_init_twice_changes_nothing(db_url):
    before = _counts(db_url)
    report = init_database(db_url)
    assert not report.changed
    assert _counts(db_url) == before


def test_reference_data_is_loaded_with_its_facts(db_url):
    counts = _counts(db_url)
    assert counts["city"] == 6 and counts["catalogue_category"] == 22 and counts["test_item"] == 33
    from lingqu.reference.service import standards_files

    shipped = sum(len(list(csv.DictReader(p.open(encoding="utf-8-sig")))) for p in standards_files())
    assert counts["standard"] == shipped >= 33
    assert counts["district"] > 60
    with unit_of_work(db_url) as s:
        row = s.execute(sa.text("SELECT effective, replaces, adopts FROM standard WHERE code = 'GB 9706.1-2020'")).one()
        assert str(row[0]) == "2023-05-01" and "GB 9706.1-2007" in row[1] and row[2] == "IEC 60601-1:2012 MOD"
        # unknown facts stay empty: never an invented date
        assert s.execute(sa.text("SELECT issued FROM standard WHERE code = 'GB 31241-2014'")).scalar() is None
        assert s.execute(sa.text("SELECT name_zh FROM district WHERE city_code = '440300' AND name_zh = '宝安区'")).scalar()


def test_a_corrected_reference_fact_is_updated_and_audited(db_url):
    with unit_of_work(db_url) as s:
        s.execute(sa.text("UPDATE standard SET title_en = 'old title' WHERE code = 'GB/T 35590-2017'"))
    report = init_database(db_url)
    assert report.updated["standard"] == 1
    with unit_of_work(db_url) as s:
        after = s.execute(sa.text("SELECT CAST(after AS TEXT) FROM audit_log WHERE entity = 'standard' AND action = 'update'")).scalar()
    assert "power banks" in after


def test_migrations_match_the_models(db_url):
    """The Alembic migration creates exactly the tables and columns the models declare."""
    load_all_models()
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


@pytest.mark.parametrize("name", ["standards_seed.csv", "power_bank_test_items.csv", "mdr_catalog_2017.csv",
                                  "power_bank_sampling_results.csv", "credit_risk_grades.csv"])
def test_shipped_reference_files_match_the_shared_originals(name):
    """Lingqu ships copies of ../shared/reference; when the shared folder is beside the checkout,
    the copies must not have drifted from it."""
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "reference" / name
    if not shared.is_file():
        pytest.skip("../shared/reference is not beside this checkout")
    shipped = resources.files("lingqu") / "data" / name
    assert shipped.read_bytes() == shared.read_bytes()
