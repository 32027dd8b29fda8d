"""Finding enterprises and assembling what is known about one.

Adapters hand raw query strings to :func:`parse_query`, which answers bad input with a
``ValidationError`` naming the field (in Chinese, with English in brackets), so the API and the
pages refuse the same things with the same words.
"""

from __future__ import annotations

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
from lingqu.reference import repository as reference_repository
from lingqu.sampling import repository as sampling_repository

MAX_QUERY_CHARS = 100


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


def _int_param(value: str | int | None, field: str, default: int, low: int, high: int | None = None) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n < low or (high is not None and n > high):
        bound = f"{low} 到 {high} 之间" if high is not None else f"不小于 {low}"
        bound_en = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"参数 {field} 应为{bound}的整数，实为 {value!r} ({field} must be an integer {bound_en})", field=field)
    return n


def parse_query(
    session: Session,
    *,
    q: str | None = None,
    city: str | None = None,
    district: str | None = None,
    cluster: str | None = None,
    page: str | int | None = None,
    page_size: str | int | None = None,
) -> EnterpriseQuery:
    """Validate an enterprise search as it came from a URL."""
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
        page=_int_param(page, "page", 1, 1),
        page_size=_int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
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


def search(session: Session, query: EnterpriseQuery, scope: Scope | None = None) -> EnterprisePage:
    """One page of the enterprises matching ``query`` (within ``scope``) and how many match in all."""
    scope = scope or Scope()
    query = scoped_query(query, scope)
    f = repository.EnterpriseFilter(text=query.q, city_code=query.city, district=query.district, cluster=query.cluster,
                                    only_uscc=scope.uscc or "")
    total = repository.count_enterprises(session, f)
    rows = repository.list_page(session, f, limit=query.page_size, offset=query.offset) if query.offset < total else []
    items = [
        EnterpriseRow(
            uscc=r.uscc, name=r.name, city_code=r.city_code, city_name=r.city_name, district=r.district,
            cluster=r.cluster, cluster_label=cluster_label(r.cluster), batches=int(r.batches),
            failed_batches=int(r.failed_batches), last_sampled_on=r.last_sampled_on,
        )
        for r in rows
    ]
    return EnterprisePage(items=items, total=total, page=query.page, page_size=query.page_size)


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
