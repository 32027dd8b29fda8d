"""The demo world loads through the ordinary importers, twice without change, with its calibration
visible in the database (yearly batch pass rates in the published 60–80 % band)."""

from __future__ import annotations

import sqlalchemy as sa

from lingqu.db.engine import unit_of_work
from lingqu.simulate.loading import load_world
from lingqu.simulate.world import generate_world


def test_demo_world_loads_once_and_is_calibrated(db_url, tmp_path_factory):
    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=3, enterprises=300)
    first = load_world(world, db_url)
    assert all(r.rejected == 0 for r in first), [(r.kind, r.rejected, r.rejects_file) for r in first if r.rejected]
    assert all(r.read == r.imported for r in first)
    again = load_world(world, db_url)
    assert all(r.imported == 0 and r.unchanged == r.read for r in again)
    with unit_of_work(db_url) as s:
        years = s.execute(sa.text(
            "SELECT substr(CAST(sampled_on AS TEXT), 1, 4) AS y, COUNT(*), "
            "SUM(CASE WHEN passed THEN 1 ELSE 0 END) FROM batch WHERE cluster = 'power_bank' GROUP BY y ORDER BY y"
        )).all()
        users = {r[0]: r[1] for r in s.execute(sa.text("SELECT username, role FROM app_user")).all()}
        scoped = s.execute(sa.text("SELECT uscc FROM app_user WHERE role = 'enterprise'")).scalar()
        has_batches = s.execute(sa.text(
            "SELECT COUNT(*) FROM batch b JOIN enterprise e ON e.id = b.enterprise_id WHERE e.uscc = :u"), {"u": scoped}).scalar()
    assert [y for y, _, _ in years] == ["2022", "2023", "2024", "2025"]
    for year, n, passed in years:
        assert 0.60 <= passed / n <= 0.80, (year, passed / n)
    assert set(users.values()) == {"regulator", "enterprise", "institution", "admin"}
    assert has_batches > 0


def test_sampled_item_names_join_the_reference_items(db_url, tmp_path_factory):
    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=5, enterprises=60)
    load_world(world, db_url)
    with unit_of_work(db_url) as s:
        unmatched = s.execute(sa.text(
            "SELECT DISTINCT r.test_item FROM test_result r LEFT JOIN test_item t ON t.name_zh = r.test_item WHERE t.id IS NULL"
        )).scalars().all()
    assert unmatched == []


def test_demo_world_has_products_for_every_enterprise_and_real_change_alerts(db_url, tmp_path_factory):
    """Every enterprise makes at least one categorised product, and loading the demo raises
    standard-change alerts for certificates citing superseded editions (GB 31241-2014,
    GB 9706.1-2007 ...), with no duplicates when loaded again."""
    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=3, enterprises=300)
    load_world(world, db_url)
    with unit_of_work(db_url) as s:
        without = s.execute(sa.text(
            "SELECT COUNT(*) FROM enterprise e WHERE NOT EXISTS (SELECT 1 FROM product p WHERE p.enterprise_id = e.id)")).scalar()
        alerts = s.execute(sa.text(
            "SELECT st.code, COUNT(*) FROM standard_change_alert a JOIN standard st ON st.id = a.standard_id GROUP BY st.code")).all()
    assert without == 0
    by_code = dict(alerts)
    assert by_code.get("GB 31241-2014", 0) > 0 and by_code.get("GB 9706.1-2007", 0) > 0
    load_world(world, db_url)
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT COUNT(*) FROM standard_change_alert")).scalar() == sum(by_code.values())
