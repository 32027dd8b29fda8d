"""JSON API for service requests: list (paged, filtered), read, submit, and the transitions."""

from __future__ import annotations

from fastapi import APIRouter, Query

from lingqu.service_request import service
from lingqu.service_request.schemas import NoteIn, ServiceRequestIn, ServiceRequestOut, ServiceRequestPage
from lingqu.web.access import allow
from lingqu.web.deps import SessionDep
from lingqu.web.sessions import CurrentUser

router = APIRouter(tags=["service requests"])
ANY_ROLE = allow("regulator", "enterprise", "institution", "admin")


@router.get("/service-requests", response_model=ServiceRequestPage, dependencies=[ANY_ROLE])
def list_requests(
    session: SessionDep,
    user: CurrentUser,
    status: str | None = Query(None, description="new | accepted | declined | completed | withdrawn"),
    topic: str | None = Query(None, description="testing | certification | standards | diagnosis | registration"),
    city: str | None = Query(None, description="城市代码 of the enterprise, e.g. 440300"),
    q: str | None = Query(None, description="request number, enterprise name or text in the description"),
    page: str | None = Query(None, description="page number, ≥ 1 (default 1)"),
    page_size: str | None = Query(None, description="rows per page, 1–200 (default 50)"),
) -> ServiceRequestPage:
    """The requests the caller may see: an enterprise its own, an institution those addressed or
    open to it, a regulator its city's, a province-wide regulator or admin all."""
    return service.list_requests(session, user, status=status, topic=topic, city=city, q=q, page=page, page_size=page_size)


@router.post("/service-requests", response_model=ServiceRequestOut, status_code=201, dependencies=[allow("enterprise")])
def submit_request(body: ServiceRequestIn, session: SessionDep, user: CurrentUser) -> ServiceRequestOut:
    """Submit a request for the caller's own enterprise (422 lists every bad field under error.fields)."""
    return service.submit(session, user, body.model_dump())


@router.get("/service-requests/{request_id}", response_model=ServiceRequestOut, dependencies=[ANY_ROLE])
def get_request(request_id: str, session: SessionDep, user: CurrentUser) -> ServiceRequestOut:
    return service.get(session, user, request_id)


@router.post("/service-requests/{request_id}/accept", response_model=ServiceRequestOut, dependencies=[allow("institution")])
def accept_request(request_id: str, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> ServiceRequestOut:
    return service.accept(session, user, request_id, (body or NoteIn()).note)


@router.post("/service-requests/{request_id}/decline", response_model=ServiceRequestOut, dependencies=[allow("institution")])
def decline_request(request_id: str, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> ServiceRequestOut:
    return service.decline(session, user, request_id, (body or NoteIn()).note)


@router.post("/service-requests/{request_id}/complete", response_model=ServiceRequestOut, dependencies=[allow("institution")])
def complete_request(request_id: str, session: SessionDep, user: CurrentUser, body: NoteIn | None = None) -> ServiceRequestOut:
    return service.complete(session, user, request_id, (body or NoteIn()).note)


@router.post("/service-requests/{request_id}/withdraw", response_model=ServiceRequestOut, dependencies=[allow("enterprise")])
def withdraw_request(request_id: str, session: SessionDep, user: CurrentUser) -> ServiceRequestOut:
    return service.withdraw(session, user, request_id)
