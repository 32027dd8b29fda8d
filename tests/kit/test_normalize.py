"""Value normalisers: every spelling regulators' sheets use maps to one canonical value, and
every value that cannot be understood gets a bilingual reason (never a stray exception)."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lingqu.kit.normalize import (
    CHANNELS,
    CLUSTERS,
    INSTITUTION_KINDS,
    SEVERITIES,
    SIZES,
    FieldProblem,
    city_code,
    clean_text,
    district_name,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_verdict,
)

SIX_CITIES = ("440300", "440100", "441900", "441300", "442000", "440700")


def _district_rows() -> list[dict[str, str]]:
    with (resources.files("lingqu") / "data" / "districts.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------- clean_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  深圳  ", "深圳"),
        ("２０２５", "2025"),  # full-width digits
        ("ＡＢＣ", "ABC"),  # full-width letters
        ("宝安\u3000区", "宝安 区"),  # ideographic space
        ("\ufeff合格", "合格"),  # BOM pasted from a UTF-8 file
        ("合\u200b格", "合格"),  # zero-width space from a web page
        ("a \t\n  b", "a b"),
        ("e\u200b\u0301", "é"),  # the zero-width space no longer blocks composition
        (None, ""),
        ("", ""),
    ],
)
def test_clean_text_gives_half_width_single_spaced_text(raw, expected):
    assert clean_text(raw) == expected


# ----------------------------------------------------------------------------- city_code


@pytest.mark.parametrize(
    "raw", ["深圳", "深圳市", "Shenzhen", "shenzhen", "SHENZHEN", "深圳 市", "440300", "广东省深圳市", "广东深圳", " 深圳市 ", "４４０３００", "Shenzhen City"]
)
def test_every_spelling_of_shenzhen_is_code_440300(raw):
    assert city_code(raw) == "440300"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("广州", "440100"), ("东莞市", "441900"), ("Huizhou", "441300"), ("中山", "442000"), ("江门市", "440700")],
)
def test_each_of_the_six_cities_is_recognised(raw, code):
    assert city_code(raw) == code


def test_unknown_city_names_the_six_expected_cities():
    with pytest.raises(FieldProblem) as e:
        city_code("北京")
    assert str(e.value) == '无法识别的城市 "北京" (unknown city; expected one of 深圳 广州 东莞 惠州 中山 江门)'


@pytest.mark.parametrize("raw", [None, "", "   ", "440301", "佛山"])
def test_empty_or_foreign_city_is_a_field_problem(raw):
    with pytest.raises(FieldProblem, match="expected one of 深圳 广州 东莞 惠州 中山 江门"):
        city_code(raw)


# ----------------------------------------------------------------------------- gazetteer


def test_gazetteer_covers_the_six_cities_with_their_real_division_counts():
    rows = _district_rows()
    by_city: dict[str, list[dict]] = {}
    for r in rows:
        by_city.setdefault(r["city_code"], []).append(r)
    assert set(by_city) == set(SIX_CITIES)
    official = {c: [r for r in rs if r["kind"] != "功能区"] for c, rs in by_city.items()}
    # Administrative divisions as of 2024 (功能区 excluded): Shenzhen 9 districts, Guangzhou 11,
    # Huizhou 2 districts + 3 counties, Jiangmen 3 districts + 4 county-level cities,
    # Dongguan 4 街道 + 28 镇, Zhongshan 8 街道 + 15 镇.
    assert {c: len(rs) for c, rs in official.items()} == {
        "440300": 9, "440100": 11, "441300": 5, "440700": 7, "441900": 32, "442000": 23,
    }
    dongguan = [r["kind"] for r in official["441900"]]
    assert (dongguan.count("街道"), dongguan.count("镇")) == (4, 28)
    zhongshan = [r["kind"] for r in official["442000"]]
    assert (zhongshan.count("街道"), zhongshan.count("镇")) == (8, 15)


def test_gazetteer_rows_are_well_formed():
    rows = _district_rows()
    assert all(r["kind"] in {"区", "县", "市", "镇", "街道", "功能区"} for r in rows)
    assert all(r["name_zh"] and r["name_en"] and len(r["name_en"]) <= 60 for r in rows)
    pairs = [(r["city_code"], r["name_zh"]) for r in rows]
    assert len(pairs) == len(set(pairs))


def test_every_gazetteer_name_and_alias_resolves_to_itself():
    for r in _district_rows():
        for spelling in [r["name_zh"], r["name_en"], *filter(None, r["aliases"].split(";"))]:
            assert district_name(r["city_code"], spelling) == r["name_zh"], spelling


@pytest.mark.parametrize(
    "raw", ["宝安区", "宝安", "Bao'an", "Baoan", "BAOAN", "Bao An District", "宝安 区", "深圳市宝安区", "广东省深圳市宝安区"]
)
def test_every_spelling_of_bao_an_is_the_same_district(raw):
    assert district_name("440300", raw) == "宝安区"


@pytest.mark.parametrize(
    ("city", "raw", "expected"),
    [
        ("441300", "博罗", "博罗县"),
        ("440700", "台山", "台山市"),
        ("440700", "Taishan City", "台山市"),
        ("441900", "虎门", "虎门镇"),
        ("441900", "松山湖", "松山湖高新技术产业开发区"),
        ("442000", "石岐", "石岐街道"),
        ("442000", "中山港", "中山港街道"),  # begins with the city name 中山, must not be stripped
        ("442000", "中山市中山港街道", "中山港街道"),
        ("442000", "火炬开发区", "火炬高技术产业开发区"),
        ("442000", "东区", "东区街道"),
        ("441300", "大亚湾", "大亚湾经济技术开发区"),
        ("441300", "仲恺高新区", "仲恺高新技术产业开发区"),
        ("440300", "大鹏新区", "大鹏新区"),
        ("440100", "Huangpu", "黄埔区"),  # the same pinyin is 黄圃镇 in Zhongshan
        ("442000", "Huangpu", "黄圃镇"),
        ("深圳市", "福田", "福田区"),  # the city argument accepts any city spelling
    ],
)
def test_district_short_names_aliases_and_pinyin_resolve(city, raw, expected):
    assert district_name(city, raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "\u200b"])
def test_missing_district_is_empty_because_it_is_optional(raw):
    assert district_name("440300", raw) == ""


def test_district_of_another_city_says_which_city_it_belongs_to():
    with pytest.raises(FieldProblem) as e:
        district_name("440300", "虎门")
    assert str(e.value) == '"虎门" 属于东莞市虎门镇，不属于深圳市 (Humen Town is in Dongguan, not Shenzhen)'


def test_district_unknown_in_every_city_lists_the_citys_districts():
    with pytest.raises(FieldProblem) as e:
        district_name("440700", "火星区")
    assert str(e.value) == (
        '江门市无此区县/镇街 "火星区" (unknown district of Jiangmen; '
        "expected one of 蓬江区 江海区 新会区 台山市 开平市 鹤山市 恩平市)"
    )


def test_district_with_unknown_city_reports_the_city():
    with pytest.raises(FieldProblem, match="无法识别的城市"):
        district_name("北京", "朝阳区")


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "raw",
    [
        "2025-03-01", "2025/3/1", "2025.3.1", "2025年3月1日", "2025年03月01日", "2025 年 3 月 1 日",
        "20250301", "2025-03-01 00:00:00", "2025-03-01T08:00", "2025-03-01T08:00:00.123+08:00",
        "２０２５－０３－０１", "２０２５年３月１日", " 2025-03-01 ", "2025/03/01 8:30",
    ],
)
def test_every_date_spelling_is_the_first_of_march_2025(raw):
    assert parse_date(raw) == dt.date(2025, 3, 1)


def test_leap_day_is_a_date_only_in_leap_years():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    with pytest.raises(FieldProblem, match="no such date: 2025-02 has no day 29"):
        parse_date("2025-02-29")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2025-02-30", '日期不存在 "2025-02-30" (no such date: 2025-02 has no day 30)'),
        ("2025-13-01", '日期不存在 "2025-13-01" (no such date: there is no month 13)'),
        ("1899-12-31", '日期 "1899-12-31" 的年份 1899 不在 1900–2100 之间 (year must be between 1900 and 2100)'),
        ("2101年1月1日", '日期 "2101年1月1日" 的年份 2101 不在 1900–2100 之间 (year must be between 1900 and 2100)'),
        ("2025-03-01 25:00", '日期 "2025-03-01 25:00" 的时间部分无效 (the time of day is impossible)'),
        ("3月1日", '无法识别的日期 "3月1日" (unrecognised date; write it as 2025-03-01, 2025/3/1 or 2025年3月1日)'),
        ("2025-03/01", '无法识别的日期 "2025-03/01" (unrecognised date; write it as 2025-03-01, 2025/3/1 or 2025年3月1日)'),
        ("", "日期为空 (date is empty; write it as 2025-03-01, 2025/3/1 or 2025年3月1日)"),
    ],
)
def test_bad_dates_say_why(raw, message):
    with pytest.raises(FieldProblem) as e:
        parse_date(raw)
    assert str(e.value) == message


# ----------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    "raw", ["合格", "符合", "通过", "判定合格", "pass", "PASS", "Passed", "P", "ok", "OK", "Y", "yes", "true", "1", " 合 格 "]
)
def test_pass_spellings_are_true(raw):
    assert parse_verdict(raw) is True


@pytest.mark.parametrize(
    "raw", ["不合格", "不符合", "未通过", "判定不合格", "fail", "FAIL", "failed", "F", "NG", "ng", "N", "no", "false", "0", "０"]
)
def test_fail_spellings_are_false(raw):
    assert parse_verdict(raw) is False


def test_unknown_verdict_says_what_is_expected():
    with pytest.raises(FieldProblem) as e:
        parse_verdict("待定")
    assert str(e.value) == '无法识别的判定结果 "待定"，应为 合格 或 不合格 (unknown verdict; expected pass or fail)'
    with pytest.raises(FieldProblem, match="verdict is empty"):
        parse_verdict(None)


# ----------------------------------------------------------------------------- choices


@pytest.mark.parametrize(
    ("raw", "table", "expected"),
    [
        ("移动电源", CLUSTERS, "power_bank"),
        ("充电宝", CLUSTERS, "power_bank"),
        ("Power Bank", CLUSTERS, "power_bank"),
        ("POWERBANK", CLUSTERS, "power_bank"),
        ("power_bank", CLUSTERS, "power_bank"),
        ("医疗器械", CLUSTERS, "medical_device"),
        ("其它", CLUSTERS, "other"),
        ("生产环节", CHANNELS, "production"),
        ("实体店", CHANNELS, "circulation"),
        ("Retail", CHANNELS, "circulation"),
        ("电子商务", CHANNELS, "online"),
        ("E-Commerce", CHANNELS, "online"),
        ("检验检测机构", INSTITUTION_KINDS, "lab"),
        ("Testing Lab", INSTITUTION_KINDS, "lab"),
        ("计量院", INSTITUTION_KINDS, "metrology"),
        ("行业协会", INSTITUTION_KINDS, "association"),
        ("小型企业", SIZES, "small"),
        ("Large", SIZES, "large"),
        ("a类", SEVERITIES, "critical"),
        ("重要", SEVERITIES, "major"),
        ("轻微", SEVERITIES, "minor"),
    ],
)
def test_choice_aliases_resolve_to_the_canonical_key(raw, table, expected):
    assert parse_choice(raw, "field", table) == expected


def test_every_choice_alias_in_every_table_resolves():
    for table in (CLUSTERS, CHANNELS, INSTITUTION_KINDS, SIZES, SEVERITIES):
        for key, aliases in table.items():
            for spelling in (key, *aliases):
                assert parse_choice(spelling, "field", table) == key


def test_unknown_choice_lists_the_canonical_values():
    with pytest.raises(FieldProblem) as e:
        parse_choice("食品", "cluster", CLUSTERS)
    assert str(e.value) == (
        'cluster 无法识别 "食品"，应为 移动电源、医疗器械、其他 之一 '
        "(unknown cluster; expected one of power_bank, medical_device, other)"
    )


def test_choice_table_with_a_shared_alias_is_a_programming_error():
    with pytest.raises(ValueError, match="names both"):
        parse_choice("x", "f", {"a": ("同",), "b": ("同",)})


# ----------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12.0), ("-3.5", -3.5), ("+7", 7.0), ("− 2", -2.0), (".5", 0.5),
        ("1,234.5", 1234.5), ("1，234.5", 1234.5), ("1,234,567", 1234567.0),
        ("85.3%", 85.3), ("85.3 ％", 85.3), ("１２３.４", 123.4), ("1e3", 1000.0), ("2.5E-2", 0.025),
        (" 42 ", 42.0), (None, None), ("", None), ("  ", None),
    ],
)
def test_parse_number_accepts_the_ways_numbers_are_written(raw, expected):
    assert parse_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("nan", "not a number"), ("inf", "not a number"), ("-Infinity", "not a number"),
        ("abc", "not a number"), ("1_000", "not a number"), ("1 234", "not a number"), ("%", "not a number"),
        ("1,5", "thousands separators must group three digits"),
        ("12,34.5", "thousands separators must group three digits"),
        ("1e999", "number is too large"),
    ],
)
def test_parse_number_rejects_non_numbers_with_a_reason(raw, reason):
    with pytest.raises(FieldProblem, match=reason):
        parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("12.0", 12), ("１２", 12), ("1,200", 1200), ("-4", -4), ("1e3", 1000), ("", None), (None, None)],
)
def test_parse_int_accepts_whole_numbers(raw, expected):
    assert parse_int(raw) == expected


def test_parse_int_is_exact_for_large_values():
    assert parse_int("123456789012345678") == 123456789012345678


@pytest.mark.parametrize(
    ("raw", "minimum", "message"),
    [
        ("12.5", None, '"12.5" 应为整数 (must be a whole number)'),
        ("-1", 0, '"-1" 不能小于 0 (must be at least 0)'),
        ("0", 1, '"0" 不能小于 1 (must be at least 1)'),
        ("1e30", None, '数字 "1e30" 超出范围 (number is too large)'),
        ("十二", None, '"十二" 不是有效数字 (not a number)'),
    ],
)
def test_parse_int_rejects_with_a_reason(raw, minimum, message):
    with pytest.raises(FieldProblem) as e:
        parse_int(raw, minimum=minimum)
    assert str(e.value) == message


def test_parse_int_at_the_minimum_is_accepted():
    assert parse_int("0", minimum=0) == 0


# ----------------------------------------------------------------------------- properties

_messy_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("０１２３４５６７８９ＡＢ　\u200b\ufeff\u0301年月日-/.:,，%+eE 合格宝安区深圳市Tnan")),
    ),
    max_size=30,
)


@settings(derandomize=True, max_examples=500)
@given(_messy_text)
def test_clean_text_is_idempotent(s):
    once = clean_text(s)
    assert clean_text(once) == once


@settings(derandomize=True, max_examples=300)
@given(_messy_text, st.sampled_from(SIX_CITIES))
def test_parsers_return_a_value_or_raise_field_problem_only(s, city):
    parsers = [
        city_code,
        lambda v: district_name(city, v),
        parse_date,
        parse_verdict,
        lambda v: parse_choice(v, "channel", CHANNELS),
        parse_number,
        lambda v: parse_int(v, minimum=0),
    ]
    for parse in parsers:
        try:
            parse(s)
        except FieldProblem as e:
            assert str(e)  # always a reason to show


@settings(derandomize=True, max_examples=300)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)), st.sampled_from(["-", "/", "."]))
def test_parse_date_round_trips_any_date_in_range(d, sep):
    assert parse_date(f"{d.year}{sep}{d.month}{sep}{d.day}") == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日") == d
    assert parse_date(d.strftime("%Y%m%d")) == d
