"""What the enterprise portal (/my) shows an enterprise about itself, assembled in one place.

Everything is read through the enterprise's own record (the logged-in user's USCC), never from
a parameter, so the portal cannot be pointed at another enterprise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lingqu.auth.models import User
from lingqu.auth.scope import scope_of
from lingqu.enterprise import service as enterprise_service
from lingqu.enterprise.schemas import CertificateOut, EnterpriseDetail
from lingqu.exceptions import Forbidden
from lingqu.portal import repository
from lingqu.sampling import service as sampling_service
from lingqu.sampling.schemas import TARGET_PASS_RATE, EnterpriseBatches
from lingqu.stats.proportion import wilson_interval

#: a certificate expiring within this many days is highlighted
EXPIRY_WARNING_DAYS = 90
GRADE_LABELS = {"A": "低风险", "B": "一般风险", "C": "较高风险", "D": "高风险"}
ALERT_KIND_LABELS = {
    "cusum": "近期抽检不合格率持续高于同类企业（累积和检测）",
    "ewma": "近期抽检不合格率明显偏高（指数加权移动平均检测）",
    "complaint_surge": "近期消费者投诉数量异常增多",
}
ALERT_STATUS_LABELS = {"new": "新预警", "acknowledged": "监管部门已确认", "closed": "已关闭"}


@dataclass(frozen=True)
class YearRow:
    year: int
    batches: int
    passed: int
    failed: int
    pass_rate: float | None
    lower: float | None
    upper: float | None
    meets_target: bool | None


@dataclass(frozen=True)
class CertificateRow:
    certificate: CertificateOut
    state: str  # expired | expiring | valid | unknown
    state_label: str
    days_left: int | None


@dataclass(frozen=True)
class GradeView:
    grade: str
    grade_label: str
    as_of: dt.date
    probability: float
    raising: list[str]
    lowering: list[str]


@dataclass(frozen=True)
class AlertView:
    id: int
    kind_label: str
    status_label: str
    raised_at: dt.date
    last_signal_on: dt.date


@dataclass(frozen=True)
class MyPortal:
    enterprise: EnterpriseDetail
    years: list[YearRow]
    all_years: YearRow | None
    history: EnterpriseBatches
    grade: GradeView | None
    alerts: list[AlertView]
    certificates: list[CertificateRow]
    target_pass_rate: float = TARGET_PASS_RATE


def year_row(year: int, batches: int, passed: int, failed: int) -> YearRow:
    """Pass rate of the batches with a verdict and its 95 % Wilson interval (none without verdicts)."""
    decided = passed + failed
    if not decided:
        return YearRow(year, batches, passed, failed, None, None, None, None)
    ci = wilson_interval(passed, decided)
    return YearRow(year, batches, passed, failed, ci.estimate, ci.lower, ci.upper, ci.estimate >= TARGET_PASS_RATE)


def certificate_state(c: CertificateOut, today: dt.date) -> CertificateRow:
    if c.status in ("revoked", "suspended"):
        label = {"revoked": "已撤销", "suspended": "已暂停"}[c.status]
        return CertificateRow(c, "expired", label, None)
    if c.expires_on is None:
        return CertificateRow(c, "unknown", "未登记有效期", None)
    days = (c.expires_on - today).days
    if days < 0 or c.status == "expired":
        return CertificateRow(c, "expired", f"已过期 {-days} 天" if days < 0 else "已过期", days)
    if days <= EXPIRY_WARNING_DAYS:
        return CertificateRow(c, "expiring", f"{days} 天后到期", days)
    return CertificateRow(c, "valid", "有效", days)


def _grade(g) -> GradeView | None:
    if g is None:
        return None
    reasons = g.reasons or []
    return GradeView(
        grade=g.grade, grade_label=GRADE_LABELS.get(g.grade, g.grade), as_of=g.as_of, probability=g.probability,
        raising=[r.get("text_zh", "") for r in reasons if r.get("direction") == "up" and r.get("text_zh")],
        lowering=[r.get("text_zh", "") for r in reasons if r.get("direction") == "down" and r.get("text_zh")],
    )


def my_portal(session: Session, user: User, today: dt.date | None = None) -> MyPortal:
    if user.role != "enterprise" or not user.uscc:
        raise Forbidden("企业服务页面仅对企业用户开放 (enterprise users only)")
    scope = scope_of(user)
    detail = enterprise_service.detail(session, user.uscc, scope)
    e, _city = enterprise_service.find_in_scope(session, user.uscc, scope)
    counts = repository.yearly_counts(session, e.id)
    years = [year_row(*c) for c in counts]
    all_years = year_row(0, *[sum(c[i] for c in counts) for i in (1, 2, 3)]) if counts else None
    today = today or dt.date.today()
    certificates = sorted((certificate_state(c, today) for c in detail.certificates),
                          key=lambda r: ({"expired": 0, "expiring": 1, "unknown": 2, "valid": 3}[r.state],
                                         r.days_left if r.days_left is not None else 10**6))
    alerts = [AlertView(a.id, ALERT_KIND_LABELS.get(a.kind, a.kind), ALERT_STATUS_LABELS.get(a.status, a.status),
                        a.raised_at, a.last_signal_on) for a in repository.open_alerts(session, e.id)]
    return MyPortal(enterprise=detail, years=years, all_years=all_years,
                    history=sampling_service.history(session, user.uscc, scope),
                    grade=_grade(repository.latest_grade(session, e.id)), alerts=alerts, certificates=certificates)
