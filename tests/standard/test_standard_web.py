"""Standards pages and API: every fact with its source links, the chain as a timeline, the
edition on a date, applicability and (regulators only) affected counts; change alerts scoped
to the enterprise's own and the regulator's city, acknowledged by the enterprise."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from lingqu.db.engine import unit_of_work
from lingqu.standard import changes

from ..conftest import log_in, make_user
from .kb import GZ, SZ, make_world


def _as(client, db_url, name, role, **scope):
    if role == "institution":
        from lingqu.institution.models import Institution

        with unit_of_work(db_url) as s:
            lab = Institution(name=f"{name}检测中心", kind="lab", city_code="440300")
            s.add(lab)
            s.flush()
            scope["institution_id"] = lab.id
    make_user(db_url, name, role, **scope)
    client.cookies.clear()
    log_in(client, name)
    return client


def _scan(db_url, day=dt.date(2023, 9, 1)):
    with unit_of_work(db_url) as s:
        changes.scan(s, day, 180, actor="test")


def test_detail_page_shows_every_fact_with_source_links_and_the_timeline(db_url, app_client):
    make_world(db_url)
    _scan(db_url)
    r = app_client.get("/standards/" + quote("GB 4943.1-2022"))
    assert r.status_code == 200
    page = r.text
    facts = page[page.index('id="facts"'):page.index("</table>", page.index('id="facts"'))]
    for value in ("音视频、信息技术和通信技术设备 第1部分：安全要求", "2022-07-19", "2023-08-01", "IEC 62368-1:2018 MOD"):
        assert value in facts
    # S24 and S26 expand to their URLs (data/sources.csv, copied from SOURCES.md)
    assert 'href="https://wetuji.com/guifan/gb4943-1-2022.html"' in facts
    assert 'href="http://news.21csp.com.cn/c905/202207/11416062.html"' in facts
    # the chain: both predecessors, drawn by the vendored ECharts
    assert "GB 4943.1-2011" in page and "GB 8898-2011" in page and "/static/vendor/echarts.min.js" in page
    assert "cdn" not in page.lower()
    # applicability and (admin) affected counts
    assert "PB 移动电源" in page and 'id="affected"' in page


def test_unknown_dates_are_shown_as_unknown_never_invented(db_url, app_client):
    page = app_client.get("/standards/" + quote("GB 4943.1-2011")).text
    row = re.search(r"实施日期</th>\s*<td>(.*?)</td>", page, re.S).group(1)
    assert "未知" in row and "20" not in row


def test_edition_in_force_on_a_chosen_date(db_url, app_client):
    page = app_client.get("/standards/" + quote("GB 4943.1-2022"), params={"on": "2023-01-01"}).text
    on = page[page.index('id="edition-on"'):]
    assert "GB 4943.1-2011" in on[:400]
    api = app_client.get("/api/v1/standards/" + quote("GB 4943.1") + "/edition", params={"on": "2024-01-01"}).json()
    assert api["code"] == "GB 4943.1-2022"
    assert app_client.get("/api/v1/standards/" + quote("GB 4943.1") + "/edition", params={"on": "soon"}).status_code == 422


def test_api_detail_and_unknown_code(db_url, app_client):
    body = app_client.get("/api/v1/standards/" + quote("YY/T 0287-2017")).json()
    assert body["kind"] == "YY/T" and body["status"] == "current"
    fact = {f["name"]: f for f in body["facts"]}
    assert fact["effective"]["value"] == "2017-05-01" and fact["effective"]["sources"][0]["label"] == "S30.1"
    assert {c["code"] for c in body["categories"]} >= {"MD07", "IVD"}  # cluster medical_device
    assert body["affected"] is not None
    r = app_client.get("/api/v1/standards/" + quote("GB 12345-1999"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_list_filters_by_category_and_status(db_url, app_client):
    page = app_client.get("/standards", params={"category": "MD21", "status": "current"}).text
    table = page[page.index('id="standard-table"'):]
    assert "YY/T 0664-2020" in table and "YY/T 0664-2008" not in table and "GB 31241-2022" not in table


def test_affected_count_is_for_regulators_only(db_url, anonymous_client):
    make_world(db_url)
    client = _as(anonymous_client, db_url, "ent", "enterprise", uscc=SZ)
    body = client.get("/api/v1/standards/" + quote("GB 4943.1-2022")).json()
    assert body["affected"] is None
    assert 'id="affected"' not in client.get("/standards/" + quote("GB 4943.1-2022")).text
    client = _as(anonymous_client, db_url, "reg-gz", "regulator", city_code="440100")
    assert client.get("/api/v1/standards/" + quote("GB 4943.1-2022")).json()["affected"]["makers"] == 1
    client = _as(anonymous_client, db_url, "lab", "institution")
    assert client.get("/api/v1/standards/" + quote("GB 4943.1-2022")).json()["affected"] is None


def test_enterprise_sees_and_acknowledges_only_its_own_alerts(db_url, anonymous_client):
    make_world(db_url)
    _scan(db_url)
    with unit_of_work(db_url) as s:
        from lingqu.auth.scope import Scope

        alerts = changes.list_alerts(s, Scope())
    own = next(a["id"] for a in alerts if a["uscc"] == SZ and a["code"] == "GB 4943.1-2011")
    other = next(a["id"] for a in alerts if a["uscc"] == GZ)
    client = _as(anonymous_client, db_url, "ent", "enterprise", uscc=SZ)
    body = client.get("/api/v1/standards/changes").json()
    assert {a["uscc"] for a in body["alerts"]} == {SZ} and body["total"] == len(body["alerts"]) > 0
    page = client.get("/standards/changes").text
    assert GZ not in page and "广州某电子有限公司" not in page and "2023011300000001" in page
    assert client.post(f"/api/v1/standards/changes/{other}/ack").status_code == 404
    assert client.post(f"/api/v1/standards/changes/{own}/ack").json()["status"] == "acknowledged"
    assert client.post(f"/api/v1/standards/changes/{own}/close", json={"note": "x"}).status_code == 403
    token = client.cookies.get("lingqu_csrf")
    r = client.post(f"/standards/changes/{other}/ack", data={"csrf_token": token})
    assert r.status_code == 404
    r = client.post(f"/standards/changes/{own}/ack", data={"csrf_token": "wrong"})
    assert r.status_code == 403


def test_city_regulator_sees_its_city_with_counts_and_closes(db_url, anonymous_client):
    make_world(db_url)
    _scan(db_url)
    client = _as(anonymous_client, db_url, "reg-sz", "regulator", city_code="440300")
    body = client.get("/api/v1/standards/changes").json()
    assert {a["uscc"] for a in body["alerts"]} == {SZ}
    group = next(g for g in body["by_standard"] if g["code"] == "GB 4943.1-2011")
    assert (group["enterprises"], group["certificates"], group["open"]) == (1, 1, 1)
    page = client.get("/standards/changes").text
    assert 'id="change-summary"' in page and "华为技术有限公司" in page and "广州某电子有限公司" not in page
    alert_id = next(a["id"] for a in body["alerts"] if a["code"] == "GB 4943.1-2011")
    assert client.post(f"/api/v1/standards/changes/{alert_id}/close", json={"note": ""}).status_code == 422
    closed = client.post(f"/api/v1/standards/changes/{alert_id}/close", json={"note": "已换证"}).json()
    assert closed["status"] == "closed" and closed["note"] == "已换证"
    gz_alert = next(a["id"] for a in _all_alerts(db_url) if a["uscc"] == GZ)
    assert client.post(f"/api/v1/standards/changes/{gz_alert}/close", json={"note": "x"}).status_code == 404
    province = _as(anonymous_client, db_url, "reg-prov", "regulator")
    assert {a["uscc"] for a in province.get("/api/v1/standards/changes").json()["alerts"]} == {SZ, GZ}


def _all_alerts(db_url):
    from lingqu.auth.scope import Scope

    with unit_of_work(db_url) as s:
        return changes.list_alerts(s, Scope())


def test_institution_may_read_standards_but_not_alerts(db_url, anonymous_client):
    client = _as(anonymous_client, db_url, "lab", "institution")
    assert client.get("/standards").status_code == 200
    assert client.get("/api/v1/standards/changes").status_code == 403
    nav = client.get("/standards").text
    nav = nav[nav.index("主导航"):nav.index("</nav>")]
    assert 'href="/standards"' in nav


def test_english_switch_translates_the_standards_pages(db_url, app_client):
    app_client.cookies.set("lang", "en")
    page = app_client.get("/standards/" + quote("GB 4943.1-2022")).text
    assert "Facts and sources" in page and "Replacement timeline" in page


def test_changes_page_filters_the_list_by_standard(db_url, app_client):
    make_world(db_url)
    _scan(db_url)
    page = app_client.get("/standards/changes", params={"code": "GB 31241-2014"}).text
    table = page[page.index('id="change-alerts"'):]
    assert "GB 31241-2014" in table and "GB 4943.1-2011" not in table
    summary = page[page.index('id="change-summary"'):page.index('id="change-alerts"')]
    assert "GB 4943.1-2011" in summary  # the summary still counts every edition


def test_standards_applicable_to_an_enterprise_follow_its_products(db_url, anonymous_client):
    make_world(db_url)
    client = _as(anonymous_client, db_url, "ent", "enterprise", uscc=SZ)
    body = client.get(f"/api/v1/standards/applicable/{SZ}").json()
    codes = {s["code"] for s in body["standards"]}
    assert body["categories"] == ["PB"]
    assert {"GB 4943.1-2022", "GB 31241-2022", "GB/T 35590-2017", "GB/T 2828.1-2012"} <= codes
    assert "GB 4943.1-2011" not in codes and "GB 9706.1-2020" not in codes  # superseded; other cluster
    assert client.get(f"/api/v1/standards/applicable/{GZ}").status_code == 404
    assert 'id="applicable"' in client.get("/standards/changes").text
    gz_reg = _as(anonymous_client, db_url, "reg-gz", "regulator", city_code="440100")
    assert gz_reg.get(f"/api/v1/standards/applicable/{SZ}").status_code == 404
    assert gz_reg.get(f"/api/v1/standards/applicable/{GZ}").status_code == 200
