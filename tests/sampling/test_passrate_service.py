"""Pass-rate statistics per slice, on the hand-counted world of conftest.py.

Counts are worked out by hand in the conftest docstring; the intervals are those of
``wilson_interval`` (itself checked against Newcombe 1998 and statsmodels in
tests/stats/test_proportion.py), and the target verdict follows from where they lie against 0.90.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lingqu.db.engine import unit_of_work
from lingqu.exceptions import ValidationError
from lingqu.sampling import passrate
from lingqu.stats.proportion import wilson_interval


def report(db_url, **params):
    query = passrate.parse_query(**params)
    with unit_of_work(db_url) as s:
        return passrate.pass_rate(s, query)


def counts(rep) -> dict[str, tuple[int, int, int]]:
    """key → (passed, n, pending) of each row."""
    return {r.key: (r.passed, r.batches if r.unit == "batch" else r.tests, r.pending) for r in rep.rows}


# --- every dimension, all time -------------------------------------------------------------------------

def test_by_city(db_url, pr_world):
    rep = report(db_url, by="city")
    assert counts(rep) == {"440300": (46, 50, 1), "441900": (0, 2, 0)}
    assert [r.label for r in rep.rows] == ["深圳市", "东莞市"]
    assert rep.unit == "batch" and rep.by_label == "城市"


def test_by_district_keys_carry_the_city(db_url, pr_world):
    rep = report(db_url, by="district")
    assert counts(rep) == {
        "440300:宝安区": (43, 45, 0), "440300:龙华区": (2, 3, 1), "440300:南山区": (1, 2, 0), "441900:长安镇": (0, 2, 0),
    }
    assert {r.key: r.label for r in rep.rows}["441900:长安镇"] == "东莞市长安镇"


def test_by_enterprise_is_keyed_by_uscc_and_labelled_by_name(db_url, pr_world):
    rep = report(db_url, by="enterprise")
    w = pr_world
    assert counts(rep) == {w.a: (3, 5, 0), w.b: (2, 3, 1), w.e: (40, 40, 0), w.c: (0, 2, 0), w.d: (1, 2, 0)}
    assert {r.key: r.label for r in rep.rows}[w.e] == "深圳市优品数码有限公司"


def test_by_brand(db_url, pr_world):
    assert counts(report(db_url, by="brand")) == {
        "华强": (3, 5, 0), "安心": (2, 3, 1), "优品": (40, 40, 0), "力宝": (0, 2, 0), "迈瑞康": (1, 2, 0),
    }


def test_by_channel_with_chinese_labels(db_url, pr_world):
    rep = report(db_url, by="channel")
    assert counts(rep) == {"online": (3, 6, 1), "offline": (2, 4, 0), "production": (1, 2, 0), "circulation": (40, 40, 0)}
    assert {r.key: r.label for r in rep.rows} == {
        "online": "网络销售", "offline": "实体销售", "production": "生产环节", "circulation": "流通环节",
    }


def test_by_product_accepts_product_name(db_url, pr_world):
    expected = {"移动电源": (44, 48, 1), "充电宝": (1, 2, 0), "电子血压计": (1, 2, 0)}
    assert counts(report(db_url, by="product")) == expected
    assert counts(report(db_url, by="product_name")) == expected


def test_by_cluster(db_url, pr_world):
    rep = report(db_url, by="cluster")
    assert counts(rep) == {"power_bank": (45, 50, 1), "medical_device": (1, 2, 0)}
    assert [r.label for r in rep.rows] == ["移动电源", "医疗器械"]


def test_by_year_in_order(db_url, pr_world):
    rep = report(db_url, by="year")
    assert [(r.key, r.label) for r in rep.rows] == [("2023", "2023年"), ("2024", "2024年")]
    assert counts(rep) == {"2023": (4, 7, 0), "2024": (42, 45, 1)}


def test_by_quarter_in_order(db_url, pr_world):
    rep = report(db_url, by="quarter")
    assert list(counts(rep).items()) == [
        ("2023Q1", (2, 2, 0)), ("2023Q2", (0, 2, 0)), ("2023Q3", (1, 2, 0)), ("2023Q4", (1, 1, 0)),
        ("2024Q1", (1, 2, 0)), ("2024Q2", (0, 1, 0)), ("2024Q3", (1, 1, 1)), ("2024Q4", (40, 41, 0)),
    ]
    assert rep.rows[2].label == "2023年第3季度"


def test_by_test_item_counts_item_results_not_batches(db_url, pr_world):
    rep = report(db_url, by="test_item")
    assert rep.unit == "test"
    assert counts(rep) == {"转换效率": (47, 50, 0), "标识": (48, 50, 0), "输出电压": (49, 50, 0),
                           "电气安全": (2, 2, 0), "血压示值误差": (1, 2, 0)}
    row = rep.rows[0]
    assert row.tests is not None and row.batches is None
    assert (rep.overall.passed, rep.overall.tests, rep.overall.failures) == (147, 154, 7)


# --- the numbers in a row ------------------------------------------------------------------------------

def test_row_has_rate_wilson_interval_gap_and_verdict(db_url, pr_world):
    rows = {r.key: r for r in report(db_url, by="enterprise").rows}
    a = rows[pr_world.a]  # 3 of 5 passed
    ci = wilson_interval(3, 5)
    assert (a.batches, a.failures, a.passed) == (5, 2, 3)
    assert a.pass_rate == pytest.approx(0.6)
    assert (a.lower, a.upper) == (pytest.approx(ci.lower), pytest.approx(ci.upper))
    assert a.target == 0.9
    assert a.gap_to_target == pytest.approx(-0.3)
    assert a.upper < 0.9 and a.target_status == "below_target" and a.target_status_label == "未达标"


def test_target_verdict_depends_on_where_the_interval_lies(db_url, pr_world):
    rows = {r.key: r for r in report(db_url, by="enterprise").rows}
    # 40 of 40: lower bound 40 / (40 + z²) = 0.912 > 0.90 → meets the target
    e = rows[pr_world.e]
    assert e.lower == pytest.approx(40 / (40 + 1.959963984540054**2)) and e.lower > 0.9
    assert e.target_status == "meets_target" and e.gap_to_target == pytest.approx(0.1)
    # 1 of 2: 50 %, but the interval (0.095, 0.905) reaches above 0.90 → undetermined
    d = rows[pr_world.d]
    assert d.pass_rate == 0.5 and d.upper > 0.9 and d.target_status == "undetermined"
    # 0 of 2 → upper 0.658 < 0.90 → below
    assert rows[pr_world.c].target_status == "below_target" and rows[pr_world.c].lower == 0.0


def test_district_whose_rate_beats_the_target_is_still_undetermined_when_the_interval_straddles(db_url, pr_world):
    row = {r.key: r for r in report(db_url, by="district").rows}["440300:宝安区"]  # 43 / 45 = 95.6 %
    ci = wilson_interval(43, 45)
    assert row.pass_rate == pytest.approx(43 / 45) and row.gap_to_target > 0
    assert row.lower == pytest.approx(ci.lower) and ci.lower < 0.9 < ci.upper
    assert row.target_status == "undetermined"


def test_overall_is_all_slices_together_and_pending_is_left_out(db_url, pr_world):
    o = report(db_url, by="brand").overall
    assert (o.passed, o.failures, o.batches, o.pending) == (46, 6, 52, 1)
    assert o.pass_rate == pytest.approx(46 / 52)
    assert o.lower == pytest.approx(wilson_interval(46, 52).lower)


def test_rows_are_ordered_by_size_then_key_and_limit_cuts(db_url, pr_world):
    rep = report(db_url, by="brand", limit=2)
    assert [r.key for r in rep.rows] == ["优品", "华强"]
    assert rep.total_rows == 5


# --- filters -----------------------------------------------------------------------------------------

def test_period_year_filters_by_sampling_date(db_url, pr_world):
    rep = report(db_url, by="district", period="2024")
    assert (rep.period, rep.start, rep.end) == ("2024", dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert counts(rep) == {
        "440300:宝安区": (42, 42, 0), "440300:龙华区": (0, 1, 1), "440300:南山区": (0, 1, 0), "441900:长安镇": (0, 1, 0),
    }


def test_period_quarter_and_range_of_quarters(db_url, pr_world):
    assert counts(report(db_url, by="enterprise", period="2023Q3")) == {pr_world.a: (0, 1, 0), pr_world.d: (1, 1, 0)}
    rep = report(db_url, by="year", period="2023q4..2024Q1")
    assert (rep.period, rep.start, rep.end) == ("2023Q4..2024Q1", dt.date(2023, 10, 1), dt.date(2024, 4, 1))
    assert counts(rep) == {"2023": (1, 1, 0), "2024": (1, 2, 0)}


def test_period_range_of_years(db_url, pr_world):
    rep = report(db_url, by="city", period="2023..2023")
    # 2023 in Shenzhen: A1 B1 B2 D1 passed, A2 A3 failed; in Dongguan C1 failed
    assert counts(rep) == {"440300": (4, 6, 0), "441900": (0, 1, 0)}


def test_city_filter_accepts_code_or_name(db_url, pr_world):
    for city in ("441900", "东莞", "Dongguan"):
        rep = report(db_url, by="district", city=city)
        assert rep.city == "441900"
        assert counts(rep) == {"441900:长安镇": (0, 2, 0)}


def test_cluster_filter_accepts_alias(db_url, pr_world):
    rep = report(db_url, by="test_item", cluster="医疗器械")
    assert rep.cluster == "medical_device"
    assert counts(rep) == {"电气安全": (2, 2, 0), "血压示值误差": (1, 2, 0)}


def test_no_data_gives_no_rows_and_an_undetermined_overall(db_url, pr_world):
    rep = report(db_url, by="city", period="2019")
    assert rep.rows == [] and rep.total_rows == 0
    assert rep.overall.batches == 0 and rep.overall.pass_rate is None and rep.overall.lower is None
    assert rep.overall.target_status == "undetermined"


def test_slice_with_only_pending_batches_has_no_rate(db_url, pr_world):
    rep = report(db_url, by="enterprise", period="2024Q3", city="440300")
    rows = {r.key: r for r in rep.rows}
    b = rows[pr_world.b]  # only B4, without a verdict
    assert (b.batches, b.pending, b.pass_rate, b.lower, b.gap_to_target) == (0, 1, None, None, None)
    assert b.target_status == "undetermined"


# --- trend --------------------------------------------------------------------------------------------

def test_quarterly_trend_per_enterprise(db_url, pr_world):
    rows = {r.key: r for r in report(db_url, by="enterprise", trend="quarter").rows}
    a = rows[pr_world.a]
    assert [(p.period, p.passed, p.batches) for p in a.trend] == [
        ("2023Q1", 1, 1), ("2023Q2", 0, 1), ("2023Q3", 0, 1), ("2024Q1", 1, 1), ("2024Q3", 1, 1),
    ]
    assert (a.passed, a.batches) == (3, 5)  # the row's totals are the sum of its trend
    p = a.trend[1]
    assert p.label == "2023年第2季度" and p.upper == pytest.approx(wilson_interval(0, 1).upper)


def test_yearly_trend_per_test_item(db_url, pr_world):
    rows = {r.key: r for r in report(db_url, by="test_item", trend="year").rows}
    # 转换效率 failed on A2 A3 C1 (2023); 2023 tested on A1 A2 A3 B1 B2 C1 = 6, 2024 on A4 A5 B3 E×40 C2 = 44
    assert [(p.period, p.passed, p.tests) for p in rows["转换效率"].trend] == [("2023", 3, 6), ("2024", 44, 44)]


def test_by_year_with_quarterly_trend(db_url, pr_world):
    rows = {r.key: r for r in report(db_url, by="year", trend="quarter").rows}
    assert [p.period for p in rows["2023"].trend] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert rows["2024"].trend[-1].batches == 41


def test_without_trend_rows_have_none(db_url, pr_world):
    assert all(r.trend is None for r in report(db_url, by="city").rows)


# --- bad input -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"by": "colour"}, "by", "unknown by; expected one of city, district"),
        ({"by": ""}, "by", "by is required"),
        ({"by": "city", "period": "2024Q5"}, "period", "expected a year 2024, a quarter 2024Q3"),
        ({"by": "city", "period": "last year"}, "period", "period"),
        ({"by": "city", "period": "2024..2023"}, "period", "ends before it starts"),
        ({"by": "city", "period": "1850"}, "period", "between 1900 and 2100"),
        ({"by": "city", "city": "北京"}, "city", "unknown city"),
        ({"by": "city", "cluster": "toys"}, "cluster", "unknown cluster"),
        ({"by": "city", "trend": "month"}, "trend", "expected quarter or year"),
        ({"by": "quarter", "trend": "year"}, "trend", "trend must be finer than by"),
        ({"by": "year", "trend": "year"}, "trend", "trend must be finer than by"),
        ({"by": "city", "limit": "0"}, "limit", "limit must be a whole number >= 1"),
    ],
)
def test_bad_parameters_are_refused_naming_the_parameter(params, field, fragment):
    with pytest.raises(ValidationError) as e:
        passrate.parse_query(**params)
    assert e.value.field == field
    assert fragment in e.value.message
    assert field in e.value.message


def test_dimension_names_in_chinese_are_accepted():
    assert passrate.parse_query(by="区县").by == "district"
    assert passrate.parse_query(by="检验项目", trend="季度").trend == "quarter"
