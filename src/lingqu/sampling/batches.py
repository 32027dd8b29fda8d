"""The batch list: every sampled batch behind a dashboard figure, filtered and paged.

Filters are the dashboard's dimensions (city, district, year, quarter, test item, verdict), so a
click on a chart lands on exactly the batches it counted. :func:`parse_drill` validates the
filters both the batch list and the enterprise list accept; bad values answer a
``ValidationError`` naming the parameter.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lingqu.auth.scope import Forbidden, Scope
from lingqu.exceptions import ValidationError
from lingqu.sampling import batches_repository as repository
from lingqu.sampling.schemas import BatchPage, BatchQuery, BatchRow, channel_label

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
#: An export holds at most this many rows (a whole province's history is ~100 k batches).
MAX_EXPORT_ROWS = 500_000
_TRUE = {"1", "true", "yes", "pass", "passed", "合格", "是"}
_FALSE = {"0", "false", "no", "fail", "failed", "不合格", "否"}


def _int(value, field: str, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        n = int(str(value).strip())
    except ValueError:
        n = None
    if n is None or not low <= n <= high:
        raise ValidationError(f"参数 {field} 应为 {low} 到 {high} 之间的整数，实为 {value!r} "
                              f"({field} must be an integer between {low} and {high})", field=field)
    return n


def parse_passed(value) -> bool | None:
    text = (value or "").strip().lower() if isinstance(value, str) else value
    if text is None or text == "":
        return None
    if isinstance(text, bool):
        return text
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"参数 passed 应为 1（合格）或 0（不合格），实为 {value!r} (passed must be 1 or 0)", field="passed")


def text_param(value, field: str, limit: int) -> str:
    """A free-text filter: trimmed, at most ``limit`` characters, no control characters (a NUL
    would otherwise reach PostgreSQL, which refuses it)."""
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError(f"参数 {field} 过长，最多 {limit} 个字符 ({field} too long)", field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationError(f"参数 {field} 含有控制字符 ({field} contains control characters)", field=field)
    return text


def parse_drill(*, year=None, quarter=None, test_item=None, passed=None) -> dict:
    """The drill-down filters: year (1900–2100), quarter (1–4, needs a year), test item, verdict."""
    y = _int(year, "year", 1900, 2100)
    q = _int(quarter, "quarter", 1, 4)
    if q is not None and y is None:
        raise ValidationError("参数 quarter 需要同时给出 year (quarter needs a year)", field="quarter")
    item = text_param(test_item, "test_item", 60)
    return {"year": y, "quarter": q, "test_item": item, "passed": parse_passed(passed)}


def period_bounds(year: int | None, quarter: int | None) -> tuple[dt.date | None, dt.date | None]:
    if year is None:
        return None, None
    if quarter is None:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
    return start, end


def parse_query(session: Session, *, city=None, district=None, year=None, quarter=None, test_item=None,
                passed=None, uscc=None, page=None, page_size=None) -> BatchQuery:
    from lingqu.enterprise import service as enterprise_service

    code = (city or "").strip()
    if code:
        enterprise_service.check_city(session, code)
    return BatchQuery(
        city=code, district=text_param(district, "district", 30), uscc=text_param(uscc, "uscc", 18).upper(),
        page=_int(page, "page", 1, 10**7) or 1,
        page_size=_int(page_size, "page_size", 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE,
        **parse_drill(year=year, quarter=quarter, test_item=test_item, passed=passed),
    )


def scoped(query: BatchQuery, scope: Scope) -> BatchQuery:
    """Within the user's scope: a city-bound regulator sees its city; another city is 403."""
    if scope.no_enterprise_data or scope.uscc:
        raise Forbidden("您的角色无权查看辖区抽检批次 (your role may not list jurisdiction batches)")
    scope.check_city(query.city or None)
    if scope.city_code and not query.city:
        return query.model_copy(update={"city": scope.city_code})
    return query


def to_filter(session: Session, query: BatchQuery) -> repository.BatchFilter:
    start, end = period_bounds(query.year, query.quarter)
    enterprise_id = None
    if query.uscc:
        from lingqu.enterprise import service as enterprise_service

        e, _ = enterprise_service.find(session, query.uscc)
        enterprise_id = e.id
    return repository.BatchFilter(
        city_code=query.city or None, district=query.district or None, start=start, end=end,
        test_item=query.test_item or None, passed=query.passed, enterprise_id=enterprise_id,
    )


def _rows(session: Session, rows) -> list[BatchRow]:
    failed = repository.failed_items(session, [r.id for r in rows])
    return [
        BatchRow(
            batch_no=r.batch_no, sampled_on=r.sampled_on, uscc=r.uscc, enterprise_name=r.enterprise_name,
            city_code=r.city_code, city_name=r.city_name, district=r.district, product_name=r.product_name,
            brand=r.brand, model=r.model, channel=r.channel, channel_label=channel_label(r.channel),
            passed=r.passed, item_count=r.item_count, failed_count=r.failed_count, failed_items=failed.get(r.id, []),
        )
        for r in rows
    ]


def list_batches(session: Session, query: BatchQuery, scope: Scope) -> BatchPage:
    """One page of the batches matching ``query`` within ``scope``, newest first, and the total."""
    query = scoped(query, scope)
    f = to_filter(session, query)
    total = repository.count_batches(session, f)
    rows = repository.batch_page(session, f, limit=query.page_size, offset=query.offset) if query.offset < total else []
    return BatchPage(query=query, items=_rows(session, rows), total=total)


def all_batches(session: Session, query: BatchQuery, scope: Scope) -> list[BatchRow]:
    """Every batch matching ``query`` within ``scope`` (for exports), newest first."""
    query = scoped(query, scope)
    f = to_filter(session, query)
    total = repository.count_batches(session, f)
    if total > MAX_EXPORT_ROWS:
        raise ValidationError(f"导出行数 {total} 超过上限 {MAX_EXPORT_ROWS}，请缩小筛选范围 "
                              f"(export of {total} rows exceeds {MAX_EXPORT_ROWS}; narrow the filters)", field="format")
    return _rows(session, repository.batch_page(session, f, limit=None))


def filter_choices(session: Session, city_code: str | None) -> dict:
    return {"districts": repository.districts_in_use(session, city_code or None),
            "test_items": repository.test_items_in_use(session)}
