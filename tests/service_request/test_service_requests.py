"""Service requests through the API: who sees what, every transition checked, audited, paged."""

from __future__ import annotations

import pytest

from lingqu.audit.models import AuditEntry
from lingqu.db.engine import unit_of_work

from .conftest import GZ, SZ, SZ2

DESC = "移动电源转换效率不合格，需要复测并查找原因。"


def _submit(client, **kw):
    body = {"topic": "testing", "description": DESC, **kw}
    return client.post("/api/v1/service-requests", json=body)


def _audit(db_url, key):
    from sqlalchemy import select

    with unit_of_work(db_url) as s:
        return [(e.action, e.actor, (e.after or {}).get("status"))
                for e in s.execute(select(AuditEntry).where(AuditEntry.entity == "service_request",
                                                            AuditEntry.entity_key == key).order_by(AuditEntry.id)).scalars()]


def test_enterprise_submits_for_its_own_enterprise_only_and_it_is_audited(world, as_user, db_url):
    c = as_user("ent")
    r = _submit(c, institution_id=world.lab_sz, standard_code="gb31241-2022", batch_no=f"B-{SZ[-4:]}")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["enterprise_uscc"] == SZ and body["status"] == "new" and body["status_label"] == "待受理"
    assert body["standard_code"] == "GB 31241-2022"  # spelled loosely, stored as in the standards table
    assert body["batch_no"] == f"B-{SZ[-4:]}" and body["institution_name"] == "深圳检测中心"
    assert body["request_no"].startswith("FW") and not body["open_to_all"]
    assert _audit(db_url, body["request_no"]) == [("submit", "ent", "new")]


def test_every_bad_field_is_named_in_chinese_at_once(world, as_user):
    c = as_user("ent")
    r = _submit(c, topic="massage", description="太短", standard_code="GB 99999-2099", batch_no=f"B-{GZ[-4:]}")
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"topic", "description", "standard_code", "batch_no"}
    assert "至少 10 个字" in fields["description"] and "GB 99999-2099" in fields["standard_code"]
    assert "本企业没有抽样编号" in fields["batch_no"]  # another enterprise's batch is not this one's
    r = _submit(c, topic="certification", institution_id=world.lab_sz)
    assert r.status_code == 422 and "不提供“认证”服务" in r.json()["error"]["fields"]["institution_id"]
    r = _submit(c, institution_id=999999)
    assert r.status_code == 422 and "不存在" in r.json()["error"]["fields"]["institution_id"]


def test_only_enterprises_submit(world, as_user):
    assert _submit(as_user("reg_sz")).status_code == 403
    assert _submit(as_user("lab_sz")).status_code == 403


def _visible(c, rid) -> bool:
    r = c.get(f"/api/v1/service-requests/{rid}")
    assert r.status_code in (200, 404), r.text
    in_list = rid in [i["id"] for i in c.get("/api/v1/service-requests").json()["items"]]
    assert in_list == (r.status_code == 200)
    return r.status_code == 200


def test_who_sees_an_addressed_request(world, as_user):
    rid = _submit(as_user("ent"), institution_id=world.lab_sz).json()["id"]
    seen = {u: _visible(as_user(u), rid) for u in
            ("ent", "ent2", "ent_gz", "lab_sz", "lab_gz", "consult", "reg_sz", "reg_gz", "reg_prov", "admin")}
    assert seen == {"ent": True, "ent2": False, "ent_gz": False, "lab_sz": True, "lab_gz": False, "consult": False,
                    "reg_sz": True, "reg_gz": False, "reg_prov": True, "admin": True}


def test_an_open_request_reaches_institutions_whose_kind_and_scope_match(world, as_user):
    rid = _submit(as_user("ent"), standard_code="GB 4943.1-2022").json()["id"]
    assert {u: _visible(as_user(u), rid) for u in ("lab_sz", "lab_gz", "consult")} == \
        {"lab_sz": False, "lab_gz": True, "consult": False}  # only LAB_GZ has GB 4943.1 in scope
    rid2 = _submit(as_user("ent"), topic="diagnosis").json()["id"]
    assert {u: _visible(as_user(u), rid2) for u in ("lab_sz", "lab_gz", "consult")} == \
        {"lab_sz": False, "lab_gz": False, "consult": True}


def test_lifecycle_accept_complete_and_refused_steps(world, as_user, db_url):
    body = _submit(as_user("ent"), institution_id=world.lab_sz).json()
    rid, no = body["id"], body["request_no"]
    assert as_user("lab_gz").post(f"/api/v1/service-requests/{rid}/accept", json={}).status_code == 404
    assert as_user("reg_sz").post(f"/api/v1/service-requests/{rid}/accept", json={}).status_code == 403
    c = as_user("lab_sz")
    r = c.post(f"/api/v1/service-requests/{rid}/accept", json={"note": "请下周一送样"})
    assert r.status_code == 200 and r.json()["status"] == "accepted" and r.json()["note"] == "请下周一送样"
    r = c.post(f"/api/v1/service-requests/{rid}/accept", json={})
    assert r.status_code == 409 and "已受理" in r.json()["error"]["message"]
    assert c.post(f"/api/v1/service-requests/{rid}/decline", json={"note": "不做了"}).status_code == 409
    assert as_user("ent").post(f"/api/v1/service-requests/{rid}/withdraw").status_code == 409
    r = as_user("lab_sz").post(f"/api/v1/service-requests/{rid}/complete", json={"note": "报告已发送"})
    assert r.status_code == 200 and r.json()["status"] == "completed" and r.json()["completed_at"]
    assert as_user("lab_sz").post(f"/api/v1/service-requests/{rid}/complete", json={}).status_code == 409
    assert _audit(db_url, no) == [("submit", "ent", "new"), ("accept", "lab_sz", "accepted"),
                                  ("complete", "lab_sz", "completed")]


def test_declining_an_addressed_request_needs_a_reason_and_is_final(world, as_user):
    rid = _submit(as_user("ent"), institution_id=world.lab_sz).json()["id"]
    c = as_user("lab_sz")
    r = c.post(f"/api/v1/service-requests/{rid}/decline", json={"note": "  "})
    assert r.status_code == 422 and "原因" in r.json()["error"]["message"]
    r = c.post(f"/api/v1/service-requests/{rid}/decline", json={"note": "设备检修，无法承接"})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    r = c.post(f"/api/v1/service-requests/{rid}/accept", json={})
    assert r.status_code == 409 and "已婉拒" in r.json()["error"]["message"]


def test_passing_on_an_open_request_leaves_it_open_to_the_others(world, as_user, db_url):
    body = _submit(as_user("ent")).json()  # open testing request: both labs see it
    rid = body["id"]
    r = as_user("lab_gz").post(f"/api/v1/service-requests/{rid}/decline", json={"note": "排期已满"})
    assert r.status_code == 200 and r.json()["status"] == "new"
    assert not _visible(as_user("lab_gz"), rid)
    assert as_user("lab_gz").post(f"/api/v1/service-requests/{rid}/accept", json={}).status_code == 404
    r = as_user("lab_sz").post(f"/api/v1/service-requests/{rid}/accept", json={})
    assert r.status_code == 200 and r.json()["institution_name"] == "深圳检测中心" and r.json()["open_to_all"]
    assert [a for a, _, _ in _audit(db_url, body["request_no"])] == ["submit", "pass", "accept"]


def test_withdraw_by_its_enterprise_only(world, as_user):
    rid = _submit(as_user("ent")).json()["id"]
    assert as_user("ent2").post(f"/api/v1/service-requests/{rid}/withdraw").status_code == 404
    r = as_user("ent").post(f"/api/v1/service-requests/{rid}/withdraw")
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert as_user("lab_sz").post(f"/api/v1/service-requests/{rid}/accept", json={}).status_code in (404, 409)


def test_paging_and_filters(world, as_user):
    c = as_user("ent")
    ids = [_submit(c, topic=t).json()["id"] for t in ("testing", "diagnosis", "standards")]
    _submit(as_user("ent_gz"))
    c = as_user("ent")
    first = c.get("/api/v1/service-requests", params={"page_size": 2}).json()
    second = c.get("/api/v1/service-requests", params={"page_size": 2, "page": 2}).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert [i["id"] for i in first["items"] + second["items"]] == ids[::-1]  # newest first
    assert [i["topic"] for i in c.get("/api/v1/service-requests", params={"topic": "diagnosis"}).json()["items"]] == ["diagnosis"]
    assert c.get("/api/v1/service-requests", params={"status": "accepted"}).json()["total"] == 0
    assert c.get("/api/v1/service-requests", params={"status": "bogus"}).status_code == 422
    assert c.get("/api/v1/service-requests", params={"page_size": 500}).status_code == 422
    p = as_user("reg_prov")
    assert p.get("/api/v1/service-requests").json()["total"] == 4
    assert p.get("/api/v1/service-requests", params={"city": "440100"}).json()["total"] == 1
    r = as_user("reg_sz")
    assert r.get("/api/v1/service-requests").json()["total"] == 3
    assert r.get("/api/v1/service-requests", params={"city": "440100"}).status_code == 403
    assert r.get("/api/v1/service-requests", params={"q": "深圳华电源"}).json()["total"] == 3


@pytest.mark.parametrize("rid", ["abc", "0", "-1", "99999999999"])
def test_bad_ids_are_not_found(world, as_user, rid):
    assert as_user("admin").get(f"/api/v1/service-requests/{rid}").status_code == 404


def test_searching_never_reaches_another_tenants_requests(world, as_user):
    # addressed to the Guangzhou lab: no other institution sees it (an open one would reach every matching lab)
    _submit(as_user("ent_gz"), description="广州企业的需求：需要检测输出电压。", institution_id=world.lab_gz)
    for who in ("ent", "ent2", "lab_sz", "consult", "reg_sz"):
        c = as_user(who)
        for q in ("广州", "广州某电子有限公司", "输出电压", "FW"):
            assert c.get("/api/v1/service-requests", params={"q": q}).json()["total"] == 0, (who, q)
    for who in ("reg_gz", "lab_gz", "ent_gz"):
        assert as_user(who).get("/api/v1/service-requests", params={"q": "输出电压"}).json()["total"] == 1, who
