"""The demo load gives the portals something to show: service requests for the demo enterprise and
institution, structured institution scopes; loading again adds nothing and the result is the same
for the same seed."""

from __future__ import annotations

import json

import sqlalchemy as sa

from lingqu.db.engine import unit_of_work
from lingqu.simulate.loading import load_world
from lingqu.simulate.world import generate_world


def _requests(db_url):
    with unit_of_work(db_url) as s:
        return s.execute(sa.text(
            "SELECT r.request_no, e.uscc, r.topic, r.status, r.institution_id, r.open_to_all FROM service_request r "
            "JOIN enterprise e ON e.id = r.enterprise_id ORDER BY r.request_no")).all()


def test_demo_load_adds_service_requests_once(db_url, tmp_path_factory):
    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=2, enterprises=60)
    load_world(world, db_url)
    first = _requests(db_url)
    load_world(world, db_url)
    assert _requests(db_url) == first
    with unit_of_work(db_url) as s:
        demo_uscc, inst_id = s.execute(sa.text(
            "SELECT e.uscc, i.institution_id FROM app_user e, app_user i "
            "WHERE e.username = 'demo-enterprise' AND i.username = 'demo-institution'")).one()
        scopes = s.execute(sa.text("SELECT scope_standards, scope_items FROM institution WHERE id = :i"), {"i": inst_id}).one()
        texts = s.execute(sa.text("SELECT scope, scope_standards, scope_items FROM institution")).all()
    assert len(first) == 7
    mine = [r for r in first if r.uscc == demo_uscc]
    assert {r.status for r in mine} == {"new", "completed"} and len(mine) == 3
    addressed = [r for r in first if r.institution_id == inst_id]
    assert {r.status for r in addressed} == {"new", "accepted", "completed", "declined"}
    standards, items = (json.loads(v) if isinstance(v, str) else v for v in scopes)
    assert "GB 31241-2022" in standards and "转换效率" in items
    # every entry of the demo scopes is a known standard or test item: the lists hold them all
    for text, std, it in texts:
        std, it = (json.loads(v) if isinstance(v, str) else v for v in (std, it))
        assert len(std) + len(it) == len(text.split(";")), text


def test_demo_requests_are_the_same_for_the_same_seed(db_url, tmp_path_factory, sqlite_template, tmp_path):
    import shutil

    from lingqu.db.engine import dispose_engine

    world = tmp_path_factory.mktemp("world")
    generate_world(world, seed=4, enterprises=40)
    load_world(world, db_url)
    other = tmp_path / "other.db"
    shutil.copy(sqlite_template, other)
    url = f"sqlite:///{other}"
    load_world(world, url)
    try:
        assert [tuple(r)[:4] for r in _requests(db_url)] == [tuple(r)[:4] for r in _requests(url)]
    finally:
        dispose_engine(url)
