"""Pass-rate statistics for any slice of the sampling records, with Wilson intervals and the target.

For a slice (a city, district, enterprise, brand, channel, product, cluster, test item, year or
quarter) and a period: how many units were judged, how many failed, the pass rate with its Wilson
95 % interval, the distance to the 90 % target and where the interval lies against it; optionally
the same per year or quarter (the trend). The unit is the batch — a batch fails if any item failed,
and batches without a verdict are left out — except for slices by test item, where it is the
test result (one item on one batch). See docs/methods/pass-rate.md.

Adapters hand raw strings to :func:`parse_query`, which answers bad input with a
``ValidationError`` naming the parameter (Chinese, English in brackets); :func:`pass_rate` runs
one aggregate query and computes every interval in one vectorised call.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from lingqu.auth.scope import Forbidden, Scope
from lingqu.enterprise.schemas import cluster_label
from lingqu.exceptions import ValidationError
from lingqu.kit.normalize import CLUSTERS, FieldProblem, city_code, clean_text, parse_choice
from lingqu.sampling import passrate_repository as repository
from lingqu.sampling.schemas import (
    TARGET_PASS_RATE,
    TARGET_STATUS_LABELS,
    PassRatePoint,
    PassRateQuery,
    PassRateReport,
    PassRateRow,
    PassRateStats,
    channel_label,
)
from lingqu.stats.proportion import WILSON, ProportionWarning, wilson_intervals

CONFIDENCE = 0.95

#: The slice dimensions, with their Chinese names (also accepted as input).
DIMENSIONS: dict[str, str] = {
    "city": "城市",
    "district": "区县",
    "enterprise": "企业",
    "brand": "品牌",
    "channel": "抽样环节",
    "product": "产品",
    "cluster": "产业集群",
    "test_item": "检验项目",
    "year": "年度",
    "quarter": "季度",
}
_DIMENSION_ALIASES = {"product_name": "product", "item": "test_item", "test-item": "test_item", "测试项目": "test_item",
                      "区": "district", "产品名称": "product", "集群": "cluster", "年": "year", "渠道": "channel"}
#: The slice when none is asked for: the pass rate per calendar year.
DEFAULT_BY = "year"
TIME_DIMENSIONS = ("year", "quarter")
TRENDS: dict[str, str] = {"year": "年度", "quarter": "季度"}
EMPTY_LABEL = "（未填）"
MIN_YEAR, MAX_YEAR = 1900, 2100


# --- parameters -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """[start, end) in days, and the canonical text it was written as."""

    text: str
    start: dt.date
    end: dt.date


_PERIOD_PART = re.compile(r"(\d{4})(?:[-\s]?[Qq]([1-4]))?")
_PERIOD_HINT = "应为年份 2024、季度 2024Q3 或区间 2023..2024 (expected a year 2024, a quarter 2024Q3 or a range 2023..2024)"


def _period_part(text: str, raw: str) -> tuple[int, int | None]:
    m = _PERIOD_PART.fullmatch(text.strip())
    if not m:
        raise ValidationError(f"参数 period 无法识别 {raw!r}，{_PERIOD_HINT}", field="period")
    year = int(m.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            f"参数 period 的年份 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 之间 (period year must be between {MIN_YEAR} and {MAX_YEAR})",
            field="period")
    return year, int(m.group(2)) if m.group(2) else None


def _bounds(year: int, quarter: int | None) -> tuple[dt.date, dt.date]:
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end


def _period_text(year: int, quarter: int | None) -> str:
    return f"{year}" if quarter is None else f"{year}Q{quarter}"


def parse_period(value: str | None) -> Period | None:
    """``2024`` (a year), ``2024Q3`` (a quarter) or ``A..B`` (from the start of A to the end of B,
    each a year or a quarter); empty means all time."""
    raw = value
    text = clean_text(value).replace("．", ".")
    if not text:
        return None
    if ".." in text:
        first, _, last = text.partition("..")
        a, b = _period_part(first, raw), _period_part(last, raw)
        start, end = _bounds(*a)[0], _bounds(*b)[1]
        if end <= start:
            raise ValidationError(
                f"参数 period 的区间 {raw!r} 结束早于开始 (period range ends before it starts)", field="period")
        return Period(f"{_period_text(*a)}..{_period_text(*b)}", start, end)
    y = _period_part(text, raw)
    return Period(_period_text(*y), *_bounds(*y))


def parse_by(value: str | None) -> str:
    text = clean_text(value).lower().replace(" ", "_")
    if not text:
        raise ValidationError("参数 by 为空，应为 " + "、".join(DIMENSIONS) + " 之一 (by is required)", field="by")
    if text in DIMENSIONS:
        return text
    if text in _DIMENSION_ALIASES:
        return _DIMENSION_ALIASES[text]
    for key, zh in DIMENSIONS.items():
        if text == zh:
            return key
    raise ValidationError(
        f"参数 by 无法识别 {value!r}，应为 {'、'.join(DIMENSIONS)} 之一 (unknown by; expected one of {', '.join(DIMENSIONS)})",
        field="by")


def parse_trend(value: str | None, by: str) -> str | None:
    text = clean_text(value).lower()
    if not text:
        return None
    text = {"年度": "year", "年": "year", "季度": "quarter", "季": "quarter", "yearly": "year",
            "quarterly": "quarter"}.get(text, text)
    if text not in TRENDS:
        raise ValidationError(
            f"参数 trend 无法识别 {value!r}，应为 quarter 或 year (unknown trend; expected quarter or year)", field="trend")
    if by == "quarter" or (by == "year" and text == "year"):
        raise ValidationError(
            f"参数 trend={text} 与 by={by} 重复：按{DIMENSIONS[by]}分组已经是时间序列 "
            f"(trend must be finer than by: use trend=quarter with by=year, or no trend)", field="trend")
    return text


def _parse_limit(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ValidationError(f"参数 limit 应为正整数，实为 {value!r} (limit must be a whole number >= 1)", field="limit")
    return n


def parse_query(
    *,
    by: str | None = DEFAULT_BY,
    period: str | None = None,
    city: str | None = None,
    cluster: str | None = None,
    trend: str | None = None,
    limit: str | int | None = None,
) -> PassRateQuery:
    """Validate a pass-rate request as it came from a URL or the command line."""
    dimension = parse_by(by)
    p = parse_period(period)
    code = None
    if clean_text(city):
        try:
            code = city_code(city)
        except FieldProblem as e:
            raise ValidationError(f"参数 city：{e.reason}", field="city") from None
    cluster_key = None
    if clean_text(cluster):
        try:
            cluster_key = parse_choice(cluster, "cluster", CLUSTERS)
        except FieldProblem as e:
            raise ValidationError(f"参数 cluster：{e.reason}", field="cluster") from None
    return PassRateQuery(
        by=dimension, period=p.text if p else None, start=p.start if p else None, end=p.end if p else None,
        city=code, cluster=cluster_key, trend=parse_trend(trend, dimension), limit=_parse_limit(limit),
    )


# --- computation ----------------------------------------------------------------------------------

def _label(by: str, parts: tuple) -> tuple[str, str]:
    """(key, label) of a slice from the parts the repository returns."""
    if by == "city":
        code, name = parts
        return code, name or code
    if by == "district":
        code, district, name = parts
        return f"{code}:{district}", f"{name or code}{district or EMPTY_LABEL}"
    if by == "enterprise":
        uscc, name = parts
        return uscc, name
    if by == "year":
        return str(parts[0]), f"{parts[0]}年"
    if by == "quarter":
        return _period_text(*parts), f"{parts[0]}年第{parts[1]}季度"
    value = parts[0] or ""
    if by == "channel":
        return value, channel_label(value) if value else EMPTY_LABEL
    if by == "cluster":
        return value, cluster_label(value) if value else EMPTY_LABEL
    return value, value or EMPTY_LABEL


def _period_label(period: tuple[int, int | None]) -> tuple[str, str]:
    year, quarter = period
    return _period_text(year, quarter), f"{year}年" if quarter is None else f"{year}年第{quarter}季度"


def _stats(unit: str, passed: int, failed: int, pending: int, lower: float, upper: float) -> dict:
    """The fields of :class:`PassRateStats`; NaN bounds (n = 0) become None."""
    n = passed + failed
    rate = passed / n if n else None
    lo = None if n == 0 or np.isnan(lower) else float(lower)
    hi = None if n == 0 or np.isnan(upper) else float(upper)
    if lo is not None and lo > TARGET_PASS_RATE:
        status = "meets_target"
    elif hi is not None and hi < TARGET_PASS_RATE:
        status = "below_target"
    else:
        status = "undetermined"
    return {
        "unit": unit,
        "batches": n if unit == "batch" else None,
        "tests": n if unit == "test" else None,
        "passed": passed, "failures": failed, "pending": pending,
        "pass_rate": rate, "lower": lo, "upper": hi, "target": TARGET_PASS_RATE,
        # rounded to 12 places so that 1.0 − 0.9 reads 0.1, not 0.09999999999999998
        "gap_to_target": None if rate is None else round(rate - TARGET_PASS_RATE, 12),
        "target_status": status, "target_status_label": TARGET_STATUS_LABELS[status],
    }


def _intervals(passed: np.ndarray, n: np.ndarray):
    """Wilson intervals for all groups in one call; a group with n = 0 (only pending batches) is
    reported as undetermined with no interval, which is not a caveat worth a warning here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProportionWarning)
        return wilson_intervals(passed, n, CONFIDENCE)


def scoped(query: PassRateQuery, scope: Scope) -> PassRateQuery:
    """The query within the user's scope: a city-bound regulator's statistics are its city's."""
    if scope.no_enterprise_data or scope.uscc:
        raise Forbidden("您的角色无权查看辖区统计 (your role may not see jurisdiction statistics)")
    scope.check_city(query.city)
    if scope.city_code and not query.city:
        return query.model_copy(update={"city": scope.city_code})
    return query


def pass_rate(session: Session, query: PassRateQuery) -> PassRateReport:
    """Pass rates per slice of ``query.by`` (with a trend per ``query.trend``) and for all slices together."""
    unit = "test" if query.by == "test_item" else "batch"
    f = repository.SliceFilter(start=query.start, end=query.end, city_code=query.city, cluster=query.cluster)
    groups = repository.counts(session, query.by, f, query.trend)

    # Totals per slice (summing its periods when there is a trend) and for everything.
    slices: dict[tuple, list[int]] = {}
    for g in groups:
        t = slices.setdefault(g.parts, [0, 0, 0])
        t[0] += g.passed
        t[1] += g.failed
        t[2] += g.pending
    keys = list(slices)
    totals = np.array([slices[k] for k in keys], dtype=np.int64).reshape(-1, 3)
    overall = totals.sum(axis=0)
    points = np.array([(g.passed, g.failed) for g in groups], dtype=np.int64).reshape(-1, 2) if query.trend else \
        np.zeros((0, 2), dtype=np.int64)

    passed = np.concatenate([totals[:, 0], points[:, 0], overall[:1]])
    n = np.concatenate([totals[:, 0] + totals[:, 1], points.sum(axis=1), [overall[0] + overall[1]]])
    ci = _intervals(passed, n)
    lo, hi = ci.lower, ci.upper

    rows: list[PassRateRow] = []
    index = {}
    for i, parts in enumerate(keys):
        key, label = _label(query.by, parts)
        p, fl, pend = (int(v) for v in totals[i])
        index[parts] = len(rows)
        rows.append(PassRateRow(key=key, label=label, trend=[] if query.trend else None,
                                **_stats(unit, p, fl, pend, lo[i], hi[i])))
    if query.trend:
        offset = len(keys)
        for j, g in enumerate(groups):
            period, label = _period_label(g.period)
            rows[index[g.parts]].trend.append(PassRatePoint(
                period=period, label=label, **_stats(unit, g.passed, g.failed, g.pending, lo[offset + j], hi[offset + j])))
        for r in rows:
            r.trend.sort(key=lambda pt: (int(pt.period[:4]), pt.period))
    if query.by in TIME_DIMENSIONS:
        rows.sort(key=lambda r: (int(r.key[:4]), r.key))
    else:
        rows.sort(key=lambda r: (-(r.batches if unit == "batch" else r.tests), r.key))
    total_rows = len(rows)
    if query.limit is not None:
        rows = rows[: query.limit]

    op, of, opend = (int(v) for v in overall)
    return PassRateReport(
        by=query.by, by_label=DIMENSIONS[query.by], period=query.period, start=query.start, end=query.end,
        city=query.city, cluster=query.cluster, trend=query.trend, unit=unit, target=TARGET_PASS_RATE,
        confidence=CONFIDENCE, method=WILSON, overall=PassRateStats(**_stats(unit, op, of, opend, lo[-1], hi[-1])),
        rows=rows, total_rows=total_rows,
    )
