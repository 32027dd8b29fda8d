"""Two cities, three enterprises, three institutions, one user per role and tenant.

Shenzhen: SZ (the enterprise user ``ent``), SZ2 (``ent2``); Guangzhou: GZ (``ent_gz``).
Institutions: LAB_SZ (lab, scope GB 31241-2022 + 转换效率, user ``lab_sz``), LAB_GZ (lab, scope
GB 4943.1-2022, user ``lab_gz``), CONSULT (consultancy, user ``consult``).
Regulators: ``reg_sz`` (Shenzhen), ``reg_gz`` (Guangzhou), ``reg_prov`` (province); ``admin``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Certificate, Enterprise
from lingqu.institution.models import Institution
from lingqu.sampling.models import Batch

from ..conftest import TEST_PASSWORD, make_user

SZ = "914403001922038216"
SZ2 = "91440300MA5DC0QX91"  # make_uscc("440300", "MA5DC0QX")
GZ = "91440101MA5CKWMA52"


@dataclass(frozen=True)
class World:
    lab_sz: int
    lab_gz: int
    consult: int


@pytest.fixture
def world(db_url) -> World:
    from lingqu.kit.identifiers import is_valid_uscc

    assert all(is_valid_uscc(u) for u in (SZ, SZ2, GZ))
    with unit_of_work(db_url) as s:
        ents = {}
        for uscc, name, city in ((SZ, "深圳华电源有限公司", "440300"), (SZ2, "深圳第二电源有限公司", "440300"),
                                 (GZ, "广州某电子有限公司", "440100")):
            e = Enterprise(uscc=uscc, name=name, city_code=city, cluster="power_bank")
            s.add(e)
            s.flush()
            ents[uscc] = e
            s.add(Batch(batch_no=f"B-{uscc[-4:]}", enterprise_id=e.id, sampled_on=dt.date(2024, 5, 1), city_code=city,
                        passed=False, item_count=1, failed_count=1))
        today = dt.date.today()
        for no, days in (("CCC-EXPIRED", -10), ("CCC-SOON", 30), ("CCC-LATER", 400)):
            s.add(Certificate(certificate_no=no, enterprise_id=ents[SZ].id, kind="CCC", product_name="移动电源",
                              expires_on=today + dt.timedelta(days=days)))
        s.add(Certificate(certificate_no="CCC-OTHER-TENANT", enterprise_id=ents[GZ].id, kind="CCC",
                          expires_on=today + dt.timedelta(days=5)))
        labs = []
        for name, kind, city, scope in (("深圳检测中心", "lab", "440300", "GB 31241-2022;转换效率"),
                                        ("广州检测中心", "lab", "440100", "GB 4943.1-2022"),
                                        ("深圳质量咨询公司", "consultancy", "440300", "GB/T 2828.1-2012")):
            inst = Institution(name=name, kind=kind, city_code=city, scope=scope, capacity_per_month=100, turnaround_days=10)
            s.add(inst)
            s.flush()
            labs.append(inst.id)
    w = World(*labs)
    for name, role, scope in (
        ("ent", "enterprise", {"uscc": SZ}), ("ent2", "enterprise", {"uscc": SZ2}), ("ent_gz", "enterprise", {"uscc": GZ}),
        ("lab_sz", "institution", {"institution_id": w.lab_sz}), ("lab_gz", "institution", {"institution_id": w.lab_gz}),
        ("consult", "institution", {"institution_id": w.consult}),
        ("reg_sz", "regulator", {"city_code": "440300"}), ("reg_gz", "regulator", {"city_code": "440100"}),
        ("reg_prov", "regulator", {}), ("admin", "admin", {}),
    ):
        make_user(db_url, name, role, **scope)
    return w


@pytest.fixture
def as_user(anonymous_client):
    """``as_user("ent")``: the one test client, logged in as that user (cookies replaced)."""

    def switch(username: str):
        anonymous_client.cookies.clear()
        page = anonymous_client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        r = anonymous_client.post("/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token},
                                  follow_redirects=False)
        assert r.status_code == 303, r.text
        return anonymous_client

    return switch


def csrf(client) -> str:
    token = client.cookies.get("lingqu_csrf")
    if not token:
        page = client.get("/login")  # any page with a form sets the cookie
        token = client.cookies.get("lingqu_csrf")
    return token
