"""Authorization matrix: every route the app serves × every role × own vs another tenant's object.

The routes are enumerated from the app (``lingqu.app.iter_routes``), not listed by hand: a route
without a rule in RULES fails ``test_every_route_has_a_rule``. Expected answers:
- not logged in: API 401; page: redirect to /login;
- a role the route does not allow: 403;
- an allowed role asking for a record outside its scope: 404, exactly as for a missing record.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lingqu.acceptance import service as acceptance_service
from lingqu.app import iter_routes
from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.institution.models import Institution
from lingqu.sampling.models import Batch, TestResult

from ..conftest import log_in, make_user

SZ = "914403001922038216"   # 华为技术有限公司, Shenzhen: the enterprise user's own record
GZ = "91440101MA5CKWMA52"   # a Guangzhou enterprise: another tenant (built with a valid check character)

ALL = {"regulator", "regulator_gz", "regulator_province", "enterprise", "institution", "admin"}
REGULATORS = {"regulator", "regulator_gz", "regulator_province", "admin"}
ENTERPRISE_DATA = REGULATORS | {"enterprise"}
PROVINCE = {"regulator_province", "admin"}
PUBLIC = "public"

#: (method, path) -> roles allowed (or PUBLIC), and whether the route reads one enterprise's rows
RULES: dict[tuple[str, str], tuple[set | str, bool]] = {
    ("GET", "/"): (ALL, False),
    ("GET", "/login"): (PUBLIC, False),
    ("POST", "/login"): (PUBLIC, False),
    ("POST", "/logout"): (PUBLIC, False),
    ("GET", "/enterprises"): (ENTERPRISE_DATA, False),
    ("GET", "/enterprises/{uscc}"): (ENTERPRISE_DATA, True),
    ("GET", "/stats/pass-rate"): (REGULATORS, False),
    ("GET", "/overview"): (REGULATORS, False),
    ("GET", "/batches"): (REGULATORS, False),
    ("GET", "/lang"): (PUBLIC, False),
    ("GET", "/city"): (REGULATORS, False),
    ("GET", "/api/v1/dashboard"): (REGULATORS, False),
    ("GET", "/api/v1/batches"): (REGULATORS, False),
    ("GET", "/api/v1/enterprises/{uscc}/timeline"): (ENTERPRISE_DATA, True),
    ("GET", "/tools/acceptance"): (ALL, False),
    ("GET", "/api/v1/enterprises"): (ENTERPRISE_DATA, False),
    ("GET", "/api/v1/enterprises/{uscc}"): (ENTERPRISE_DATA, True),
    ("GET", "/api/v1/enterprises/{uscc}/batches"): (ENTERPRISE_DATA, True),
    ("GET", "/api/v1/overview"): (REGULATORS, False),
    ("GET", "/api/v1/stats/pass-rate"): (REGULATORS, False),
    ("GET", "/api/v1/sampling/plan"): (ALL, False),
    ("GET", "/api/v1/sampling/oc"): (ALL, False),
    ("GET", "/api/v1/sampling/lines"): (REGULATORS, False),
    ("POST", "/api/v1/sampling/lines"): (REGULATORS, False),
    ("GET", "/api/v1/sampling/lines/{code}"): (REGULATORS, False),
    ("POST", "/api/v1/sampling/lines/{code}/lots"): (REGULATORS, False),
    ("POST", "/api/v1/sampling/lines/{code}/resume"): (REGULATORS, False),
    ("GET", "/alerts"): (PROVINCE, False),
    ("GET", "/api/v1/alerts"): (PROVINCE, False),
    ("GET", "/api/v1/alerts/{alert_id}"): (PROVINCE, False),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): (PROVINCE, False),
    ("POST", "/api/v1/alerts/{alert_id}/close"): (PROVINCE, False),
    ("GET", "/risk"): (PROVINCE, False),
    ("GET", "/plan"): (PROVINCE, False),
    ("POST", "/plan"): (PROVINCE, False),
    ("GET", "/api/v1/risk/grades"): (PROVINCE, False),
    ("POST", "/api/v1/plan/draw"): (PROVINCE, False),
}

USERS = {
    "regulator": ("regulator", {"city_code": "440300"}),
    "regulator_gz": ("regulator", {"city_code": "440100"}),
    "regulator_province": ("regulator", {}),
    "enterprise": ("enterprise", {"uscc": SZ}),
    "institution": ("institution", {}),
    "admin": ("admin", {}),
}


def _routes():
    return [(m, path) for path, methods, _ in iter_routes() for m in methods]


def test_every_route_has_a_rule():
    missing = sorted(set(_routes()) - set(RULES))
    stale = sorted(set(RULES) - set(_routes()))
    assert not missing, f"routes without an authorization rule: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_every_route_declares_a_policy():
    from lingqu.web.access import policy_of

    assert [p for p, _, r in iter_routes() if policy_of(r) is None] == []


@pytest.fixture
def world(db_url):
    from lingqu.kit.identifiers import is_valid_uscc

    assert is_valid_uscc(GZ)
    with unit_of_work(db_url) as s:
        for uscc, name, city in ((SZ, "华为技术有限公司", "440300"), (GZ, "广州某电子有限公司", "440100")):
            e = Enterprise(uscc=uscc, name=name, city_code=city, cluster="power_bank")
            s.add(e)
            s.flush()
            b = Batch(batch_no=f"B-{uscc[-4:]}", enterprise_id=e.id, sampled_on=dt.date(2024, 5, 1), city_code=city,
                      passed=False, item_count=1, failed_count=1)
            s.add(b)
            s.flush()
            s.add(TestResult(batch_id=b.id, test_item="转换效率", passed=False))
        acceptance_service.create_line(s, "L1", "II", "1.0", "single", actor="test")
        lab = Institution(name="深圳某检测中心", kind="lab", city_code="440300")
        s.add(lab)
        s.flush()
        lab_id = lab.id
    for name, (role, scope) in USERS.items():
        make_user(db_url, name, role, **({"institution_id": lab_id} if role == "institution" else scope))


def _client_as(anonymous_client, who):
    anonymous_client.cookies.clear()
    if who != "anonymous":
        log_in(anonymous_client, who)
    return anonymous_client


def _call(client, method, path, public=False):
    path = path.replace("{code}", "L1").replace("{alert_id}", "1")
    if method == "GET":
        return client.get(path, follow_redirects=False)
    if path.startswith("/api/"):
        return client.post(path, json={}, follow_redirects=False)
    # A form carries the CSRF token of the user's cookie (not for /login and /logout, which
    # would change who is logged in halfway through the walk).
    form = {} if public else {"csrf_token": client.cookies.get("lingqu_csrf", "")}
    return client.post(path, data=form, follow_redirects=False)


def _denied_as_anonymous(r, path) -> bool:
    if path.startswith("/api/"):
        return r.status_code == 401
    return r.status_code == 303 and r.headers["location"].startswith("/login")


@pytest.mark.parametrize("who", ["anonymous", *USERS])
def test_matrix(who, world, anonymous_client):
    client = _client_as(anonymous_client, who)
    failures = []
    for (method, path), (roles, per_enterprise) in RULES.items():
        targets = {"own": SZ, "other": GZ} if per_enterprise else {"": None}
        for label, uscc in targets.items():
            url = path.replace("{uscc}", uscc) if uscc else path
            r = _call(client, method, url, public=roles == PUBLIC)
            if roles == PUBLIC:
                ok = r.status_code != 401 and not (r.status_code == 303 and r.headers.get("location", "").startswith("/login?"))
            elif who == "anonymous":
                ok = _denied_as_anonymous(r, path)
            elif who not in roles:
                ok = r.status_code == 403
            elif per_enterprise:
                visible = {
                    "regulator": {SZ}, "regulator_gz": {GZ}, "regulator_province": {SZ, GZ}, "admin": {SZ, GZ},
                    "enterprise": {SZ},
                }[who]
                ok = r.status_code == (200 if uscc in visible else 404)
            else:
                ok = r.status_code not in (401, 403) and r.status_code < 500
            if not ok:
                failures.append(f"{who} {method} {url} ({label}) -> {r.status_code}")
    assert not failures, "\n".join(failures)


def test_enterprise_user_lists_only_itself(world, anonymous_client):
    client = _client_as(anonymous_client, "enterprise")
    body = client.get("/api/v1/enterprises").json()
    assert [i["uscc"] for i in body["items"]] == [SZ] and body["total"] == 1
    assert GZ not in client.get("/enterprises").text


def test_city_regulator_sees_only_its_city(world, anonymous_client):
    client = _client_as(anonymous_client, "regulator")
    body = client.get("/api/v1/enterprises").json()
    assert {i["uscc"] for i in body["items"]} == {SZ}
    assert client.get("/api/v1/enterprises", params={"city": "440100"}).status_code == 403
    assert client.get("/api/v1/overview", params={"city": "440100"}).status_code == 403
    assert client.get("/api/v1/stats/pass-rate", params={"city": "440100"}).status_code == 403
    report = client.get("/api/v1/stats/pass-rate", params={"by": "enterprise"}).json()
    assert {row["key"] for row in report["rows"]} <= {SZ}


def test_enterprise_and_institution_users_land_on_their_portals(world, anonymous_client):
    """/my and /institution when this build serves them (the portals' own branch), else the
    pages they landed on before: the enterprise's record and the sampling tools."""
    served = {p for p, _, _ in iter_routes()}
    client = _client_as(anonymous_client, "enterprise")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == ("/my" if "/my" in served else f"/enterprises/{SZ}")
    client = _client_as(anonymous_client, "institution")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == ("/institution" if "/institution" in served else "/tools/acceptance")


def test_navigation_shows_only_what_the_role_may_open(world, anonymous_client):
    client = _client_as(anonymous_client, "enterprise")
    page = client.get(f"/enterprises/{SZ}").text
    nav = page[page.index("主导航"):page.index("</nav>")]
    assert 'href="/enterprises"' in nav and 'href="/tools/acceptance"' in nav
    for hidden in ('href="/"', "/stats/pass-rate", "/risk", "/alerts", "/plan"):
        assert hidden not in nav, hidden
    client = _client_as(anonymous_client, "regulator")  # city-bound: no province-only pages
    nav = client.get("/").text
    nav = nav[nav.index("主导航"):nav.index("</nav>")]
    assert "/stats/pass-rate" in nav and "/alerts" not in nav and "/risk" not in nav
