"""Checks of the risk engine on Lingqu's own records: how well the *stored* grades predicted what
happened next (``lingqu risk calibration``), and the back-test of ``risk.backtest`` run on the
platform's own sampling history with a chosen cutoff (the ``/risk/backtest`` page).

Why: a grade's probability is only useful if, among enterprises graded at 30 %, about 30 % of the
batches sampled afterwards fail. The market moves (a new mandatory certification, a campaign), so a
regulator regrades regularly (``lingqu risk grade --monthly-since``) and checks the stored grades
against the batches sampled after each one. This is a prequential check (Dawid 1984): every batch
is compared with the latest grade of its enterprise whose as-of date is on or before the batch's
sampling date, i.e. a grade computed from records dated before that day, so no outcome is ever
predicted by a grade that has seen it.

The figures are those of the back-test (``risk.backtest.metrics_of``): AUC, Brier score against the
market's rate of the preceding year, ECE over 10 equal-count bins, the calibration table and the hit
rate by grade, plus mean predicted against observed per month (the level the grades missed).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Complaint, Enterprise
from lingqu.exceptions import ValidationError
from lingqu.risk.backtest import BacktestReport, backtest, metrics_of, prepare
from lingqu.risk.models import RiskGrade
from lingqu.sampling.models import Batch
from lingqu.stats.grading import DEFAULT_POLICY, GradingPolicy


def _batches(session: Session, start: dt.date, end: dt.date, city_code: str | None) -> pl.DataFrame:
    stmt = (select(Batch.enterprise_id, Batch.sampled_on, Batch.passed)
            .join(Enterprise, Enterprise.id == Batch.enterprise_id)
            .where(Batch.sampled_on >= start, Batch.sampled_on < end, Batch.passed.is_not(None)))
    if city_code:
        stmt = stmt.where(Enterprise.city_code == city_code)
    rows = session.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row",
                        schema={"enterprise_id": pl.Int64, "sampled_on": pl.Date, "passed": pl.Boolean})


def _grades(session: Session, before: dt.date, policy: GradingPolicy) -> pl.DataFrame:
    stmt = (select(RiskGrade.enterprise_id, RiskGrade.as_of, RiskGrade.probability, RiskGrade.grade)
            .where(RiskGrade.policy_version == policy.version, RiskGrade.as_of < before))
    rows = session.execute(stmt).all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row",
                        schema={"enterprise_id": pl.Int64, "as_of": pl.Date, "probability": pl.Float64,
                                "grade": pl.String})


def stored_grade_calibration(session: Session, start: dt.date, end: dt.date, *,
                             policy: GradingPolicy = DEFAULT_POLICY, city_code: str | None = None) -> dict:
    """Compare every batch sampled in ``[start, end)`` with its enterprise's latest stored grade
    (``policy``'s version) dated on or before the sampling day. ``city_code``: the batches of that city's
    enterprises only (the grades' scope)."""
    if end <= start:
        raise ValidationError(f"to: must be after from ({start.isoformat()}; got {end.isoformat()})", field="to")
    b = _batches(session, start, end, city_code)
    g = _grades(session, end, policy)
    out = {"from": start.isoformat(), "to": end.isoformat(), "policy_version": policy.version,
           "city_code": city_code or "", "batches": b.height, "graded_batches": 0, "ungraded_batches": b.height,
           "grade_dates": sorted({d.isoformat() for d in g["as_of"].unique().to_list()}) if g.height else [],
           "metrics": None, "by_month": []}
    if b.height == 0 or g.height == 0:
        return out
    joined = (b.sort("sampled_on")
              .join_asof(g.sort("as_of"), left_on="sampled_on", right_on="as_of", by="enterprise_id",
                         strategy="backward", check_sortedness=False)  # sorted by as_of within every group
              .filter(pl.col("probability").is_not_null()))
    out["graded_batches"] = joined.height
    out["ungraded_batches"] = b.height - joined.height
    if joined.height == 0:
        return out
    y = (~joined["passed"].to_numpy()).astype(float)
    p = joined["probability"].to_numpy().astype(float)
    # the naive forecaster of the Brier skill: the failure rate of the year before ``start``
    prev = _batches(session, start - dt.timedelta(days=365), start, city_code)
    base_rate = float((~prev["passed"]).mean()) if prev.height else float(y.mean())
    out["reference_rate"] = base_rate
    out["metrics"] = metrics_of(y, p, np.full(y.size, base_rate), policy)
    months = (joined.with_columns(pl.col("sampled_on").dt.strftime("%Y-%m").alias("month"),
                                  (~pl.col("passed")).cast(pl.Float64).alias("failed"))
              .group_by("month").agg(pl.len().alias("n"), pl.col("failed").mean().alias("observed_rate"),
                                     pl.col("probability").mean().alias("mean_predicted"),
                                     pl.col("as_of").max().alias("latest_grade_date"))
              .sort("month"))
    out["by_month"] = [{**r, "latest_grade_date": r["latest_grade_date"].isoformat()} for r in months.to_dicts()]
    return out


def latest_sampled_on(session: Session) -> dt.date | None:
    """The newest sampling day in the database (the default windows of the checks end after it)."""
    return session.execute(select(func.max(Batch.sampled_on))).scalar()


def month_starts(since: dt.date, until: dt.date) -> list[dt.date]:
    """The first day of every month from ``since``'s month up to ``until`` (inclusive when ``until`` is a
    first day): the as-of dates of a monthly regrade."""
    if since > until:
        raise ValidationError(f"monthly-since: must not be after the as-of date {until.isoformat()} "
                              f"(got {since.isoformat()})", field="monthly_since")
    out, y, m = [], since.year, since.month
    d = dt.date(y, m, 1)
    if d < since:
        m += 1
        y, m = (y + 1, 1) if m == 13 else (y, m)
        d = dt.date(y, m, 1)
    while d <= until:
        out.append(d)
        m += 1
        y, m = (y + 1, 1) if m == 13 else (y, m)
        d = dt.date(y, m, 1)
    return out


def own_history(session: Session, city_code: str | None = None) -> pl.DataFrame:
    """Lingqu's sampling history as a back-test file: one row per batch (``inspection_id`` = batch
    number, ``entity_id`` = USCC, ``date``, ``outcome`` 1 = failed, 0 = passed, empty = no verdict yet)
    and the features known when the batch was sampled: channel, product cluster, the enterprise's
    size, city and district, its age in years and its complaints in the 365 days before the batch.
    The engine adds each enterprise's own earlier outcomes (``HistoryFeatures``) itself."""
    stmt = (select(Batch.batch_no, Enterprise.uscc, Batch.enterprise_id, Batch.sampled_on, Batch.passed,
                   Batch.channel, Batch.cluster, Enterprise.size, Batch.city_code, Batch.district,
                   Enterprise.founded)
            .join(Enterprise, Enterprise.id == Batch.enterprise_id))
    if city_code:  # the enterprises of the city, as the grades are scoped (all their batches)
        stmt = stmt.where(Enterprise.city_code == city_code)
    rows = session.execute(stmt.order_by(Batch.sampled_on, Batch.id)).all()
    f = pl.DataFrame([tuple(r) for r in rows], orient="row", schema={
        "inspection_id": pl.String, "entity_id": pl.String, "_e": pl.Int64, "_day": pl.Date, "_passed": pl.Boolean,
        "channel": pl.String, "cluster": pl.String, "size": pl.String, "city": pl.String, "district": pl.String,
        "_founded": pl.Date})
    c = pl.DataFrame([tuple(r) for r in session.execute(select(Complaint.enterprise_id, Complaint.received_on))],
                     orient="row", schema={"_e": pl.Int64, "_received": pl.Date})
    counts = np.zeros(f.height)
    if f.height and c.height:
        # complaints of the same enterprise received in [day - 365, day - 1]: two sorted searches per batch
        key = lambda e, d: e.astype(np.int64) * 100_000 + d.astype(np.int64)  # noqa: E731
        ck = np.sort(key(c["_e"].to_numpy(), c["_received"].cast(pl.Int32).to_numpy()))
        e, d = f["_e"].to_numpy(), f["_day"].cast(pl.Int32).to_numpy()
        counts = np.searchsorted(ck, key(e, d), "left") - np.searchsorted(ck, key(e, d - 365), "left")
    age = ((f["_day"].cast(pl.Int32) - f["_founded"].cast(pl.Int32)) / 365.25).round(1)
    out = f.with_columns(
        pl.col("_day").dt.strftime("%Y-%m-%d").alias("date"),
        pl.when(pl.col("_passed").is_null()).then(None).when(pl.col("_passed")).then(pl.lit("0"))
        .otherwise(pl.lit("1")).alias("outcome"),
        age.cast(pl.String).alias("age_years"),
        pl.Series("complaints_365d", counts.astype(np.int64)).cast(pl.String))
    cols = ["inspection_id", "entity_id", "date", "outcome", "channel", "cluster", "size", "district", "age_years",
            "complaints_365d"]
    if not city_code:
        cols.insert(7, "city")
    return out.select(cols)


def backtest_own_history(session: Session, cutoff: dt.date, *, city_code: str | None = None,
                         policy: GradingPolicy = DEFAULT_POLICY) -> BacktestReport:
    """The back-test with ``cutoff`` on the platform's own batches (a city-bound regulator: its city's)."""
    frame = own_history(session, city_code)
    if frame.height == 0:
        raise ValidationError("no sampled batch to back-test on", field="cutoff")
    _, report = backtest(prepare(frame), cutoff, policy=policy)
    return report
