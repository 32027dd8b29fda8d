"""The enterprise portal (/my), the institution portal (/institution) and the service-request
pages: what each shows, the forms (CSRF, validation in Chinese, POST/redirect/GET), tenancy."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from lingqu.alert.models import Alert
from lingqu.audit.models import AuditEntry
from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.institution.models import Institution
from lingqu.portal.service import year_row
from lingqu.risk.models import RiskGrade

from ..service_request.conftest import GZ, SZ

DESC = "移动电源转换效率不合格，需要复测并查找原因。"


def _token(client) -> str:
    return client.cookies.get("lingqu_csrf")


def _form(client, url, data):
    return client.post(url, data={**data, "csrf_token": _token(client)}, follow_redirects=False)


def test_wilson_interval_of_a_year_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I example (i): 81/263 -> 0.2553 to 0.3662
    y = year_row(2023, 270, 81, 182)
    assert round(y.lower, 4) == 0.2553 and round(y.upper, 4) == 0.3662 and y.meets_target is False
    assert year_row(2024, 3, 0, 0).pass_rate is None  # no verdicts yet: no rate, no interval


def _grade_and_alerts(db_url):
    with unit_of_work(db_url) as s:
        ids = {e.uscc: e.id for e in s.execute(select(Enterprise)).scalars()}
        s.add(RiskGrade(enterprise_id=ids[SZ], as_of=dt.date(2024, 6, 30), policy_version="v1", probability=0.31,
                        grade="C", reasons=[
                            {"factor": "history", "direction": "up", "text_zh": "近3批中有2批不合格（转换效率）"},
                            {"factor": "age", "direction": "down", "text_zh": "成立超过10年"}]))
        for uscc in (SZ, GZ):
            s.add(Alert(kind="cusum", scope="enterprise", scope_key=str(ids[uscc]), status="new",
                        raised_at=dt.date(2024, 6, 1), last_signal_on=dt.date(2024, 6, 1), statistic=5.0, threshold=4.0))


def test_my_portal_shows_the_enterprise_its_own_record_only(world, as_user, db_url):
    _grade_and_alerts(db_url)
    c = as_user("ent_gz")
    assert _form(c, "/my/requests", {"topic": "testing", "description": DESC}).status_code == 303
    c = as_user("ent")
    page = c.get("/my")
    assert page.status_code == 200
    html = page.text
    assert "深圳华电源有限公司" in html and "广州某电子有限公司" not in html
    assert "近3批中有2批不合格（转换效率）" in html and "成立超过10年" in html and "较高风险" in html
    assert html.count("近期抽检不合格率持续高于同类企业") == 1  # its alert, not GZ's
    # certificates: expired and expiring highlighted, the other tenant's not shown
    assert re.search(r'class="cert-expired">\s*<td class="code">CCC-EXPIRED', html)
    assert re.search(r'class="cert-expiring">\s*<td class="code">CCC-SOON', html)
    assert re.search(r'class="cert-valid">\s*<td class="code">CCC-LATER', html)
    assert "CCC-OTHER-TENANT" not in html
    assert "0.0% – " in html  # 2024: 0 of 1 passed, Wilson interval shown
    assert "FW" not in html.split('id="requests"')[1].split("申请服务")[0]  # GZ's request is not listed here


def test_request_form_errors_then_post_redirect_get(world, as_user, db_url):
    c = as_user("ent")
    c.get("/my")
    r = _form(c, "/my/requests", {"topic": "", "description": "太短", "standard_code": "GB 1-1"})
    assert r.status_code == 422
    assert "请选择服务类型" in r.text and "至少 10 个字" in r.text and "标准库中没有标准 GB 1-1" in r.text
    assert "太短" in r.text  # what the user typed is kept
    r = _form(c, "/my/requests", {"topic": "testing", "description": DESC, "institution_id": str(world.lab_sz)})
    assert r.status_code == 303 and re.fullmatch(r"/service-requests/\d+\?done=submitted", r.headers["location"])
    detail = c.get(r.headers["location"])
    assert "服务需求已提交" in detail.text and DESC in detail.text and "撤回需求" in detail.text
    assert DESC in c.get("/my").text


def test_forms_without_the_csrf_token_are_refused(world, as_user):
    c = as_user("ent")
    r = c.post("/my/requests", data={"topic": "testing", "description": DESC}, follow_redirects=False)
    assert r.status_code == 403 and "表单已过期" in r.text
    assert c.get("/api/v1/service-requests").json()["total"] == 0


def test_institution_accepts_through_the_pages(world, as_user, db_url):
    c = as_user("ent")
    c.get("/my")
    rid = re.search(r"/service-requests/(\d+)", _form(c, "/my/requests", {
        "topic": "testing", "description": DESC, "institution_id": str(world.lab_sz)}).headers["location"]).group(1)
    lab = as_user("lab_sz")
    inbox = lab.get("/institution").text
    assert f'href="/service-requests/{rid}"' in inbox
    page = lab.get(f"/service-requests/{rid}").text
    assert 'action="/service-requests/%s/accept"' % rid in page
    r = _form(lab, f"/service-requests/{rid}/decline", {"note": ""})
    assert r.status_code == 422 and "婉拒时请说明原因" in r.text
    r = _form(lab, f"/service-requests/{rid}/accept", {"note": "请周一送样"})
    assert r.status_code == 303 and r.headers["location"] == f"/service-requests/{rid}?done=accepted"
    assert "已受理该服务需求" in lab.get(r.headers["location"]).text
    r = _form(lab, f"/service-requests/{rid}/accept", {"note": ""})
    assert r.status_code == 409 and "不能受理" in r.text
    other = as_user("lab_gz")
    other.get("/institution")
    assert _form(other, f"/service-requests/{rid}/complete", {}).status_code == 404
    ent = as_user("ent")
    page = ent.get(f"/service-requests/{rid}").text
    assert "请周一送样" in page
    trail = page.split('id="history"')[1].split("</section>")[0]
    assert trail.index("企业提交需求") < trail.index("机构受理") and "lab_sz" not in trail  # no other tenant's user name
    trail = as_user("reg_sz").get(f"/service-requests/{rid}").text.split('id="history"')[1]
    assert "lab_sz" in trail and "ent" in trail


def test_institution_edits_its_scope_validated_and_audited(world, as_user, db_url):
    c = as_user("lab_sz")
    page = c.get("/institution").text
    assert "GB 31241-2022" in page and "转换效率" in page  # derived from the imported text
    r = _form(c, "/institution/profile", {"standards": "GB 31241-2022\nGB 0000-1999", "items": "转换效率\n飞行测试",
                                           "capacity_per_month": "-3", "turnaround_days": "abc"})
    assert r.status_code == 422
    for text in ("GB 0000-1999", "飞行测试", "每月可承接量应为 1 到", "平均服务周期应为 0.5 到"):
        assert text in r.text
    r = _form(c, "/institution/profile", {"standards": "gb 31241-2022；GB 4943.1-2022", "items": "转换效率、输出电压",
                                           "capacity_per_month": "１２０", "turnaround_days": "7.5"})
    assert r.status_code == 303 and r.headers["location"].startswith("/institution?done=saved")
    with unit_of_work(db_url) as s:
        inst = s.get(Institution, world.lab_sz)
        assert inst.scope_standards == ["GB 31241-2022", "GB 4943.1-2022"] and inst.scope_items == ["转换效率", "输出电压"]
        assert inst.scope == "GB 31241-2022;GB 4943.1-2022;转换效率;输出电压"
        assert (inst.capacity_per_month, inst.turnaround_days) == (120, 7.5)
        entry = s.execute(select(AuditEntry).where(AuditEntry.entity == "institution")).scalars().one()
        assert entry.actor == "lab_sz" and entry.before["capacity_per_month"] == 100
        assert entry.after["standards"] == ["GB 31241-2022", "GB 4943.1-2022"]
    # the edited scope changes what it is offered: an open GB 4943.1 request now reaches it
    ent = as_user("ent")
    rid = ent.post("/api/v1/service-requests", json={"topic": "testing", "description": DESC,
                                                     "standard_code": "GB 4943.1-2022"}).json()["id"]
    assert as_user("lab_sz").get(f"/api/v1/service-requests/{rid}").status_code == 200


def test_regulator_list_filters_and_tenancy(world, as_user):
    for who in ("ent", "ent_gz"):
        as_user(who).post("/api/v1/service-requests", json={"topic": "testing", "description": DESC})
    sz = as_user("reg_sz")
    html = sz.get("/service-requests").text
    assert "深圳华电源有限公司" in html and "广州某电子有限公司" not in html
    assert sz.get("/service-requests", params={"city": "440100"}).status_code == 403
    prov = as_user("reg_prov")
    html = prov.get("/service-requests", params={"city": "440100"}).text
    assert "广州某电子有限公司" in html and "深圳华电源有限公司" not in html
    assert "没有符合条件的服务需求" in prov.get("/service-requests", params={"status": "completed"}).text
    assert prov.get("/service-requests", params={"status": "nope"}).status_code == 422


def test_enterprise_gets_403_on_regulator_pages_and_404_on_other_tenants_requests(world, as_user):
    rid = as_user("ent_gz").post("/api/v1/service-requests", json={"topic": "testing", "description": DESC}).json()["id"]
    c = as_user("ent")
    assert c.get("/service-requests").status_code == 403
    assert c.get(f"/service-requests/{rid}").status_code == 404
    assert c.get(f"/enterprises/{GZ}").status_code == 404
    assert c.get("/institution").status_code == 403
    assert as_user("lab_sz").get("/my").status_code == 403


def test_unrecognised_scope_entries_are_shown_and_kept_through_an_edit(world, as_user, db_url):
    with unit_of_work(db_url) as s:
        s.get(Institution, world.lab_gz).scope = "GB 4943.1-2022;某自定义试验"
    c = as_user("lab_gz")
    assert "某自定义试验" in c.get("/institution").text.split("其他（未能识别）")[1][:200]
    r = _form(c, "/institution/profile", {"standards": "GB 4943.1-2022", "items": "转换效率",
                                           "capacity_per_month": "50", "turnaround_days": "5"})
    assert r.status_code == 303
    with unit_of_work(db_url) as s:
        inst = s.get(Institution, world.lab_gz)
        assert inst.scope == "GB 4943.1-2022;转换效率;某自定义试验"
        assert (inst.scope_standards, inst.scope_items) == (["GB 4943.1-2022"], ["转换效率"])


def test_my_portal_lists_its_own_standard_changes_only(world, as_user, db_url):
    """Issue 5: a change alert reaches the affected enterprise in its portal (and no other)."""
    import datetime as dt

    import sqlalchemy as sa

    from lingqu.db.engine import unit_of_work
    from lingqu.enterprise.models import Enterprise
    from lingqu.standard.models import Standard, StandardChangeAlert

    from ..service_request.conftest import GZ, SZ

    with unit_of_work(db_url) as s:
        old = s.scalars(sa.select(Standard).where(Standard.code == "GB 4943.1-2011")).one()
        other = s.scalars(sa.select(Standard).where(Standard.code == "GB 31241-2014")).one()
        for uscc, std, certs in ((SZ, old, ["CCC-SOON"]), (GZ, other, ["CCC-OTHER-TENANT"])):
            e = s.scalars(sa.select(Enterprise).where(Enterprise.uscc == uscc)).one()
            s.add(StandardChangeAlert(standard_id=std.id, enterprise_id=e.id, change="superseded",
                                      transition_on=dt.date(2023, 8, 1), successors="GB 4943.1-2022", categories=["PB"],
                                      certificates=certs, first_as_of=dt.date(2026, 1, 1), last_as_of=dt.date(2026, 1, 1)))
    html = as_user("ent").get("/my").text
    section = html.split('id="standard-changes"')[1].split("</section>")[0]
    assert "GB 4943.1-2011" in section and "GB 4943.1-2022" in section and "2023-08-01" in section
    assert "GB 31241-2014" not in section
