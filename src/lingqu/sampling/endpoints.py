"""JSON API for sampling results: a city's overview and an enterprise's batches."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.sampling import service
from lingqu.sampling.schemas import EnterpriseBatches, Overview
from lingqu.web.deps import SessionDep

router = APIRouter(tags=["sampling"])


@router.get("/overview", response_model=Overview)
def get_overview(
    session: SessionDep,
    city: str | None = Query(None, description="城市代码 (default 440300 深圳市)"),
) -> Overview:
    return service.overview(session, city)


@router.get("/enterprises/{uscc}/batches", response_model=EnterpriseBatches)
def get_enterprise_batches(uscc: str, session: SessionDep) -> EnterpriseBatches:
    return service.history(session, uscc)
