"""The dashboard page at ``/``: regulators and admins see it; enterprise and institution users
are sent to their own portals (/my, /institution). ``?format=csv|xlsx`` downloads its tables."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lingqu.auth.scope import Scope
from lingqu.dashboard import service
from lingqu.dashboard.schemas import Dashboard
from lingqu.web import choice
from lingqu.web.access import ROLES, ScopeDep, allow
from lingqu.web.deps import SessionDep
from lingqu.web.export import Table, export_response, parse_format
from lingqu.web.i18n import language_of
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {"meets_target": "达标", "below_target": "未达标", "undetermined": "不确定", "no_data": "数据待接入"}


def _pct(x: float | None):
    return None if x is None else round(x * 100, 2)


def tables(d: Dashboard) -> list[Table]:
    """The dashboard's tables as shown (for the CSV/XLSX export)."""
    return [
        Table("kpis", "目标指标", ["指标", "当前值", "单位", "95%区间下限", "95%区间上限", "目标", "状态", "说明"], [
            [k.label, _pct(k.value) if k.unit == "%" else k.value, k.unit, _pct(k.lower), _pct(k.upper), k.target_text,
             STATUS_LABELS.get(k.status, k.status), k.note] for k in d.kpis]),
        Table("trend", "季度趋势", ["季度", "合格批次", "不合格批次", "待判定批次", "合格率%", "95%区间下限%", "95%区间上限%", "对照目标"], [
            [p.period, p.passed, p.failed, p.pending, _pct(p.pass_rate), _pct(p.lower), _pct(p.upper),
             STATUS_LABELS[p.status]] for p in d.trend]),
        Table("pareto", "不合格项目排列图", ["检验项目", "不合格次数", "占比%", "累计占比%"], [
            [r.test_item, r.failures, _pct(r.share), _pct(r.cumulative)] for r in d.pareto]),
        Table("districts", "各区合格率", ["城市", "区县", "合格批次", "不合格批次", "待判定批次", "合格率%", "95%区间下限%", "95%区间上限%", "对照目标"], [
            [r.city_name, r.district, r.passed, r.failed, r.pending, _pct(r.pass_rate), _pct(r.lower), _pct(r.upper),
             STATUS_LABELS[r.status]] for r in d.districts]),
        Table("grades", "风险等级分布", ["等级", "说明", "企业数", "占比%"], [
            [g.grade, g.label, g.enterprises, _pct(g.share)] for g in d.grades]),
    ]


def portal_of(request: Request, user) -> str | None:
    """Where a non-regulator lands: its own portal (/my, /institution)."""
    if user.role not in ("enterprise", "institution"):
        return None
    return "/my" if user.role == "enterprise" else "/institution"


@router.get("/", response_class=HTMLResponse, dependencies=[allow(*ROLES)])
def dashboard(request: Request, session: SessionDep, scope: Scope = ScopeDep, city: str | None = None,
              format: str | None = None, table: str | None = None):
    """The programme dashboard of the chosen city (or the province)."""
    portal = portal_of(request, request.state.user)
    if portal:
        return RedirectResponse(portal, status_code=303)
    fmt = parse_format(format)
    data = service.dashboard(session, choice.city_param(request, city), scope)
    if fmt:
        name = f"dashboard-{data.city.code if data.city else 'province'}"
        return export_response(tables(data), fmt, name, language_of(request), table)
    return templates.TemplateResponse(request, "dashboard.html", {
        "nav": "dashboard", "d": data, "status_labels": STATUS_LABELS,
        "city_code": data.city.code if data.city else "",
    })
