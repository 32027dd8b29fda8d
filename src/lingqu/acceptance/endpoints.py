"""JSON API of acceptance sampling (mounted under /api/v1): plans, OC tables, lines and lots."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.acceptance import service
from lingqu.acceptance.schemas import LineCreate, LotRecordIn
from lingqu.web.access import ROLES, allow
from lingqu.web.deps import SessionDep

router = APIRouter(prefix="/sampling", tags=["acceptance sampling"])
#: Product lines and their lot records carry no owner yet, so only regulators and admins may
#: read or write them (an owner per line, for enterprises, comes with the enterprise portal).
LINE_ROLES = allow("regulator", "admin")


@router.get("/plan", dependencies=[allow(*ROLES)])
def get_plan(
    lot_size: str = Query(..., description="Items in the lot"),
    aql: str = Query(..., description="Preferred AQL, 0.010 to 1000"),
    level: str = Query("II", description="S-1, S-2, S-3, S-4, I, II or III"),
    stage: str = Query("normal", description="normal, tightened or reduced"),
    scheme: str = Query("single", description="single or double"),
) -> dict:
    """The GB/T 2828.1 sampling plan for a lot, arrows of the master table followed."""
    return service.plan(lot_size, level, aql, stage, scheme)


@router.get("/oc", dependencies=[allow(*ROLES)])
def get_oc(
    lot_size: str = Query(...),
    aql: str = Query(...),
    level: str = Query("II"),
    stage: str = Query("normal"),
    scheme: str = Query("single"),
    measure: str | None = Query(None, description="percent_nonconforming or nonconformities_per_100"),
    points: int = Query(41, ge=2, le=401),
) -> dict:
    """The plan's OC curve (Pa, AOQ, ASN by quality) and risk points."""
    return service.oc_table(lot_size, level, aql, stage, scheme, measure, points)


@router.get("/lines", dependencies=[LINE_ROLES])
def get_lines(session: SessionDep) -> list[dict]:
    return service.list_lines(session)


@router.post("/lines", status_code=201, dependencies=[LINE_ROLES])
def post_line(body: LineCreate, session: SessionDep) -> dict:
    return service.create_line(session, body.code, body.level, body.aql, body.scheme, name=body.name,
                               supplier=body.supplier, measure=body.measure, start_stage=body.start_stage,
                               actor="api")


@router.get("/lines/{code}", dependencies=[LINE_ROLES])
def get_line_status(code: str, session: SessionDep, lot_size: str | None = Query(None)) -> dict:
    """Which plan applies to the next lot of the line, and why."""
    return service.line_status(session, code, lot_size)


@router.post("/lines/{code}/lots", status_code=201, dependencies=[LINE_ROLES])
def post_lot(code: str, body: LotRecordIn, session: SessionDep) -> dict:
    return service.record_lot(session, code, body.lot_size, body.nonconforming, body.nonconforming_second,
                              inspected_on=body.inspected_on, lot_no=body.lot_no,
                              production_steady=body.production_steady, reduced_desirable=body.reduced_desirable,
                              normal_required=body.normal_required, actor="api")


@router.post("/lines/{code}/resume", dependencies=[LINE_ROLES])
def post_resume(code: str, session: SessionDep) -> dict:
    return service.resume_line(session, code, actor="api")
