"""All SQL of the early-warning domain. Bulk reads return Polars frames, ordered by series then date."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from lingqu.alert.models import Alert, DetectorState
from lingqu.enterprise.models import Complaint, Enterprise
from lingqu.sampling.models import Batch, TestResult

OPEN = ("new", "acknowledged")


def _frame(rows, schema: dict) -> pl.DataFrame:
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _window(col, after: dt.date | None, until: dt.date):
    return and_(col > after, col <= until) if after else col <= until


def batches(session: Session, after: dt.date | None, until: dt.date) -> pl.DataFrame:
    """Judged batches sampled in (after, until], ordered by enterprise, date, id."""
    failed = case((Batch.passed.is_(False), 1), else_=0)
    stmt = (select(Batch.id, Batch.enterprise_id, Batch.city_code, Batch.cluster, Batch.sampled_on, failed)
            .where(Batch.passed.is_not(None), _window(Batch.sampled_on, after, until))
            .order_by(Batch.enterprise_id, Batch.sampled_on, Batch.id))
    return _frame(session.execute(stmt), {"batch_id": pl.Int64, "enterprise_id": pl.Int64, "city_code": pl.Utf8,
                                          "cluster": pl.Utf8, "day": pl.Date, "y": pl.Int64})


def batch_daily(session: Session, until: dt.date) -> pl.DataFrame:
    """Batches and failures per cluster and day up to ``until`` (the reference rates)."""
    failed = func.sum(case((Batch.passed.is_(False), 1), else_=0))
    stmt = (select(Batch.cluster, Batch.sampled_on, func.count(), failed)
            .where(Batch.passed.is_not(None), Batch.sampled_on <= until)
            .group_by(Batch.cluster, Batch.sampled_on).order_by(Batch.cluster, Batch.sampled_on))
    return _frame(session.execute(stmt), {"ref": pl.Utf8, "day": pl.Date, "n": pl.Int64, "f": pl.Int64})


def item_results(session: Session, after: dt.date | None, until: dt.date) -> pl.DataFrame:
    """Test-item results of batches sampled in (after, until], ordered by item, date, batch."""
    failed = case((TestResult.passed.is_(False), 1), else_=0)
    stmt = (select(TestResult.batch_id, TestResult.test_item, Batch.sampled_on, failed)
            .join(Batch, Batch.id == TestResult.batch_id)
            .where(_window(Batch.sampled_on, after, until))
            .order_by(TestResult.test_item, Batch.sampled_on, TestResult.batch_id))
    return _frame(session.execute(stmt), {"batch_id": pl.Int64, "test_item": pl.Utf8, "day": pl.Date, "y": pl.Int64})


def item_daily(session: Session, until: dt.date) -> pl.DataFrame:
    failed = func.sum(case((TestResult.passed.is_(False), 1), else_=0))
    stmt = (select(TestResult.test_item, Batch.sampled_on, func.count(), failed)
            .join(Batch, Batch.id == TestResult.batch_id).where(Batch.sampled_on <= until)
            .group_by(TestResult.test_item, Batch.sampled_on).order_by(TestResult.test_item, Batch.sampled_on))
    return _frame(session.execute(stmt), {"ref": pl.Utf8, "day": pl.Date, "n": pl.Int64, "f": pl.Int64})


def complaints(session: Session, after: dt.date | None, until: dt.date) -> pl.DataFrame:
    stmt = (select(Complaint.id, Complaint.enterprise_id, Complaint.received_on)
            .where(_window(Complaint.received_on, after, until))
            .order_by(Complaint.enterprise_id, Complaint.received_on, Complaint.id))
    return _frame(session.execute(stmt), {"complaint_id": pl.Int64, "enterprise_id": pl.Int64, "day": pl.Date})


def complaint_monthly(session: Session, until: dt.date) -> pl.DataFrame:
    """Complaint dates up to ``until`` (all enterprises), for the peers' monthly rate."""
    stmt = select(Complaint.received_on).where(Complaint.received_on <= until)
    return _frame(session.execute(stmt), {"day": pl.Date})


def enterprise_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Enterprise)) or 0)


def latest_observation(session: Session) -> dt.date | None:
    return max(filter(None, [session.scalar(select(func.max(Batch.sampled_on))),
                             session.scalar(select(func.max(Complaint.received_on)))]), default=None)


# --- detector states -----------------------------------------------------------------------------------

def states(session: Session, detector: str) -> dict[tuple[str, str], DetectorState]:
    rows = session.scalars(select(DetectorState).where(DetectorState.detector == detector))
    return {(s.scope, s.scope_key): s for s in rows}


def add(session: Session, obj) -> None:
    session.add(obj)


def flush(session: Session) -> None:
    session.flush()


# --- alerts --------------------------------------------------------------------------------------------

def open_alerts(session: Session) -> dict[tuple[str, str, str], Alert]:
    rows = session.scalars(select(Alert).where(Alert.status.in_(OPEN)).order_by(Alert.id))
    return {(a.kind, a.scope, a.scope_key): a for a in rows}


def get_alert(session: Session, alert_id: int, *, for_update: bool = False) -> Alert | None:
    stmt = select(Alert).where(Alert.id == alert_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def _in_city(city_code: str):
    """Alerts of one city: its own city series and its enterprises' series (test-item series span the
    province and are not a city's)."""
    from sqlalchemy import String, and_, cast, or_

    from lingqu.enterprise.models import Enterprise

    ids = select(cast(Enterprise.id, String)).where(Enterprise.city_code == city_code)
    return or_(and_(Alert.scope == "city", Alert.scope_key == city_code),
               and_(Alert.scope == "enterprise", Alert.scope_key.in_(ids)))


def alert_in_city(session: Session, alert_id: int, city_code: str) -> bool:
    return session.scalar(select(Alert.id).where(Alert.id == alert_id, _in_city(city_code))) is not None


def _listed(stmt, status: str | None, city_code: str | None, kind: str | None, scope: str | None):
    if city_code is not None:
        stmt = stmt.where(_in_city(city_code))
    if status:
        stmt = stmt.where(Alert.status == status)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if scope:
        stmt = stmt.where(Alert.scope == scope)
    return stmt


def list_alerts(session: Session, status: str | None = None, limit: int | None = 500, city_code: str | None = None,
                kind: str | None = None, scope: str | None = None, offset: int = 0) -> list[Alert]:
    """Alerts matching the filters, newest first; ``limit=None``: all of them."""
    stmt = _listed(select(Alert), status, city_code, kind, scope).order_by(Alert.raised_at.desc(), Alert.id.desc())
    return list(session.scalars(stmt.offset(offset).limit(limit)))


def count_alerts(session: Session, status: str | None = None, city_code: str | None = None, kind: str | None = None,
                 scope: str | None = None) -> int:
    return int(session.scalar(_listed(select(func.count()).select_from(Alert), status, city_code, kind, scope)))


def labels(session: Session, alerts: list[Alert]) -> dict[tuple[str, str], tuple[str, str | None]]:
    """Readable names of the alerts' series (an enterprise's name and USCC, a city's name), each with
    the enterprise's USCC for enterprise series (for links to its risk card), else None."""
    from lingqu.enterprise.models import Enterprise
    from lingqu.reference.models import City

    ent_ids = sorted({int(a.scope_key) for a in alerts if a.scope == "enterprise" and str(a.scope_key).isdigit()})
    cities = sorted({a.scope_key for a in alerts if a.scope == "city"})
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    if ent_ids:
        for i, name, uscc in session.execute(select(Enterprise.id, Enterprise.name, Enterprise.uscc)
                                             .where(Enterprise.id.in_(ent_ids))):
            out[("enterprise", str(i))] = (f"{name}（{uscc}）", uscc)
    if cities:
        for code, name in session.execute(select(City.code, City.name_zh).where(City.code.in_(cities))):
            out[("city", code)] = (name, None)
    return out


def enterprise_alerts(session: Session, enterprise_id: int) -> list[Alert]:
    """The alerts of one enterprise's own series, newest first."""
    return list(session.scalars(select(Alert).where(Alert.scope == "enterprise", Alert.scope_key == str(enterprise_id))
                                .order_by(Alert.raised_at.desc(), Alert.id.desc())))
