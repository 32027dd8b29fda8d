"""``lingqu stats pass-rate``, ``GET /api/v1/stats/pass-rate`` and the ``/stats/pass-rate`` page,
on the hand-counted world of conftest.py (2024 by district: 宝安区 42/42, 龙华区 0/1 + 1 pending,
南山区 0/1, 长安镇 0/1)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from lingqu.stats.proportion import wilson_interval

LINGQU = [str(Path(sys.executable).with_name("lingqu"))]
ROW_KEYS = {"key", "label", "unit", "batches", "tests", "passed", "failures", "pending", "pass_rate", "lower", "upper",
            "target", "gap_to_target", "target_status", "target_status_label", "trend"}


def lingqu(args, env):
    return subprocess.run(LINGQU + args, env=env, capture_output=True, text=True, timeout=120)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _rows(html: str) -> list[str]:
    return [_text(r).strip() for r in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S)]


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_json_by_district_for_2024(cli_env, pr_world):
    r = lingqu(["stats", "pass-rate", "--by", "district", "--period", "2024", "--json"], cli_env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["by"], out["period"], out["target"], out["unit"], out["method"]) == ("district", "2024", 0.9, "batch", "wilson")
    rows = {row["key"]: row for row in out["rows"]}
    assert set(rows) == {"440300:宝安区", "440300:龙华区", "440300:南山区", "441900:长安镇"}
    assert set(rows["440300:宝安区"]) == ROW_KEYS
    b = rows["440300:宝安区"]
    ci = wilson_interval(42, 42)
    assert (b["label"], b["batches"], b["failures"], b["pass_rate"]) == ("深圳市宝安区", 42, 0, 1.0)
    assert b["lower"] == pytest.approx(ci.lower) and b["upper"] == 1.0
    assert b["gap_to_target"] == pytest.approx(0.1) and b["target_status"] == "meets_target"
    lh = rows["440300:龙华区"]
    assert (lh["batches"], lh["failures"], lh["pending"], lh["pass_rate"]) == (1, 1, 1, 0.0)
    assert lh["target_status"] == "below_target"
    assert out["overall"]["batches"] == 45 and out["overall"]["failures"] == 3


def test_cli_json_trend_and_filters(cli_env, pr_world):
    r = lingqu(["stats", "pass-rate", "--by", "test_item", "--city", "深圳", "--cluster", "power_bank",
                "--trend", "year", "--json"], cli_env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["city"], out["cluster"], out["trend"], out["unit"]) == ("440300", "power_bank", "year", "test")
    rows = {row["key"]: row for row in out["rows"]}
    # Shenzhen power-bank batches with a verdict: A1-A5, B1-B3, E×40 = 48; 转换效率 failed on A2 and A3 (2023)
    assert (rows["转换效率"]["tests"], rows["转换效率"]["failures"]) == (48, 2)
    assert [(p["period"], p["tests"], p["failures"]) for p in rows["转换效率"]["trend"]] == [("2023", 5, 2), ("2024", 43, 0)]


def test_cli_table_has_chinese_headers(cli_env, pr_world):
    r = lingqu(["stats", "pass-rate", "--by", "district", "--period", "2024"], cli_env)
    assert r.returncode == 0, r.stderr
    for header in ("维度", "批次", "不合格", "合格率", "95%置信区间", "距目标"):
        assert header in r.stdout
    assert "深圳市宝安区" in r.stdout and "91.6–100.0%" in r.stdout and "达标" in r.stdout
    assert "1 个批次尚无结论" in r.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--by", "colour"], "unknown by; expected one of city"),
        (["--by", "city", "--period", "2024Q5"], "参数 period"),
        (["--by", "city", "--period", "2025..2024"], "period range ends before it starts"),
        (["--by", "city", "--city", "Atlantis"], "参数 city"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_parameter(cli_env, args, fragment):
    r = lingqu(["stats", "pass-rate", *args, "--json"], cli_env)
    assert r.returncode == 2
    assert fragment in r.stderr
    assert r.stdout == ""


# --- API ----------------------------------------------------------------------------------------------

def test_api_by_brand_for_2023(pr_client):
    r = pr_client.get("/api/v1/stats/pass-rate", params={"by": "brand", "period": "2023"})
    assert r.status_code == 200
    out = r.json()
    assert (out["by"], out["period"], out["target"]) == ("brand", "2023", 0.9)
    # 2023: 华强 A1 p, A2 f, A3 f · 安心 B1 p, B2 p · 力宝 C1 f · 迈瑞康 D1 p
    assert {row["key"]: (row["passed"], row["batches"]) for row in out["rows"]} == {
        "华强": (1, 3), "安心": (2, 2), "力宝": (0, 1), "迈瑞康": (1, 1),
    }
    hq = next(row for row in out["rows"] if row["key"] == "华强")
    ci = wilson_interval(1, 3)
    assert hq["lower"] == pytest.approx(ci.lower) and hq["upper"] == pytest.approx(ci.upper)
    assert hq["gap_to_target"] == pytest.approx(1 / 3 - 0.9)


def test_api_quarterly_trend_by_city(pr_client):
    out = pr_client.get("/api/v1/stats/pass-rate?by=city&city=441900&trend=quarter").json()
    assert [(p["period"], p["batches"], p["failures"]) for p in out["rows"][0]["trend"]] == [
        ("2023Q2", 1, 1), ("2024Q2", 1, 1),
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [("by=colour", "by"), ("by=city&period=24", "period"), ("by=city&trend=week", "trend"),
     ("by=city&city=北京", "city"), ("by=city&cluster=toys", "cluster"), ("by=city&limit=-1", "limit")],
)
def test_api_bad_input_is_a_422_naming_the_field(pr_client, query, field):
    r = pr_client.get(f"/api/v1/stats/pass-rate?{query}")
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and err["field"] == field
    assert field in err["message"]


def test_api_is_in_the_openapi_schema(pr_client):
    paths = pr_client.get("/openapi.json").json()["paths"]
    params = {p["name"] for p in paths["/api/v1/stats/pass-rate"]["get"]["parameters"]}
    assert {"by", "period", "city", "cluster", "trend"} <= params


# --- page ---------------------------------------------------------------------------------------------

def test_page_shows_the_form_and_the_table(pr_client):
    r = pr_client.get("/stats/pass-rate?by=district&period=2024")
    assert r.status_code == 200
    html = r.text
    assert '{% extends' not in html and '<html lang="zh-CN">' in html
    assert 'name="by"' in html and 'name="period"' in html and 'name="city"' in html
    assert '<option value="district" selected>' in html and 'value="2024"' in html
    rows = _rows(html)
    assert "深圳市宝安区 42 0 100.0% 91.6–100.0% +10.0 达标" in rows
    assert "东莞市长安镇 1 1 0.0% 0.0–79.3% -90.0 未达标" in rows
    assert "合计 45 3 93.3% 82.1–97.7% +3.3 不确定" in rows
    assert "另有 1 个批次尚无检验结论" in _text(html)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from outside


def test_page_draws_the_chart_only_when_echarts_is_vendored(pr_client, monkeypatch, tmp_path):
    from lingqu.sampling import pages

    monkeypatch.setattr(pages, "ECHARTS", tmp_path / "absent.js")
    html = pr_client.get("/stats/pass-rate?by=year").text
    assert "echarts" not in html and "2023年" in html
    fake = tmp_path / "echarts.min.js"
    fake.write_text("/* stand-in */")
    monkeypatch.setattr(pages, "ECHARTS", fake)
    html = pr_client.get("/stats/pass-rate?by=year").text
    assert '<script src="/static/vendor/echarts.min.js"></script>' in html
    assert 'id="pass-rate-chart"' in html
    # the bar labels and rates handed to the chart
    assert json.loads(re.search(r"var rows = (\[.*?\]);", html).group(1)) == ["2023年", "2024年"]
    assert json.loads(re.search(r"var rates = (\[.*?\]);", html).group(1)) == pytest.approx([4 / 7, 42 / 45])


def test_page_with_bad_input_keeps_the_form_and_names_the_parameter(pr_client):
    r = pr_client.get("/stats/pass-rate?by=city&period=2024Q7")
    assert r.status_code == 422
    text = _text(r.text)
    assert "参数 period 无法识别" in text
    assert 'name="period" value="2024Q7"' in r.text


def test_page_trend_rows_follow_their_slice(pr_client):
    rows = _rows(pr_client.get("/stats/pass-rate?by=city&city=441900&trend=quarter").text)
    i = rows.index("东莞市 2 2 0.0% 0.0–65.8% -90.0 未达标")
    assert rows[i + 1].startswith("└ 2023年第2季度 1 1 0.0%")
    assert rows[i + 2].startswith("└ 2024年第2季度 1 1 0.0%")


def test_overview_page_still_works(pr_client):
    r = pr_client.get("/overview")
    assert r.status_code == 200 and "质量总览" in r.text
