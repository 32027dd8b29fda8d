"""The acceptance-sampling tool page: plan calculator and OC chart (GB/T 2828.1)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lingqu.web.access import ROLES, allow
from lingqu.acceptance import service
from lingqu.exceptions import LingquError
from lingqu.stats.acceptance import AQLS, LEVELS, SCHEMES, STAGES
from lingqu.web.templating import templates

router = APIRouter(include_in_schema=False)

STAGE_LABELS = {"normal": "正常检验", "tightened": "加严检验", "reduced": "放宽检验"}
SCHEME_LABELS = {"single": "一次抽样", "double": "二次抽样"}
MEASURE_LABELS = {"": "按 AQL 自动", "percent_nonconforming": "不合格品百分数（二项分布）",
                  "nonconformities_per_100": "每百单位不合格数（泊松分布）"}


@router.get("/tools/acceptance", response_class=HTMLResponse, dependencies=[allow(*ROLES)])
def acceptance_tool(request: Request, lot_size: str = "1000", level: str = "II", aql: str = "1.0",
                    stage: str = "normal", scheme: str = "single", measure: str = "") -> HTMLResponse:
    form = {"lot_size": lot_size, "level": level, "aql": aql, "stage": stage, "scheme": scheme, "measure": measure}
    result, error, status = None, None, 200
    try:
        result = service.oc_table(lot_size, level, aql, stage, scheme, measure or None, points=61)
    except LingquError as exc:
        error, status = exc, exc.status_code
    context = {
        "nav": "acceptance", "form": form, "result": result, "error": error,
        "levels": LEVELS, "aqls": AQLS, "stages": [(s, STAGE_LABELS[s]) for s in STAGES],
        "schemes": [(s, SCHEME_LABELS[s]) for s in SCHEMES], "measures": list(MEASURE_LABELS.items()),
        "oc_json": json.dumps(result, ensure_ascii=False) if result else "null",
    }
    return templates.TemplateResponse(request, "acceptance_plan.html", context, status_code=status)
