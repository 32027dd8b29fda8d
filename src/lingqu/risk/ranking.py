"""The risk ranking: stored grades of one as-of date, filtered, paged and exported.

Regulators work down the ranking by grade, district or what changed since the previous grading
("who became a C or D this month?"), so every condition, the count and the page are SQL
(``risk.repository.RankingFilter``): a province's hundreds of thousands of graded enterprises
never pass through Python to show fifty of them. A city-bound regulator's ranking is its own
city's, whatever the query says (the caller passes the scope's city).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lingqu.enterprise.repository import EnterpriseFilter
from lingqu.enterprise.service import MAX_EXPORT_ROWS, MAX_QUERY_CHARS
from lingqu.exceptions import ValidationError
from lingqu.kit.paging import int_param
from lingqu.risk import repository
from lingqu.stats.grading import DEFAULT_POLICY, GRADES, GradingPolicy

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: ``change=``: against the previous as-of date
CHANGES = {"worse": "风险等级上升", "better": "风险等级下降", "new": "新评"}
#: a probability moving less than this (half a percentage point) reads as "flat"
FLAT = 0.005


@dataclass(frozen=True)
class RankingQuery:
    as_of: dt.date | None = None
    q: str = ""
    district: str = ""
    grades: tuple[str, ...] = ()
    change: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def params(self) -> dict:
        """The query as URL parameters (empty ones left out), for links that keep the filters."""
        out = {"as_of": self.as_of.isoformat() if self.as_of else "", "q": self.q, "district": self.district,
               "grade": ",".join(self.grades), "change": self.change}
        return {k: v for k, v in out.items() if v}


def parse_ranking_query(*, as_of: str | None = None, q: str | None = None, district: str | None = None,
                        grade: str | None = None, change: str | None = None, page: str | int | None = None,
                        page_size: str | int | None = None) -> RankingQuery:
    """Validate the ranking's URL parameters; a bad one is a 422 naming it and the allowed values.

    ``grade`` takes one grade or several separated by commas (``C,D``)."""
    from lingqu.risk.service import parse_as_of

    grades = tuple(dict.fromkeys(g.strip().upper() for g in (grade or "").replace("，", ",").split(",") if g.strip()))
    bad = [g for g in grades if g not in GRADES]
    if bad:
        raise ValidationError(f"参数 grade 应为 A、B、C、D 之一或以逗号分隔的几个，实为 {grade!r} "
                              f"(grade must be A, B, C or D, or several of them separated by commas)", field="grade")
    change_text = (change or "").strip().lower()
    if change_text and change_text not in CHANGES:
        raise ValidationError(f"参数 change 应为 worse（风险等级上升）、better（风险等级下降）或 new（新评），实为 {change!r} "
                              f"(change must be worse, better or new)", field="change")
    text = (q or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"搜索内容过长，最多 {MAX_QUERY_CHARS} 个字符 (search text too long)", field="q")
    return RankingQuery(as_of=parse_as_of(as_of) if as_of and as_of.strip() else None, q=text,
                        district=(district or "").strip(), grades=tuple(g for g in GRADES if g in grades),
                        change=change_text, page=int_param(page, "page", 1, 1),
                        page_size=int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE))


def ranking_city(session: Session, scope, city: str | None) -> str:
    """The city a ranking is for: a city-bound regulator's own, whatever it asks (asking for another
    city is a 403, never silently widened); a province-wide user's ``city`` (checked: an unknown
    code is a 422 listing the known ones), or "" for the whole province."""
    from lingqu.enterprise.service import check_city

    city = (city or "").strip()
    if city:
        check_city(session, city)
        scope.check_city(city)
    return scope.city_code or city


def _trend(p: float, before: float | None) -> str | None:
    if before is None:
        return None
    return "up" if p > before + FLAT else "down" if p < before - FLAT else "flat"


def grade_ranking(session: Session, query: RankingQuery = RankingQuery(), policy: GradingPolicy = DEFAULT_POLICY,
                  city_code: str | None = None, everything: bool = False) -> dict:
    """One page of the stored grades of ``query.as_of`` (default: the latest) matching the query,
    highest probability first, each with its probability and grade at the previous stored as-of
    date (the trend); ``everything``: every matching row (exports; refused above
    ``MAX_EXPORT_ROWS``). ``distribution`` counts the grades of the whole ranking (of
    ``city_code``'s enterprises when given), ``total`` the rows matching the query."""
    as_of = query.as_of or repository.latest_as_of(session, policy.version)
    base = {"as_of": None, "previous_as_of": None, "policy_version": policy.version, "distribution": {g: 0 for g in GRADES},
            "total": 0, "page": query.page, "page_size": query.page_size, "pages": 1, "grades": []}
    if as_of is None:
        return base
    prev_as_of = repository.latest_as_of(session, policy.version, before=as_of)
    f = repository.RankingFilter(as_of, policy.version, prev_as_of,
                                 EnterpriseFilter(text=query.q, city_code=city_code or "", district=query.district),
                                 query.grades, query.change)
    total = repository.ranking_count(session, f)
    if everything and total > MAX_EXPORT_ROWS:
        raise ValidationError(f"导出行数 {total} 超过上限 {MAX_EXPORT_ROWS}，请缩小筛选范围 (too many rows to export)",
                              field="format")
    rows = (repository.ranking_rows(session, f) if everything else
            repository.ranking_rows(session, f, limit=query.page_size, offset=query.offset) if query.offset < total else [])
    out = [{"uscc": u, "name": n, "district": d, "city_code": city, "probability": p, "grade": g, "reasons": rs,
            "previous_probability": pp, "previous_grade": pg, "trend": _trend(p, pp)}
           for u, n, d, p, g, rs, city, pp, pg in rows]
    dist = repository.grade_distribution(session, as_of, policy.version, city_code or "")
    return {**base, "as_of": as_of.isoformat(), "previous_as_of": prev_as_of.isoformat() if prev_as_of else None,
            "distribution": {g: dist.get(g, 0) for g in GRADES}, "total": total,
            "pages": max(1, -(-total // query.page_size)), "grades": out}

