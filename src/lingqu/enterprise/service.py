"""Finding enterprises and assembling what is known about one.

Adapters hand raw query strings to :func:`parse_query`, which answers bad input with a
``ValidationError`` naming the field (in Chinese, with English in brackets), so the API and the
pages refuse the same things with the same words.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lingqu.auth.scope import Forbidden, Scope
from lingqu.enterprise import repository
from lingqu.enterprise.models import Enterprise
from lingqu.enterprise.schemas import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    AssistanceOut,
    CertificateOut,
    City,
    ComplaintOut,
    EnterpriseDetail,
    EnterprisePage,
    EnterpriseQuery,
    EnterpriseRow,
    SIZE_LABELS,
    SamplingSummary,
    cluster_label,
)
from lingqu.exceptions import NotFound, ValidationError
from lingqu.kit.identifiers import uscc_problem
from lingqu.kit.paging import int_param
from lingqu.reference import repository as reference_repository
from lingqu.sampling import repository as sampling_repository

MAX_QUERY_CHARS = 100
GRADES = ("A", "B", "C", "D")
#: An export holds at most this many enterprises.
MAX_EXPORT_ROWS = 200_000


def cities(session: Session) -> list[City]:
    """The cities the platform serves, in code order."""
    return [City(code=c.code, name=c.name_zh) for c in reference_repository.cities(session)]


def check_city(session: Session, code: str) -> City:
    """The city with this code, or a ValidationError listing the known codes."""
    known = cities(session)
    for c in known:
        if c.code == code:
            return c
    codes = "、".join(f"{c.code} {c.name}" for c in known)
    raise ValidationError(f"未知的城市代码 {code!r}，应为 {codes} 之一 (unknown city code)", field="city")


def parse_query(
    session: Session,
    *,
    q: str | None = None,
    city: str | None = None,
    district: str | None = None,
    cluster: str | None = None,
    page: str | int | None = None,
    page_size: str | int | None = None,
    year: str | int | None = None,
    quarter: str | int | None = None,
    test_item: str | None = None,
    passed: str | None = None,
    grade: str | None = None,
) -> EnterpriseQuery:
    """Validate an enterprise search as it came from a URL (with the dashboard's drill-down filters)."""
    from lingqu.sampling.batches import parse_drill

    drill = parse_drill(year=year, quarter=quarter, test_item=test_item, passed=passed)
    grade_text = (grade or "").strip().upper()
    if grade_text and grade_text not in GRADES:
        raise ValidationError(f"参数 grade 应为 A、B、C 或 D，实为 {grade!r} (grade must be A, B, C or D)", field="grade")
    text = (q or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"搜索内容过长，最多 {MAX_QUERY_CHARS} 个字符 (search text too long)", field="q")
    city = (city or "").strip()
    if city:
        check_city(session, city)
    return EnterpriseQuery(
        q=text,
        city=city,
        district=(district or "").strip(),
        cluster=(cluster or "").strip(),
        grade=grade_text,
        **drill,
        page=int_param(page, "page", 1, 1),
        page_size=int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
    )


def scoped_query(query: EnterpriseQuery, scope: Scope) -> EnterpriseQuery:
    """The query within the user's scope: a city-bound regulator searches its own city; asking
    for another city is refused (403), never silently widened or emptied."""
    scope.check_city(query.city)
    if scope.no_enterprise_data:
        raise Forbidden("您的角色无权查看企业记录 (your role may not see enterprise records)")
    if scope.city_code and not query.city:
        return query.model_copy(update={"city": scope.city_code})
    return query


def _filter(query: EnterpriseQuery, scope: Scope) -> repository.EnterpriseFilter:
    from lingqu.sampling.batches import period_bounds
    from lingqu.sampling.batches_repository import BatchFilter

    start, end = period_bounds(query.year, query.quarter)
    batches = BatchFilter(start=start, end=end, test_item=query.test_item or None, passed=query.passed,
                          city_code=query.city or None)
    return repository.EnterpriseFilter(text=query.q, city_code=query.city, district=query.district, cluster=query.cluster,
                                       only_uscc=scope.uscc or "", grade=query.grade,
                                       batches=batches if query.year or query.test_item or query.passed is not None else None)


def _rows(rows) -> list[EnterpriseRow]:
    return [
        EnterpriseRow(
            uscc=r.uscc, name=r.name, city_code=r.city_code, city_name=r.city_name, district=r.district,
            cluster=r.cluster, cluster_label=cluster_label(r.cluster), batches=int(r.batches),
            failed_batches=int(r.failed_batches), last_sampled_on=r.last_sampled_on,
        )
        for r in rows
    ]


def search(session: Session, query: EnterpriseQuery, scope: Scope | None = None) -> EnterprisePage:
    """One page of the enterprises matching ``query`` (within ``scope``) and how many match in all."""
    scope = scope or Scope()
    query = scoped_query(query, scope)
    f = _filter(query, scope)
    total = repository.count_enterprises(session, f)
    rows = repository.list_page(session, f, limit=query.page_size, offset=query.offset) if query.offset < total else []
    return EnterprisePage(items=_rows(rows), total=total, page=query.page, page_size=query.page_size)


def search_all(session: Session, query: EnterpriseQuery, scope: Scope | None = None) -> list[EnterpriseRow]:
    """Every enterprise matching ``query`` within ``scope`` (for exports), by name."""
    scope = scope or Scope()
    query = scoped_query(query, scope)
    f = _filter(query, scope)
    total = repository.count_enterprises(session, f)
    if total > MAX_EXPORT_ROWS:
        raise ValidationError(f"导出行数 {total} 超过上限 {MAX_EXPORT_ROWS}，请缩小筛选范围 (too many rows to export)",
                              field="format")
    return _rows(repository.list_page(session, f, limit=None))


def filter_choices(session: Session, city_code: str = "") -> dict[str, list]:
    """Choices for the list filters: cities, districts in use (in the city if one is chosen), clusters."""
    return {
        "cities": cities(session),
        "districts": repository.districts_in_use(session, city_code),
        "clusters": [(c, cluster_label(c)) for c in repository.clusters_in_use(session)],
    }


def find_in_scope(session: Session, uscc: str, scope: Scope) -> tuple[Enterprise, str]:
    e, city_name = find(session, uscc)
    scope.check_enterprise(e.uscc, e.city_code)
    return e, city_name


def find(session: Session, uscc: str) -> tuple[Enterprise, str]:
    """The enterprise with this USCC (any case) and its city name; NotFound otherwise.

    The lookup comes first: an enterprise recorded with a malformed code stays reachable; the
    code's problem is named only when nothing was found.
    """
    code = (uscc or "").strip().upper()
    found = repository.by_uscc(session, code)
    if found is None:
        problem = uscc_problem(code)
        if problem:
            raise NotFound(f"找不到企业：{code} 不是有效的统一社会信用代码。{problem}", field="uscc")
        raise NotFound(f"找不到统一社会信用代码为 {code} 的企业 (no enterprise with this USCC)", field="uscc")
    return found


def pass_rate(passed: int, failed: int) -> float | None:
    decided = passed + failed
    return passed / decided if decided else None


def detail(session: Session, uscc: str, scope: Scope | None = None) -> EnterpriseDetail:
    """An enterprise's facts, a summary of its sampling, its certificates, complaints and assistance.

    Outside ``scope`` it answers NotFound, exactly as for an enterprise that does not exist."""
    e, city_name = find(session, uscc)
    (scope or Scope()).check_enterprise(e.uscc, e.city_code)
    counts = sampling_repository.counts_of_enterprise(session, e.id)
    return EnterpriseDetail(
        uscc=e.uscc, name=e.name, city_code=e.city_code, city_name=city_name, district=e.district,
        cluster=e.cluster, cluster_label=cluster_label(e.cluster), address=e.address or "", founded=e.founded,
        size=e.size or "", size_label=SIZE_LABELS.get(e.size or "", e.size or ""), source=e.source or "",
        sampling=SamplingSummary(
            batches=counts.batches, passed_batches=counts.passed, failed_batches=counts.failed,
            pass_rate=pass_rate(counts.passed, counts.failed),
            first_sampled_on=counts.first_sampled_on, last_sampled_on=counts.last_sampled_on,
        ),
        certificates=[CertificateOut.model_validate(c) for c in repository.certificates_of(session, e.id)],
        complaints=[ComplaintOut.model_validate(c) for c in repository.complaints_of(session, e.id)],
        assistance=[AssistanceOut.model_validate(a) for a in repository.assistance_of(session, e.id)],
    )


ALERT_KIND_LABELS = {"cusum": "不合格率 CUSUM 预警", "ewma": "不合格率 EWMA 预警", "complaint_surge": "投诉激增预警"}
ALERT_STATUS_LABELS = {"new": "新", "acknowledged": "已确认", "closed": "已关闭"}
CERT_STATUS_LABELS = {"valid": "有效", "expired": "已过期", "suspended": "暂停", "revoked": "撤销"}
KIND_LABELS = {"batch": "抽检", "certificate": "证书", "complaint": "投诉", "assistance": "帮扶", "grade": "风险评级",
               "alert": "预警"}
_KIND_ORDER = {k: i for i, k in enumerate(("alert", "grade", "batch", "complaint", "certificate", "assistance"))}


def timeline(session: Session, uscc: str, scope: Scope | None = None):
    """Everything dated about an enterprise, newest first: batches with their items,
    certificates, complaints, assistance, risk grades and (for regulators) alerts on it."""
    from lingqu.enterprise.schemas import EnterpriseTimeline, TimelineEvent, TimelineItem
    from lingqu.sampling import repository as sampling_repo
    from lingqu.sampling.schemas import channel_label

    scope = scope or Scope()
    e, _city = find_in_scope(session, uscc, scope)
    items: dict[int, list[TimelineItem]] = {}
    for r in repository.results_of(session, e.id):
        items.setdefault(r.batch_id, []).append(TimelineItem(
            test_item=r.test_item, passed=bool(r.passed), measured_value=r.measured_value, unit=r.unit or "",
            limit_text=r.limit_text or ""))
    events: list[TimelineEvent] = []
    for b in sampling_repo.batches_of(session, e.id):
        verdict = "待判定" if b.passed is None else ("合格" if b.passed else "不合格")
        failed = [i.test_item for i in items.get(b.id, []) if not i.passed]
        detail = f"{b.product_name or '—'} · {b.brand or '—'} {b.model or ''} · {channel_label(b.channel)} · {verdict}"
        if failed:
            detail += "（不合格项目：" + "、".join(failed) + "）"
        events.append(TimelineEvent(on=b.sampled_on, kind="batch", kind_label=KIND_LABELS["batch"],
                                    title=f"抽检批次 {b.batch_no}", detail=detail, bad=b.passed is False,
                                    items=items.get(b.id, [])))
    for c in repository.certificates_of(session, e.id):
        events.append(TimelineEvent(
            on=c.issued_on, kind="certificate", kind_label=KIND_LABELS["certificate"], title=f"{c.kind} 证书 {c.certificate_no}",
            detail=f"{c.product_name or '—'} {c.model or ''} · 有效期至 {c.expires_on or '—'} · "
                   f"{CERT_STATUS_LABELS.get(c.status, c.status)}", bad=c.status in ("suspended", "revoked")))
    for c in repository.complaints_of(session, e.id):
        events.append(TimelineEvent(on=c.received_on, kind="complaint", kind_label=KIND_LABELS["complaint"],
                                    title=f"投诉 {c.complaint_no}", bad=True,
                                    detail=" · ".join(x for x in (c.channel, c.category, c.description) if x)))
    for a in repository.assistance_of(session, e.id):
        events.append(TimelineEvent(on=a.started_on, kind="assistance", kind_label=KIND_LABELS["assistance"],
                                    title=f"帮扶 {a.assistance_no}", detail=" · ".join(x for x in (a.kind, a.provider) if x)))
    for g in repository.grades_of(session, e.id):
        reasons = "；".join(r.get("text_zh", "") for r in (g.reasons or []) if isinstance(r, dict) and r.get("text_zh"))
        events.append(TimelineEvent(on=g.as_of, kind="grade", kind_label=KIND_LABELS["grade"],
                                    title=f"风险等级 {g.grade}（下批不合格概率 {g.probability:.0%}）",
                                    detail=(reasons + " · " if reasons else "") + f"评级政策 {g.policy_version}",
                                    bad=g.grade in ("C", "D")))
    if scope.uscc is None:  # alerts are the regulator's working records, not shown to the enterprise
        for a in repository.alerts_of(session, e.id):
            events.append(TimelineEvent(
                on=a.raised_at, kind="alert", kind_label=KIND_LABELS["alert"],
                title=f"{ALERT_KIND_LABELS.get(a.kind, a.kind)} #{a.id}",
                detail=f"{ALERT_STATUS_LABELS.get(a.status, a.status)} · 统计量 {a.statistic:.3g} / 阈值 {a.threshold:.3g}"
                       + (f" · {a.note}" if a.note else ""), bad=a.status != "closed"))
    events.sort(key=lambda ev: (ev.on is not None, ev.on or dt.date.min, -_KIND_ORDER[ev.kind]), reverse=True)
    return EnterpriseTimeline(uscc=e.uscc, name=e.name, events=events)
