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
import sqlalchemy as sa

from lingqu.acceptance import service as acceptance_service
from lingqu.app import iter_routes
from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.institution.models import Institution
from lingqu.sampling.models import Batch, TestResult
from lingqu.service_request.models import ServiceRequest

from ..conftest import log_in, make_user

SZ = "914403001922038216"   # 华为技术有限公司, Shenzhen: the enterprise user's own record
GZ = "91440101MA5CKWMA52"   # a Guangzhou enterprise: another tenant (built with a valid check character)

ALL = {"regulator", "regulator_gz", "regulator_province", "enterprise", "institution", "admin"}
REGULATORS = {"regulator", "regulator_gz", "regulator_province", "admin"}
ENTERPRISE_DATA = REGULATORS | {"enterprise"}
PROVINCE = {"regulator_province", "admin"}
PUBLIC = "public"
ANY = ALL
#: a rule's second element: False (no object), True (one enterprise's rows, by {uscc}) or REQUEST
#: (one service request, by {request_id}: the own tenant's vs another tenant's request)
REQUEST = "request"
#: ids of the world's two service requests: SZ's (addressed to the Shenzhen lab) and GZ's
REQUEST_IDS = {"own": 0, "other": 0}

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
    # risk, alerts and plans: every regulator, rows limited to a city-bound regulator's city
    # (tests/risk/test_city_scope.py: another city's enterprise, alert or plan answers 404)
    ("GET", "/alerts"): (REGULATORS, False),
    ("POST", "/alerts/{alert_id}/ack"): (REGULATORS, False),
    ("POST", "/alerts/{alert_id}/close"): (REGULATORS, False),
    ("GET", "/api/v1/alerts"): (REGULATORS, False),
    ("GET", "/api/v1/alerts/{alert_id}"): (REGULATORS, False),
    ("POST", "/api/v1/alerts/{alert_id}/ack"): (REGULATORS, False),
    ("POST", "/api/v1/alerts/{alert_id}/close"): (REGULATORS, False),
    ("GET", "/risk"): (REGULATORS, False),
    ("GET", "/risk/backtest"): (REGULATORS, False),
    ("GET", "/risk/{uscc}"): (REGULATORS, True),
    ("GET", "/plan"): (REGULATORS, False),
    ("POST", "/plan"): (REGULATORS, False),
    ("GET", "/plan/{plan_id}"): (REGULATORS, False),
    ("GET", "/plan/{plan_id}/export.csv"): (REGULATORS, False),
    ("GET", "/plan/{plan_id}/export.xlsx"): (REGULATORS, False),
    ("GET", "/api/v1/risk/grades"): (REGULATORS, False),
    ("GET", "/api/v1/risk/calibration"): (REGULATORS, False),
    ("GET", "/api/v1/risk/backtest"): (REGULATORS, False),
    ("GET", "/api/v1/risk/grades/{uscc}"): (REGULATORS, True),
    ("POST", "/api/v1/plan/draw"): (REGULATORS, False),
    ("GET", "/api/v1/plan/{plan_id}"): (REGULATORS, False),
    ("GET", "/api/v1/plans"): (REGULATORS, False),
    # QI services: portals and service requests
    ("GET", "/my"): ({"enterprise"}, False),
    ("POST", "/my/requests"): ({"enterprise"}, False),
    ("GET", "/institution"): ({"institution"}, False),
    ("POST", "/institution/profile"): ({"institution"}, False),
    ("GET", "/service-requests"): (REGULATORS, False),
    ("GET", "/service-requests/{request_id}"): (ANY, REQUEST),
    ("POST", "/service-requests/{request_id}/accept"): ({"institution"}, REQUEST),
    ("POST", "/service-requests/{request_id}/decline"): ({"institution"}, REQUEST),
    ("POST", "/service-requests/{request_id}/complete"): ({"institution"}, REQUEST),
    ("POST", "/service-requests/{request_id}/withdraw"): ({"enterprise"}, REQUEST),
    ("GET", "/api/v1/service-requests"): (ANY, False),
    ("POST", "/api/v1/service-requests"): ({"enterprise"}, False),
    ("GET", "/api/v1/service-requests/{request_id}"): (ANY, REQUEST),
    ("POST", "/api/v1/service-requests/{request_id}/accept"): ({"institution"}, REQUEST),
    ("POST", "/api/v1/service-requests/{request_id}/decline"): ({"institution"}, REQUEST),
    ("POST", "/api/v1/service-requests/{request_id}/complete"): ({"institution"}, REQUEST),
    ("POST", "/api/v1/service-requests/{request_id}/withdraw"): ({"enterprise"}, REQUEST),
    # standards are public knowledge: every logged-in role searches them
    ("GET", "/standards/search"): (ALL, False),
    ("GET", "/api/v1/standards/search"): (ALL, False),
    ("GET", "/standards"): (ALL, False),
    ("GET", "/standards/changes"): (ENTERPRISE_DATA, False),
    ("POST", "/standards/changes/{change_id}/ack"): (ENTERPRISE_DATA, True),
    ("POST", "/standards/changes/{change_id}/close"): (REGULATORS, False),
    ("GET", "/standards/{code:path}"): (ALL, False),
    ("GET", "/api/v1/standards/changes"): (ENTERPRISE_DATA, False),
    ("POST", "/api/v1/standards/changes/{change_id}/ack"): (ENTERPRISE_DATA, True),
    ("POST", "/api/v1/standards/changes/{change_id}/close"): (REGULATORS, False),
    ("GET", "/api/v1/standards/applicable/{uscc}"): (ENTERPRISE_DATA, True),
    ("GET", "/api/v1/standards/{code:path}/edition"): (ALL, False),
    ("GET", "/api/v1/standards/{code:path}"): (ALL, False),
}

#: per-enterprise objects named by id in a route: placeholder -> {uscc: id of that enterprise's object}
OBJECT_IDS: dict[str, dict[str, int]] = {}

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
        from lingqu.standard.models import Standard, StandardChangeAlert

        old = s.scalars(sa.select(Standard).where(Standard.code == "GB 4943.1-2011")).one()
        ids = {}
        for e in s.scalars(sa.select(Enterprise)):
            a = StandardChangeAlert(standard_id=old.id, enterprise_id=e.id, change="superseded",
                                    transition_on=dt.date(2023, 8, 1), successors="GB 4943.1-2022", categories=["PB"],
                                    certificates=[], first_as_of=dt.date(2026, 1, 1), last_as_of=dt.date(2026, 1, 1))
            s.add(a)
            s.flush()
            ids[e.uscc] = a.id
        OBJECT_IDS["{change_id}"] = ids
        lab = Institution(name="深圳某检测中心", kind="lab", city_code="440300")
        lab_gz = Institution(name="广州某检测中心", kind="lab", city_code="440100")
        s.add_all([lab, lab_gz])
        s.flush()
        lab_id = lab.id
        now = dt.datetime(2025, 1, 2, 9, 0)
        for label, uscc, inst in (("own", SZ, lab.id), ("other", GZ, lab_gz.id)):
            e = s.query(Enterprise).filter_by(uscc=uscc).one()
            r = ServiceRequest(request_no=f"FW-{label}", enterprise_id=e.id, city_code=e.city_code, topic="testing",
                               description="需要检测转换效率", institution_id=inst, status="new", created_at=now,
                               updated_at=now)
            s.add(r)
            s.flush()
            REQUEST_IDS[label] = r.id
    for name, (role, scope) in USERS.items():
        make_user(db_url, name, role, **({"institution_id": lab_id} if role == "institution" else scope))


def _client_as(anonymous_client, who):
    anonymous_client.cookies.clear()
    if who != "anonymous":
        log_in(anonymous_client, who)
    return anonymous_client


def _call(client, method, path, public=False):
    path = (path.replace("{code:path}", "GB/T 2828.1-2012").replace("{code}", "L1").replace("{alert_id}", "1")
            .replace("{plan_id}", "1"))
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
        if per_enterprise == REQUEST:
            targets = {k: str(v) for k, v in REQUEST_IDS.items()}
        else:
            targets = {"own": SZ, "other": GZ} if per_enterprise else {"": None}
        for label, uscc in targets.items():
            url = path.replace("{uscc}", uscc).replace("{request_id}", uscc) if uscc else path
            for placeholder, ids in OBJECT_IDS.items():
                if uscc in ids and placeholder in url:
                    url = url.replace(placeholder, str(ids[uscc]))
                else:
                    url = url.replace(placeholder, "1")
            r = _call(client, method, url, public=roles == PUBLIC)
            if roles == PUBLIC:
                ok = r.status_code != 401 and not (r.status_code == 303 and r.headers.get("location", "").startswith("/login?"))
            elif who == "anonymous":
                ok = _denied_as_anonymous(r, path)
            elif who not in roles:
                ok = r.status_code == 403
            elif per_enterprise == REQUEST:
                visible = {
                    "regulator": {"own"}, "regulator_gz": {"other"}, "regulator_province": {"own", "other"},
                    "admin": {"own", "other"}, "enterprise": {"own"}, "institution": {"own"},
                }[who]
                if label not in visible:
                    ok = r.status_code == 404
                elif method == "GET":
                    ok = r.status_code == 200
                else:  # a step on a visible request: done, or refused for its state/input, never hidden
                    ok = r.status_code in (200, 303, 409, 422)
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
    client = _client_as(anonymous_client, "enterprise")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/my"
    client = _client_as(anonymous_client, "institution")
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/institution"


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
    assert "/stats/pass-rate" in nav and "/alerts" in nav and "/risk" in nav  # scoped to its city
