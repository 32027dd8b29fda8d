"""Standard change alerts: which editions changed, which enterprises they reach (makers of the
categories, holders of certificates citing the old edition), stored once with a lifecycle."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from lingqu.auth.scope import Scope
from lingqu.db.engine import unit_of_work
from lingqu.exceptions import NotFound, ValidationError
from lingqu.standard import changes

from .kb import GZ, SZ, make_world

AS_OF = dt.date(2026, 11, 24)


def _by_code(result):
    return {c["code"]: c for c in result["changes"]}


def test_ccc_certificate_tested_to_gb_4943_1_2011_is_flagged(db_url):
    """GB 4943.1-2022 took effect on 2023-08-01 (S24) and replaced GB 4943.1-2011: a live CCC
    certificate still citing the 2011 edition (spelled GB4943.1—2011 in the sheet) is flagged."""
    make_world(db_url)
    with unit_of_work(db_url) as s:
        found = _by_code(changes.find_changes(s, AS_OF, 180))
    c = found["GB 4943.1-2011"]
    assert c["change"] == "superseded" and c["transition_on"] == "2023-08-01" and c["successors"] == ["GB 4943.1-2022"]
    assert [(e["uscc"], e["certificates"]) for e in c["enterprises"]] == [(SZ, ["2023011300000001"])]
    # the same certificate also cites GB 31241-2014, superseded by GB 31241-2022 from 2024-01-01 (S22)
    assert found["GB 31241-2014"]["transition_on"] == "2024-01-01"
    assert found["GB 31241-2014"]["enterprises"][0]["certificates"] == ["2023011300000001"]
    # the expired certificate and the Guangzhou maker on the 2022 editions are not flagged
    assert all(GZ not in [e["uscc"] for e in c["enterprises"]] for c in found.values())


def test_a_recent_change_reaches_every_maker_of_the_category(db_url):
    """As of 2023-09-01 the 2011 edition was replaced a month earlier: both power-bank makers
    (category PB, which GB 4943.1 applies to) are affected, with or without a certificate."""
    make_world(db_url)
    with unit_of_work(db_url) as s:
        found = _by_code(changes.find_changes(s, dt.date(2023, 9, 1), 180))
    makers = {e["uscc"]: e for e in found["GB 4943.1-2011"]["enterprises"]}
    assert set(makers) == {SZ, GZ}
    assert makers[GZ]["categories"] == ["PB"] and makers[GZ]["certificates"] == []


def test_a_successor_taking_effect_within_the_window_is_replaced_soon(db_url):
    make_world(db_url)
    with unit_of_work(db_url) as s:
        soon = _by_code(changes.find_changes(s, dt.date(2023, 6, 1), 180))
        later = _by_code(changes.find_changes(s, dt.date(2023, 1, 1), 90))
    assert soon["GB 4943.1-2011"]["change"] == "replaced_soon"
    assert soon["GB 4943.1-2011"]["transition_on"] == "2023-08-01"
    # 2023-08-01 is more than 90 days after 2023-01-01: not yet a change
    assert "GB 4943.1-2011" not in later


def test_window_is_a_setting_and_is_checked(db_url, monkeypatch):
    from lingqu.config import get_settings

    monkeypatch.setenv("LINGQU_STANDARD_CHANGE_DAYS", "30")
    get_settings.cache_clear()
    try:
        make_world(db_url)
        with unit_of_work(db_url) as s:
            assert changes.find_changes(s, AS_OF)["days"] == 30
            with pytest.raises(ValidationError):
                changes.find_changes(s, AS_OF, -1)
    finally:
        get_settings.cache_clear()


def test_scan_stores_alerts_once_and_keeps_their_lifecycle(db_url):
    ids = make_world(db_url)
    with unit_of_work(db_url) as s:
        first = changes.scan(s, AS_OF, 180, actor="test")
    assert first["raised"] == 2 and first["updated"] == 0  # GB 4943.1-2011 and GB 31241-2014 for SZ
    with unit_of_work(db_url) as s:
        again = changes.scan(s, AS_OF, 180, actor="test")
        alerts = changes.list_alerts(s, Scope())
    assert (again["raised"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert {a["code"] for a in alerts} == {"GB 4943.1-2011", "GB 31241-2014"} and all(a["status"] == "new" for a in alerts)
    alert_id = next(a["id"] for a in alerts if a["code"] == "GB 4943.1-2011")
    own = Scope(uscc=SZ)
    with unit_of_work(db_url) as s:
        assert changes.acknowledge(s, alert_id, own, actor="ent")["status"] == "acknowledged"
        assert changes.acknowledge(s, alert_id, own, actor="ent")["status"] == "acknowledged"  # again: no-op
        with pytest.raises(ValidationError):
            changes.close(s, alert_id, "  ", Scope(), actor="reg")
        closed = changes.close(s, alert_id, "证书已换版为 GB 4943.1-2022", Scope(city_code="440300"), actor="reg")
    assert closed["status"] == "closed" and closed["closed_by"] == "reg"
    with unit_of_work(db_url) as s:
        third = changes.scan(s, AS_OF, 180, actor="test")
        kept = {a["id"]: a["status"] for a in changes.list_alerts(s, Scope())}
        with pytest.raises(ValidationError):
            changes.acknowledge(s, alert_id, own)
        n = s.execute(sa.text("SELECT COUNT(*) FROM standard_change_alert")).scalar()
        audited = s.execute(sa.text("SELECT COUNT(*) FROM audit_log WHERE entity = 'standard_change_alert'")).scalar()
    assert third["raised"] == 0 and n == 2 and kept[alert_id] == "closed"
    assert audited >= 3  # raised, acknowledged, closed
    assert ids[SZ]


def test_a_new_certificate_updates_the_open_alert(db_url):
    from lingqu.enterprise.models import Certificate

    ids = make_world(db_url)
    with unit_of_work(db_url) as s:
        changes.scan(s, AS_OF, 180)
        s.add(Certificate(certificate_no="2024011300000077", enterprise_id=ids[SZ], kind="CCC",
                          standard_code="GB 4943.1-2011", expires_on=dt.date(2029, 1, 1), status="valid"))
    with unit_of_work(db_url) as s:
        out = changes.scan(s, AS_OF, 180)
        a = next(a for a in changes.list_alerts(s, Scope()) if a["code"] == "GB 4943.1-2011")
    assert (out["raised"], out["updated"]) == (0, 1)
    assert a["certificates"] == ["2023011300000001", "2024011300000077"]


def test_scopes_enterprise_sees_its_own_city_regulator_its_city(db_url):
    make_world(db_url)
    with unit_of_work(db_url) as s:
        changes.scan(s, dt.date(2023, 9, 1), 180)  # both makers affected
        all_alerts = changes.list_alerts(s, Scope())
        sz = changes.list_alerts(s, Scope(uscc=SZ))
        gz_reg = changes.list_alerts(s, Scope(city_code="440100"))
        gz_alert = next(a for a in all_alerts if a["uscc"] == GZ)
        with pytest.raises(NotFound):
            changes.acknowledge(s, gz_alert["id"], Scope(uscc=SZ))
        with pytest.raises(NotFound):
            changes.close(s, gz_alert["id"], "x", Scope(city_code="440300"))
    assert {a["uscc"] for a in all_alerts} == {SZ, GZ}
    assert {a["uscc"] for a in sz} == {SZ}
    assert {a["uscc"] for a in gz_reg} == {GZ}


def test_certificate_cells_are_read_in_any_spelling():
    keys = changes.cited_keys("GB4943.1—2011，GB/T 9254.1-2021; yy 0505-2012")
    assert {"GB4943.1-2011", "GB9254.1-2021", "YY0505-2012"} <= keys
