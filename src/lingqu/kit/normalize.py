"""Turn a value as people write it into the canonical value, or say why it cannot be.

Regulators' sheets spell the same thing many ways: 深圳 / 深圳市 / Shenzhen, 宝安区 / 宝安,
合格 / pass, 2025-03-01 / 2025/3/1 / 2025年3月1日, full-width digits pasted from Word, stray
spaces and zero-width characters from web pages. Forms and bulk imports share these functions so
a value accepted in one is accepted in the other. Bulk import calls them once per *distinct*
value of a column, so they are plain functions over lookup tables built once (``lru_cache``);
they never touch the database or a data frame.

A value that cannot be understood raises :class:`FieldProblem` whose message is bilingual and
names what would have been accepted, because the person reading it has to fix the sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, DecimalException
from functools import lru_cache
from importlib import resources


class FieldProblem(ValueError):
    """A value that cannot be normalised; ``str(e)`` is the reason shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- text

# The same set the columnar importer strips, so both paths agree on what "the same text" is.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")
# Characters that people add or drop freely in names: spaces, apostrophes (Bao'an), hyphens,
# underscores, dots and the middle dot. Ignoring them is what lets "Bao An" find 宝安区.
_KEY_NOISE = re.compile("[\\s'\u2018\u2019`\\-_.\u00b7\u30fb]")


def clean_text(s: str | None) -> str:
    """NFKC-normalise, drop zero-width characters, strip and collapse whitespace.

    Zero-width characters are removed *before* NFKC: one sitting between a letter and a
    combining mark blocks composition, so removing it afterwards would leave text that a second
    call changes again, and the importer relies on ``clean_text`` being idempotent.
    """
    if not s:
        return ""
    s = _ZERO_WIDTH.sub("", s)
    s = unicodedata.normalize("NFKC", s)
    return _WHITESPACE.sub(" ", s).strip()


def _key(s: str) -> str:
    """Loose matching key: cleaned, case-folded, without spaces and punctuation noise."""
    return _KEY_NOISE.sub("", clean_text(s).casefold())


def _quote(s: str | None, limit: int = 40) -> str:
    """The user's value as shown in a message, shortened so a pasted paragraph stays readable."""
    s = clean_text(s)
    return f'"{s}"' if len(s) <= limit else f'"{s[:limit]}…"'


def _data_rows(name: str) -> list[dict[str, str]]:
    path = resources.files("lingqu") / "data" / name
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------- cities

_PROVINCE_PREFIXES = ("广东省", "广东", "guangdongprovince", "guangdong")
_CITY_SUFFIXES = ("市", "city", "shi")


@lru_cache(maxsize=1)
def _cities() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(code → row, matching key → code) from ``data/cities.csv``."""
    rows = {r["code"]: r for r in _data_rows("cities.csv")}
    index: dict[str, str] = {}
    for code, r in rows.items():
        for spelling in (code, r["name_zh"], r["name_zh"].removesuffix("市"), r["name_en"]):
            index[_key(spelling)] = code
    return rows, index


def _short_city(code: str) -> str:
    return _cities()[0][code]["name_zh"].removesuffix("市")


def _strip_province(k: str) -> str:
    for prefix in _PROVINCE_PREFIXES:
        if k.startswith(prefix) and len(k) > len(prefix):
            return k[len(prefix):]
    return k


def city_code(s: str | None) -> str:
    """The 6-digit division code (GB/T 2260) of one of the six cities.

    Accepts the code itself, the Chinese name with or without 市 (and with a 广东省 prefix, as
    addresses are often copied whole) and the English name in any case.
    """
    rows, index = _cities()
    expected = " ".join(_short_city(c) for c in rows)
    k = _key(s or "")
    if not k:
        raise FieldProblem(f"城市为空 (city is empty; expected one of {expected})")
    k = _strip_province(k)
    candidates = [k] + [k[: -len(suf)] for suf in _CITY_SUFFIXES if k.endswith(suf) and len(k) > len(suf)]
    for c in candidates:
        if c in index:
            return index[c]
    raise FieldProblem(f"无法识别的城市 {_quote(s)} (unknown city; expected one of {expected})")


# --------------------------------------------------------------------------- districts

_DISTRICT_SUFFIXES_ZH = ("街道", "区", "县", "市", "镇")
_DISTRICT_SUFFIXES_EN = re.compile(r"(subdistrict|district|county|city|town|street)$")


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[
    dict[str, dict[str, str]], dict[str, list[tuple[str, str]]], dict[str, tuple[str, ...]], dict[tuple[str, str], str]
]:
    """Lookup tables over ``data/districts.csv``.

    Returns (city → key → name_zh, key → [(city, name_zh)] over all cities, city → names in file
    order, (city, name_zh) → name_en). Keys are the official name, the name without its 区/县/
    市/镇/街道 suffix, the English name with and without its suffix word, and the listed aliases.
    Two districts of one city sharing a key would make lookups depend on file order, so that is
    a data error raised at load time.
    """
    by_city: dict[str, dict[str, str]] = {}
    anywhere: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, list[str]] = {}
    english: dict[tuple[str, str], str] = {}
    for r in _data_rows("districts.csv"):
        city, name = r["city_code"], r["name_zh"]
        spellings = [name, r["name_en"], *(a for a in r["aliases"].split(";") if a.strip())]
        for suffix in _DISTRICT_SUFFIXES_ZH:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                spellings.append(name[: -len(suffix)])
                break
        keys = {_key(x) for x in spellings}
        keys |= {_DISTRICT_SUFFIXES_EN.sub("", k) for k in keys}
        keys.discard("")
        table = by_city.setdefault(city, {})
        for k in keys:
            if table.get(k, name) != name:
                raise RuntimeError(f"districts.csv: {k!r} names both {table[k]} and {name} in {city}")
            table[k] = name
            anywhere.setdefault(k, []).append((city, name))
        names.setdefault(city, []).append(name)
        english[(city, name)] = r["name_en"]
    return by_city, anywhere, {c: tuple(n) for c, n in names.items()}, english


@lru_cache(maxsize=1)
def _city_prefixes() -> tuple[tuple[str, str], ...]:
    """(city name key, code), longest first so that 深圳市 is stripped before 深圳."""
    index = _cities()[1]
    return tuple(sorted(((k, c) for k, c in index.items() if not k.isdigit()), key=lambda kc: -len(kc[0])))


def _district_candidates(k: str) -> list[tuple[str | None, str]]:
    """Readings of a district key: as written, then without a 广东省/city prefix.

    The prefix is only tried after the plain reading fails, because 中山港街道 begins with the
    city name 中山. Each reading carries the city its prefix named (or ``None``).
    """
    readings: list[tuple[str | None, str]] = [(None, k)]
    rest = _strip_province(k)
    if rest != k:
        readings.append((None, rest))
    for prefix, code in _city_prefixes():
        if rest.startswith(prefix) and len(rest) > len(prefix):
            readings.append((code, rest[len(prefix):]))
            break
    out: list[tuple[str | None, str]] = []
    for city, r in readings:
        out.append((city, r))
        stripped = _DISTRICT_SUFFIXES_EN.sub("", r)
        if stripped and stripped != r:
            out.append((city, stripped))
    return out


def district_name(city: str, s: str | None) -> str:
    """The official name (name_zh in ``districts.csv``) of a district, town or zone of ``city``.

    ``city`` may be the code or any spelling :func:`city_code` accepts. The district is optional
    where it is used, so an empty value gives ``""``. A name that belongs to another of the six
    cities is reported as such, because that usually means the city column is wrong, not the
    district.
    """
    text = clean_text(s)
    if not text:
        return ""
    code = city_code(city)
    by_city, anywhere, names, english = _gazetteer()
    readings = _district_candidates(_key(text))
    own = by_city.get(code, {})
    for prefix_city, k in readings:
        if prefix_city in (None, code) and k in own:
            return own[k]
    city_zh = _cities()[0][code]["name_zh"]
    city_en = _cities()[0][code]["name_en"]
    for _, k in readings:
        others = [(c, n) for c, n in anywhere.get(k, []) if c != code]
        if others:
            rows = _cities()[0]
            zh = "或".join(f"{rows[c]['name_zh']}{n}" for c, n in others)
            en = " or ".join(f"{english[(c, n)]} is in {rows[c]['name_en']}" for c, n in others)
            raise FieldProblem(f"{_quote(text)} 属于{zh}，不属于{city_zh} ({en}, not {city_en})")
    expected = " ".join(names.get(code, ()))
    raise FieldProblem(
        f"{city_zh}无此区县/镇街 {_quote(text)} (unknown district of {city_en}; expected one of {expected})"
    )


# --------------------------------------------------------------------------- dates

_TIME = r"(?:(?:\s?T\s?|\s)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?"
_DATE_PATTERNS = (
    re.compile(r"(\d{4})\s?([-/.])\s?(\d{1,2})\s?\2\s?(\d{1,2})" + _TIME),
    re.compile(r"(\d{4})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?[日号]?" + _TIME),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_DATE_HINT = "write it as 2025-03-01, 2025/3/1 or 2025年3月1日"


def parse_date(s: str | None) -> dt.date:
    """A calendar date from the spellings used in Chinese sheets; a time part is ignored.

    Years outside 1900–2100 are refused: in this domain they are typing slips (0225, 2205) or
    spreadsheet serial numbers, never real dates.
    """
    text = clean_text(s)
    if not text:
        raise FieldProblem(f"日期为空 (date is empty; {_DATE_HINT})")
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            break
    else:
        raise FieldProblem(f"无法识别的日期 {_quote(text)} (unrecognised date; {_DATE_HINT})")
    groups = [g for g in m.groups() if g not in ("-", "/", ".")]
    year, month, day = (int(g) for g in groups[:3])
    if not 1900 <= year <= 2100:
        raise FieldProblem(f"日期 {_quote(text)} 的年份 {year} 不在 1900–2100 之间 (year must be between 1900 and 2100)")
    hh, mm, ss = (int(g) if g else 0 for g in (groups[3:6] + [None, None, None])[:3])
    if hh > 23 or mm > 59 or ss > 60:
        raise FieldProblem(f"日期 {_quote(text)} 的时间部分无效 (the time of day is impossible)")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldProblem(
            f"日期不存在 {_quote(text)} (no such date: {year}-{month:02d} has no day {day})"
            if 1 <= month <= 12
            else f"日期不存在 {_quote(text)} (no such date: there is no month {month})"
        ) from None


# --------------------------------------------------------------------------- verdicts

_PASS = ("合格", "符合", "符合要求", "通过", "判定合格", "pass", "passed", "p", "ok", "y", "yes", "true", "1")
_FAIL = (
    "不合格", "不符合", "不符合要求", "未通过", "不通过", "判定不合格",
    "fail", "failed", "f", "ng", "n", "no", "false", "0",
)
_VERDICTS = {**{_key(v): True for v in _PASS}, **{_key(v): False for v in _FAIL}}


def parse_verdict(s: str | None) -> bool:
    """``True`` for a pass (合格), ``False`` for a fail (不合格), case-insensitively."""
    k = _key(s or "")
    if not k:
        raise FieldProblem("判定结果为空 (verdict is empty; expected 合格/不合格 or pass/fail)")
    try:
        return _VERDICTS[k]
    except KeyError:
        raise FieldProblem(
            f"无法识别的判定结果 {_quote(s)}，应为 合格 或 不合格 (unknown verdict; expected pass or fail)"
        ) from None


# --------------------------------------------------------------------------- enumerations

CLUSTERS: dict[str, tuple[str, ...]] = {
    "power_bank": ("移动电源", "充电宝", "power bank", "powerbank"),
    "medical_device": ("医疗器械", "医疗", "medical device"),
    "other": ("其他", "其它"),
}
CHANNELS: dict[str, tuple[str, ...]] = {
    "production": ("生产", "生产环节", "生产领域", "生产企业", "factory"),
    "circulation": ("流通", "流通环节", "流通领域", "销售", "实体店", "商场", "retail", "offline"),
    "online": ("网络", "网购", "电商", "电子商务", "线上", "网络销售", "e-commerce"),
}
INSTITUTION_KINDS: dict[str, tuple[str, ...]] = {
    "lab": ("检验检测机构", "检测机构", "实验室", "检验机构", "testing lab"),
    "certification": ("认证机构", "认证"),
    "metrology": ("计量", "计量机构", "计量院"),
    "standards": ("标准化", "标准化机构", "标准院"),
    "consultancy": ("咨询", "咨询机构", "咨询公司"),
    "association": ("协会", "行业协会", "商会", "学会"),
}
SIZES: dict[str, tuple[str, ...]] = {
    "micro": ("微型", "微型企业"),
    "small": ("小型", "小型企业"),
    "medium": ("中型", "中型企业"),
    "large": ("大型", "大型企业"),
}
SEVERITIES: dict[str, tuple[str, ...]] = {
    "critical": ("严重", "致命", "A类"),
    "major": ("较重", "重要", "B类"),
    "minor": ("轻微", "次要", "C类"),
}


@lru_cache(maxsize=64)
def _choice_table(items: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    """Matching key → canonical value; an alias shared by two values is a programming error."""
    table: dict[str, str] = {}
    for canonical, aliases in items:
        for spelling in (canonical, *aliases):
            k = _key(spelling)
            if table.get(k, canonical) != canonical:
                raise ValueError(f"choice alias {spelling!r} names both {table[k]!r} and {canonical!r}")
            table[k] = canonical
    return table


def _label_zh(canonical: str, aliases: tuple[str, ...]) -> str:
    return next((a for a in aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), canonical)


def parse_choice(s: str | None, field: str, choices: dict[str, tuple[str, ...]]) -> str:
    """The canonical key of ``choices`` that ``s`` names, itself or by one of its aliases.

    Matching ignores case, spaces, hyphens and underscores, so "Power-Bank" and "power_bank"
    both find ``power_bank``.
    """
    table = _choice_table(tuple((k, tuple(v)) for k, v in choices.items()))
    zh = "、".join(_label_zh(k, v) for k, v in choices.items())
    en = ", ".join(choices)
    k = _key(s or "")
    if not k:
        raise FieldProblem(f"{field} 为空，应为 {zh} 之一 ({field} is empty; expected one of {en})")
    try:
        return table[k]
    except KeyError:
        raise FieldProblem(
            f"{field} 无法识别 {_quote(s)}，应为 {zh} 之一 (unknown {field}; expected one of {en})"
        ) from None


# --------------------------------------------------------------------------- numbers

_SIGN_SPACE = re.compile(r"^([+-]) ")  # "- 5" from a sheet that pads signs
_PERCENT = re.compile(r" ?%$")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?")
_PLAIN = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _number_text(s: str | None) -> tuple[str, str] | None:
    """(text as written, plain numeric literal), or ``None`` for an empty value.

    The literal is checked by pattern rather than handed to ``float`` directly, because
    ``float`` also accepts "nan", "infinity" and "1_000", none of which is a measurement.
    """
    text = clean_text(s)
    if not text:
        return None
    t = _SIGN_SPACE.sub(r"\1", text.replace("\u2212", "-"))
    t = _PERCENT.sub("", t)
    if "," in t:
        if not _GROUPED.fullmatch(t):
            raise FieldProblem(
                f"数字 {_quote(text)} 的千位分隔符位置不对，小数请用小数点 "
                "(thousands separators must group three digits; write decimals with a point)"
            )
        t = t.replace(",", "")
    if not _PLAIN.fullmatch(t):
        raise FieldProblem(f"{_quote(text)} 不是有效数字 (not a number)")
    return text, t


def parse_number(s: str | None) -> float | None:
    """A finite number, or ``None`` for an empty value.

    A trailing % is dropped and the number kept as written (85.3% → 85.3), because sheets mix
    "85.3" and "85.3%" in one rate column and both mean the same percentage.
    """
    parsed = _number_text(s)
    if parsed is None:
        return None
    text, literal = parsed
    value = float(literal)
    if not math.isfinite(value):
        raise FieldProblem(f"数字 {_quote(text)} 超出范围 (number is too large)")
    return value


_INT_LIMIT = Decimal(10) ** 18  # beyond any count in this domain, and within a 64-bit column


def parse_int(s: str | None, *, minimum: int | None = None) -> int | None:
    """A whole number (12 and 12.0 both give 12), at least ``minimum`` when given; ``None`` if empty.

    Parsed through ``Decimal`` so that large values are checked exactly, not after float rounding.
    """
    parsed = _number_text(s)
    if parsed is None:
        return None
    text, literal = parsed
    try:
        d = Decimal(literal)
        if d.copy_abs() >= _INT_LIMIT:
            raise FieldProblem(f"数字 {_quote(text)} 超出范围 (number is too large)")
        if d != d.to_integral_value():
            raise FieldProblem(f"{_quote(text)} 应为整数 (must be a whole number)")
        value = int(d)
    except DecimalException:
        raise FieldProblem(f"{_quote(text)} 不是有效数字 (not a number)") from None
    if minimum is not None and value < minimum:
        raise FieldProblem(f"{_quote(text)} 不能小于 {minimum} (must be at least {minimum})")
    return value
