"""Supervision sampling plans (双随机, risk-weighted): ``lingqu plan draw``.

The plan is drawn from the *stored* grades of the as-of date (graded first if there are none),
with inclusion probabilities proportional to the policy's sampling ratio per grade
(``reference/credit_risk_grades.csv``: A ≤ 5 %, B 5–20 %, C 21–60 %, D 61–100 %; the midpoint of
each range is the weight), a floor that keeps every enterprise drawable, and a seeded
randomised systematic πps draw over the enterprises sorted by USCC
(:mod:`lingqu.stats.sampling_plan`). Anyone holding the published seed, the as-of date, the
policy version and the grades re-draws the same list. The plan is stored and audited; drawing
the same plan again returns the stored one ("unchanged").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from lingqu.audit.service import record
from lingqu.exceptions import ValidationError
from lingqu.risk import repository
from lingqu.risk.models import SamplingPlan
from lingqu.risk.service import grade_enterprises
from lingqu.stats.grading import DEFAULT_POLICY, GRADES, GradingPolicy
from lingqu.stats.sampling_plan import draw_plan, ratio_weight

ACTOR = "lingqu plan draw"
DEFAULT_FLOOR = 0.02
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{2}))?$")


def period_start(period: str) -> dt.date:
    """``2025Q1`` → 2025-01-01, ``2025-07`` → 2025-07-01, ``2025`` → 2025-01-01."""
    m = _PERIOD.match((period or "").strip().upper())
    if not m or (m.group(3) and not 1 <= int(m.group(3)) <= 12):
        raise ValidationError(f"period: {period!r} is not a period (use 2025Q1, 2025-07 or 2025)", field="period")
    year = int(m.group(1))
    month = (int(m.group(2)) - 1) * 3 + 1 if m.group(2) else int(m.group(3) or 1)
    return dt.date(year, month, 1)


def grade_weights(policy: GradingPolicy) -> dict[str, float]:
    return {g: ratio_weight(r) for g, r in zip(GRADES, policy.sampling_ratios)}


@dataclass
class PlanResult:
    period: str
    seed: int
    budget: int
    as_of: dt.date
    policy_version: str
    by_district: bool
    floor: float
    expected_failures: float
    expected_failures_uniform: float
    enterprises: list[dict]
    eligible: int
    status: str  # "drawn" or "unchanged"
    plan_id: int | None = None
    city_code: str = ""

    def as_dict(self) -> dict:
        return {"period": self.period, "seed": self.seed, "budget": self.budget, "as_of": self.as_of.isoformat(),
                "policy_version": self.policy_version, "by_district": self.by_district, "floor": self.floor,
                "eligible": self.eligible, "expected_failures": round(self.expected_failures, 4),
                "expected_failures_uniform": round(self.expected_failures_uniform, 4),
                "status": self.status, "plan_id": self.plan_id, "city_code": self.city_code,
                "enterprises": self.enterprises}


def _check(budget, seed) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValidationError(f"budget must be a whole number >= 1 (got {budget!r})", field="budget")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValidationError(f"seed must be a whole number >= 0 (got {seed!r})", field="seed")


def compute_plan(rows: list[tuple], *, budget: int, seed: int, policy: GradingPolicy = DEFAULT_POLICY,
                 by_district: bool = False, floor: float | None = None) -> tuple[list[dict], float, float, float]:
    """Draw from graded rows ``(uscc, name, district, probability, grade, ...)``; no database.

    Returns (selected enterprises, expected failures, expected under a uniform draw, floor used).
    """
    rows = sorted(rows, key=lambda r: r[0])
    n = len(rows)
    if budget > n:
        raise ValidationError(f"budget {budget} exceeds the {n} graded enterprises", field="budget")
    f = min(DEFAULT_FLOOR, 0.5 * budget / n) if floor is None else float(floor)
    if not 0 < f <= budget / n:
        raise ValidationError(f"floor must be in (0, budget/enterprises = {budget / n:.4f}] so that every enterprise "
                              f"can be drawn (got {f:g})", field="floor")
    weights = grade_weights(policy)
    w = np.array([weights[r[4]] for r in rows])
    p = np.array([float(r[3]) for r in rows])
    strata = np.array([r[2] or "" for r in rows]) if by_district else None
    draw = draw_plan(w, p, budget, seed, f, strata)
    chosen = [{"uscc": rows[i][0], "name": rows[i][1], "district": rows[i][2] or "", "grade": rows[i][4],
               "probability": round(float(p[i]), 6), "inclusion_probability": round(float(draw.pi[i]), 6)}
              for i in draw.selected]
    return chosen, draw.expected_failures, draw.expected_failures_uniform, f


def draw(session: Session, *, budget: int, period: str, seed: int, as_of: dt.date | None = None,
         by_district: bool = False, floor: float | None = None, policy: GradingPolicy = DEFAULT_POLICY,
         actor: str = ACTOR, city_code: str | None = None) -> PlanResult:
    """Draw (or return the stored) plan for the period; grades the as-of date first if needed.

    ``city_code``: draw among that city's graded enterprises only (a city regulator's own plan;
    stored apart from the province-wide plan of the same seed)."""
    _check(budget, seed)
    start = period_start(period)
    as_of = as_of or start
    if not repository.graded_rows(session, as_of, policy.version):
        grade_enterprises(session, as_of, policy)
    rows = repository.graded_rows(session, as_of, policy.version, city_code)
    if not rows:
        raise ValidationError("no graded enterprise to draw from" + (f" in city {city_code}" if city_code else ""),
                              field="budget")
    chosen, expected, uniform, f = compute_plan(rows, budget=budget, seed=seed, policy=policy,
                                                by_district=by_district, floor=floor)
    key = dict(period=period.strip().upper(), seed=seed, budget=budget, as_of=as_of, policy_version=policy.version,
               by_district=by_district, floor=f, city_code=city_code or "")
    result = PlanResult(**{**key, "as_of": as_of}, expected_failures=expected, expected_failures_uniform=uniform,
                        enterprises=chosen, eligible=len(rows), status="drawn")
    stored = repository.find_plan(session, **key)
    if stored is not None:
        if stored.enterprises != chosen:
            raise ValidationError(f"plan {stored.id}: the stored list differs from a re-draw of the same seed and "
                                  "grades (were the as-of grades changed?)", field="seed")
        result.status, result.plan_id = "unchanged", stored.id
        return result
    plan = repository.add_plan(session, SamplingPlan(**key, expected_failures=expected,
                                                     expected_failures_uniform=uniform, enterprises=chosen))
    record(session, actor=actor, action="create", entity="sampling_plan", key=str(plan.id),
           after={**{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in key.items()},
                  "drawn": [e["uscc"] for e in chosen], "expected_failures": round(expected, 4),
                  "expected_failures_uniform": round(uniform, 4)},
           note="risk-weighted supervision sampling plan drawn")
    result.plan_id = plan.id
    return result


def get_plan(session: Session, plan_id: int, scope) -> SamplingPlan:
    """A stored plan, or 404 when it does not exist or is not the caller's: a city-bound regulator
    sees its own city's plans, province-wide users every plan."""
    from lingqu.exceptions import NotFound

    plan = repository.get_plan(session, plan_id)
    if plan is None or (scope.city_code is not None and plan.city_code != scope.city_code) or scope.no_enterprise_data:
        raise NotFound(f"no sampling plan {plan_id}", field="plan_id")
    return plan


def stored_plan_dict(plan: SamplingPlan) -> dict:
    """A stored plan as the API and the plan page show it (with its drawn list)."""
    return {"plan_id": plan.id, "period": plan.period, "seed": plan.seed, "budget": plan.budget,
            "as_of": plan.as_of.isoformat(), "policy_version": plan.policy_version, "by_district": plan.by_district,
            "floor": plan.floor, "city_code": plan.city_code, "expected_failures": plan.expected_failures,
            "expected_failures_uniform": plan.expected_failures_uniform, "enterprises": plan.enterprises}


def list_plans(session: Session, scope, limit: int = 100) -> list[dict]:
    """The published plans the caller may see, newest first (a city-bound regulator: its city's;
    province-wide users: every plan), without their lists."""
    if scope.no_enterprise_data:
        return []
    rows = repository.list_plans(session, scope.city_code, limit)
    return [{"plan_id": i, "period": period, "seed": seed, "budget": budget, "as_of": as_of.isoformat(),
             "policy_version": version, "by_district": by_district, "city_code": city, "expected_failures": ef,
             "expected_failures_uniform": eu,
             # stored as UTC (naive on SQLite): made aware, so the API says so and the page shows Beijing time
             "created_at": created.replace(tzinfo=dt.timezone.utc) if created and created.tzinfo is None else created}
            for i, period, seed, budget, as_of, version, by_district, city, ef, eu, created in rows]


EXPORT_COLUMNS = (("uscc", "统一社会信用代码"), ("name", "企业名称"), ("district", "区"), ("grade", "风险等级"),
                  ("probability", "不合格概率"), ("inclusion_probability", "入样概率"))


def export_rows(plan: SamplingPlan) -> tuple[list[str], list[list]]:
    """Header and rows of a plan's list, for the CSV/XLSX download (Chinese headers)."""
    header = [zh for _, zh in EXPORT_COLUMNS]
    return header, [[e.get(k, "") for k, _ in EXPORT_COLUMNS] for e in plan.enterprises]


def export_csv(plan: SamplingPlan) -> bytes:
    import csv
    import io

    header, rows = export_rows(plan)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def export_xlsx(plan: SamplingPlan) -> bytes:
    import io

    from openpyxl import Workbook

    header, rows = export_rows(plan)
    wb = Workbook()
    ws = wb.active
    ws.title = "抽查计划"
    ws.append([f"期间 {plan.period}", f"种子 {plan.seed}", f"评估日 {plan.as_of.isoformat()}", plan.policy_version,
               f"城市 {plan.city_code or '全省'}"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
