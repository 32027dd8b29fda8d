"""The risk ranking's filters, pages and exports (``/risk``, ``GET /api/v1/risk/grades``), through the
real app on the small world graded at two dates.

Each filter is checked against the same selection made in Python from every stored grade, so a
condition that is dropped, inverted or applied after paging fails here.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.risk.test_city_scope import PREVIOUS, _as, all_grades, city_world  # noqa: F401
from tests.risk.test_grade import AS_OF, small_world  # noqa: F401


@pytest.fixture
def prov(city_world, anonymous_client):  # noqa: F811
    return _as(anonymous_client, "prov_reg")


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_every_filter_selects_what_the_stored_grades_say(prov):
    everyone = all_grades(prov)
    assert len(everyone) > 200, "the world must span more than one page of 200"
    assert [e["probability"] for e in everyone] == sorted((e["probability"] for e in everyone), reverse=True)
    rank = {g: i for i, g in enumerate("ABCD")}
    worse = [e for e in everyone if e["previous_grade"] and rank[e["grade"]] > rank[e["previous_grade"]]]
    better = [e for e in everyone if e["previous_grade"] and rank[e["grade"]] < rank[e["previous_grade"]]]
    # some grades rose between the two gradings (none fell in this world: "better" must then list
    # nothing, which an inverted or dropped condition would not)
    assert worse and len(worse) < len(everyone), "the two gradings must differ for the change filter to be tested"
    district = next(e["district"] for e in everyone if e["district"])
    uscc = everyone[len(everyone) // 2]["uscc"]
    name_part = everyone[3]["name"][2:6]
    cases = [
        ({"grade": "C,D"}, [e for e in everyone if e["grade"] in "CD"]),
        ({"grade": "b"}, [e for e in everyone if e["grade"] == "B"]),
        ({"change": "worse"}, worse),
        ({"change": "better"}, better),
        ({"change": "new"}, [e for e in everyone if e["previous_grade"] is None]),
        ({"district": district}, [e for e in everyone if e["district"] == district]),
        ({"q": uscc[:14]}, [e for e in everyone if e["uscc"].startswith(uscc[:14])]),
        ({"q": name_part}, [e for e in everyone if name_part in e["name"]]),
        ({"grade": "C,D", "change": "worse"}, [e for e in worse if e["grade"] in "CD"]),
        ({"as_of": PREVIOUS.isoformat()}, None),
    ]
    for params, expected in cases:
        got = all_grades(prov, **params)
        if expected is None:  # the earlier grading: no trend before it, every grade is "new"
            assert got and all(e["previous_grade"] is None and e["trend"] is None for e in got)
            continue
        assert [e["uscc"] for e in got] == [e["uscc"] for e in expected], params
    first = prov.get("/api/v1/risk/grades", params={"grade": "C,D"}).json()
    # the distribution counts the whole ranking, not the filtered rows
    assert first["distribution"] == {g: sum(e["grade"] == g for e in everyone) for g in "ABCD"}
    assert first["total"] == len(cases[0][1]) and first["previous_as_of"] == PREVIOUS.isoformat()


def test_pages_cover_the_ranking_once_and_past_the_end_is_empty(prov):
    everyone = [e["uscc"] for e in all_grades(prov)]
    seen = []
    page = 1
    while True:
        body = prov.get("/api/v1/risk/grades", params={"page": page, "page_size": 37}).json()
        assert body["page_size"] == 37 and body["total"] == len(everyone)
        seen += [e["uscc"] for e in body["grades"]]
        if page == body["pages"]:
            break
        page += 1
    assert seen == everyone
    beyond = prov.get("/api/v1/risk/grades", params={"page": page + 1, "page_size": 37}).json()
    assert beyond["grades"] == [] and beyond["total"] == len(everyone)
    html = prov.get("/risk", params={"page": 2}).text
    assert 'rel="prev"' in html and 'rel="next"' in html and everyone[50] in html and everyone[0] not in html


@pytest.mark.parametrize("params, field", [
    ({"grade": "E"}, "grade"), ({"grade": "A,X"}, "grade"), ({"change": "up"}, "change"), ({"page": "0"}, "page"),
    ({"page_size": "1000"}, "page_size"), ({"as_of": "2025-13-01"}, "as_of"), ({"q": "x" * 101}, "q"),
    ({"city": "999999"}, "city"),
])
def test_bad_parameters_are_named(prov, params, field):
    r = prov.get("/api/v1/risk/grades", params=params)
    assert r.status_code == 422, r.text
    assert field in r.text
    if field != "page_size" and field != "city":  # the page takes the same parameters (its size is fixed)
        page = prov.get("/risk", params=params)
        assert page.status_code == 422 and field in page.text


def test_the_page_filters_and_exports_what_the_api_lists(prov):
    want = all_grades(prov, grade="D")
    page = prov.get("/risk", params={"grade": "D", "city": ""})
    assert page.status_code == 200
    for e in want[:50]:
        assert e["uscc"] in page.text
    other = next(e for e in all_grades(prov) if e["grade"] == "A")
    assert other["uscc"] not in page.text
    rows = _csv_rows(prov.get("/risk", params={"grade": "D", "city": "", "format": "csv"}))
    assert [r["统一社会信用代码"] for r in rows] == [e["uscc"] for e in want]
    assert all(r["等级"] == "D" for r in rows)
    assert [float(r["不合格概率(%)"]) for r in rows] == [round(e["probability"] * 100, 1) for e in want]
    assert all(r["原因（个百分点）"] for r in rows)
    xlsx = prov.get("/risk", params={"change": "worse", "city": "", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "等级" and [v[5] for v in values[1:]] == [e["uscc"] for e in all_grades(prov, change="worse")]
    prov.cookies.set("lang", "en")
    english = _csv_rows(prov.get("/risk", params={"grade": "D", "city": "", "format": "csv"}))
    assert "Failure probability (%)" in english[0] and english[0]["Reasons (percentage points)"]
    assert prov.get("/risk", params={"format": "pdf"}).status_code == 422


def test_a_city_regulator_filters_and_exports_its_own_city_only(city_world, anonymous_client):  # noqa: F811
    w = city_world
    p = _as(anonymous_client, "prov_reg")
    mine = all_grades(p, city=w["mine"])
    assert mine and {e["city_code"] for e in mine} == {w["mine"]}
    foreign = all_grades(p, city=w["other"])[0]
    c = _as(anonymous_client, "city_reg")  # the same client, now logged in as the city's regulator
    assert [e["uscc"] for e in all_grades(c)] == [e["uscc"] for e in mine]
    assert c.get("/api/v1/risk/grades", params={"city": w["other"]}).status_code == 403
    rows = _csv_rows(c.get("/risk", params={"city": w["other"], "format": "csv"}))
    assert [r["统一社会信用代码"] for r in rows] == [e["uscc"] for e in mine]
    assert c.get("/api/v1/risk/grades", params={"q": foreign["uscc"]}).json()["total"] == 0
    searched = c.get("/risk", params={"q": foreign["uscc"]}).text  # (the search box still shows the text)
    assert f'href="/risk/{foreign["uscc"]}"' not in searched and 'id="risk-empty"' in searched
