"""Early warning: incremental change detection over sampling results and complaints, and the alert
lifecycle (new -> acknowledged -> closed with a note).

A scan reads only what arrived since the last scan's watermark (``as_of`` of the previous scan),
resumes each series' stored detector state, and raises alerts. Series:

- failure rate per enterprise and per city (batches; expected probability = the series' own past
  failures shrunk toward the cluster's failure rate over the trailing 365 days before the
  observation), and per test item across the cluster (expected = that item's trailing-365-day rate);
  each with a risk-adjusted Bernoulli CUSUM and an EWMA of standardised residuals;
- complaints per enterprise per calendar month against its own rate shrunk toward its peers' (Poisson).

An open alert (new or acknowledged) of the same kind and series is never duplicated: a new signal
extends its evidence. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from lingqu.alert import repository
from lingqu.alert.models import Alert, DetectorState
from lingqu.audit.service import record as audit
from lingqu.audit.service import record_many
from lingqu.exceptions import NotFound, ValidationError
from lingqu.stats.control import (
    CusumState, EwmaState, cusum_threshold, cusum_update, cusum_weights, ewma_limit, ewma_update, poisson_surge,
    shrunk_rate,
)

KINDS, SCOPES, STATUSES = ("cusum", "ewma", "complaint_surge"), ("enterprise", "test_item", "city"), (
    "new", "acknowledged", "closed")
ENTITY = "alert"
RATE_DETECTOR, SURGE_DETECTOR, WATERMARK = "failure_rate", "complaint_surge", "watermark"
_P_GRID = np.array([0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6])
RECENT = 40  # points of the statistic's path kept per series for the evidence


@dataclass(frozen=True)
class ScanSettings:
    """Detector settings. ARL0 is counted in observations of the series (batches or item results)."""

    #: enterprise ARL0 100 batches: the smallest of 30/50/70/100/200 that keeps false alarms under one per
    #: 100 enterprise-years on 20 demo worlds (0.7; bench/risk_quality.py, docs/methods/early-warning.md)
    arl0: tuple[tuple[str, float], ...] = (("enterprise", 100.0), ("city", 500.0), ("test_item", 2000.0))
    odds_ratio: float = 3.0
    ewma_lambda: float = 0.2
    prior_batches: tuple[tuple[str, float], ...] = (("enterprise", 8.0), ("city", 200.0))
    window_days: int = 365
    min_reference: int = 30
    surge_alpha: float = 5e-3
    surge_min_count: int = 2
    surge_prior_months: float = 12.0

    def arl(self, scope: str) -> float:
        return dict(self.arl0)[scope]

    def to_dict(self) -> dict:
        return {k: (dict(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


DEFAULT = ScanSettings()


def _iso(d) -> str:
    return d.isoformat() if isinstance(d, (dt.date, dt.datetime)) else str(d)


def _days(col) -> np.ndarray:
    return np.asarray(col.cast(pl.Int32).to_numpy(), dtype=np.int64)


def _trailing_rates(daily: pl.DataFrame, obs_ref: list[str], obs_days: np.ndarray, window: int,
                    min_n: int) -> np.ndarray:
    """Failure rate of each observation's reference over [day - window, day - 1] (no future data);
    NaN when the reference has fewer than ``min_n`` results there."""
    out = np.full(len(obs_days), np.nan)
    refs = np.asarray(obs_ref, dtype=object)
    for (ref,), g in daily.group_by(["ref"]):
        mask = refs == ref
        if not mask.any():
            continue
        days = _days(g["day"])
        cn = np.concatenate([[0], np.cumsum(g["n"].to_numpy())])
        cf = np.concatenate([[0], np.cumsum(g["f"].to_numpy())])
        d = obs_days[mask]
        hi = np.searchsorted(days, d, "left")
        lo = np.searchsorted(days, d - window, "left")
        n = cn[hi] - cn[lo]
        f = cf[hi] - cf[lo]
        out[mask] = np.where(n >= min_n, f / np.maximum(n, 1), np.nan)
    return out


class _Scan:
    def __init__(self, session: Session, as_of: dt.date, settings: ScanSettings, actor: str) -> None:
        self.session, self.as_of, self.settings, self.actor = session, as_of, settings, actor
        self.open = repository.open_alerts(session)
        self.created: list[Alert] = []
        self.updated: dict[int, Alert] = {}
        self.audit_rows: list[tuple[str, str, dict | None, dict]] = []

    # -- alerts --
    def signal(self, kind: str, scope: str, key: str, day: dt.date, statistic: float, threshold: float,
               evidence: dict) -> None:
        alert = self.open.get((kind, scope, key))
        if alert is None:
            alert = Alert(kind=kind, scope=scope, scope_key=key, status="new", raised_at=day, last_signal_on=day,
                          statistic=float(statistic), threshold=float(threshold), evidence=evidence, note="")
            repository.add(self.session, alert)
            self.open[(kind, scope, key)] = alert
            self.created.append(alert)
            return
        ev = dict(alert.evidence or {})
        for field in ("batch_ids", "complaint_ids"):
            if field in evidence:
                ev[field] = sorted(set(ev.get(field, [])) | set(evidence[field]))
        seen = {(p[0], p[2] if len(p) > 2 else None) for p in ev.get("path", [])}
        ev["path"] = (ev.get("path", []) + [p for p in evidence.get("path", [])
                                            if (p[0], p[2] if len(p) > 2 else None) not in seen])[-400:]
        ev["signals"] = ev.get("signals", 1) + 1
        for k, v in evidence.items():
            if k not in ("batch_ids", "complaint_ids", "path", "signals"):
                ev[k] = v
        alert.evidence = ev
        alert.last_signal_on, alert.statistic, alert.threshold = day, float(statistic), float(threshold)
        alert.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if alert not in self.created:
            self.updated[id(alert)] = alert

    # -- failure-rate series --
    def failure_rates(self, scope: str, obs: pl.DataFrame, key_col: str, ref: np.ndarray, states: dict) -> None:
        s = self.settings
        prior = dict(s.prior_batches).get(scope)
        arl0 = s.arl(scope)
        for (key,), g in obs.group_by([key_col], maintain_order=True):
            key = str(key)
            row = states.get((scope, key))
            st = dict(row.state) if row is not None else {}
            idx = g["_row"].to_numpy()
            y = g["y"].to_numpy().astype(float)
            c = ref[idx]
            ids = g["batch_id"].to_list()
            days = g["day"].to_list()
            f0, n0 = st.get("F", 0.0), st.get("N", 0.0)
            f_prev = f0 + np.cumsum(y) - y
            n_prev = n0 + np.arange(len(y))
            p = c if prior is None else (prior * c + f_prev) / (prior + n_prev)
            mon = ~np.isnan(p)
            if mon.any():
                p = np.clip(np.where(mon, p, 0.5), 0.005, 0.995)
                if "p0" not in st:
                    first = float(p[np.argmax(mon)])
                    st["p0"] = float(_P_GRID[np.argmin(np.abs(np.log(_P_GRID) - math.log(first)))])
                    st["h"] = cusum_threshold(arl0, st["p0"], s.odds_ratio)
                    st["L"] = ewma_limit(arl0, s.ewma_lambda, st["p0"])
                mi = np.flatnonzero(mon)
                cu = cusum_update(CusumState.from_dict(st.get("cusum")), cusum_weights(y[mi], p[mi], s.odds_ratio),
                                  st["h"])
                resid = (y[mi] - p[mi]) / np.sqrt(p[mi] * (1 - p[mi]))
                ew = ewma_update(EwmaState.from_dict(st.get("ewma")), resid, s.ewma_lambda, st["L"])
                ucl = st["L"] * math.sqrt(s.ewma_lambda / (2 - s.ewma_lambda))
                for kind, step, thr in (("cusum", cu, st["h"]), ("ewma", ew, ucl)):
                    recent = list(st.get(f"recent_{kind}", []))
                    for j, i in enumerate(mi):
                        recent.append([_iso(days[i]), round(float(step.path[j]), 5), ids[i]])
                        recent = recent[-RECENT:]
                        if step.signal[j]:
                            self.signal(kind, scope, key, days[i], float(step.path[j]), thr, {
                                "parameters": {"odds_ratio": s.odds_ratio, "arl0": arl0, "p0": st["p0"],
                                               "lambda": s.ewma_lambda if kind == "ewma" else None,
                                               "window_days": s.window_days, "prior_batches": prior},
                                "threshold": thr, "path": list(recent),
                                "batch_ids": sorted({r[2] for r in recent}),
                                "expected_failure_probability": round(float(p[i]), 5)})
                    st[f"recent_{kind}"] = recent
                st["cusum"], st["ewma"] = cu.state.to_dict(), ew.state.to_dict()
            st["F"], st["N"] = float(f0 + y.sum()), float(n0 + len(y))
            self._save(row, scope, key, RATE_DETECTOR, days[-1], st)

    def _save(self, row, scope, key, detector, last, st) -> None:
        if row is None:
            repository.add(self.session, DetectorState(scope=scope, scope_key=key, detector=detector,
                                                       last_observed_on=last, state=st))
        else:
            row.state, row.last_observed_on = st, last
            row.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)

    # -- complaints --
    def complaint_surges(self, new: pl.DataFrame, all_days: pl.DataFrame, enterprises: int) -> None:
        s = self.settings
        states = repository.states(self.session, SURGE_DETECTOR)
        month_of = lambda d: d.year * 12 + d.month - 1  # noqa: E731
        peer = {}
        for d in all_days["day"].to_list():
            peer[month_of(d)] = peer.get(month_of(d), 0) + 1
        start = min(peer) if peer else None
        last_complete = last_complete_month(self.as_of)
        by_ent: dict[str, list] = {}
        for cid, eid, day in new.iter_rows():
            by_ent.setdefault(str(eid), []).append((cid, day))
        keys = sorted(set(by_ent) | {k for (_, k) in states}, key=lambda k: int(k))
        for key in keys:
            row = states.get(("enterprise", key))
            st = dict(row.state) if row is not None else {"months": {}, "ids": {}, "evaluated_through": None}
            months, idmap = dict(st["months"]), dict(st["ids"])
            for cid, day in by_ent.get(key, []):
                m = str(month_of(day))
                months[m] = months.get(m, 0) + 1
                idmap.setdefault(m, []).append(cid)
            done = st["evaluated_through"]
            for m in sorted(int(x) for x in months):
                if (done is not None and m <= done) or m > last_complete:
                    continue
                count = months[str(m)]
                before = sum(v for k, v in months.items() if int(k) < m)
                peer_months = [peer.get(x, 0) for x in range(max(start, m - 12), m)] if start is not None else []
                if count >= s.surge_min_count and peer_months and enterprises:
                    peer_rate = max(sum(peer_months) / (enterprises * len(peer_months)), 1e-4)
                    expected = shrunk_rate(before, m - start, peer_rate, s.surge_prior_months)
                    test = poisson_surge(count, expected, s.surge_alpha, s.surge_min_count)
                    if test.surge:
                        day = dt.date(m // 12, m % 12 + 1, 1)
                        path = [[_iso(dt.date(int(k) // 12, int(k) % 12 + 1, 1)), v] for k, v in
                                sorted(months.items(), key=lambda kv: int(kv[0])) if int(k) <= m][-24:]
                        from scipy.stats import poisson
                        thr = float(max(s.surge_min_count, poisson.isf(s.surge_alpha, expected) + 1))
                        self.signal("complaint_surge", "enterprise", key, day, count, thr, {
                            "parameters": {"alpha": s.surge_alpha, "min_count": s.surge_min_count,
                                           "prior_months": s.surge_prior_months, "peer_rate": round(peer_rate, 6)},
                            "month": f"{m // 12:04d}-{m % 12 + 1:02d}", "expected": round(expected, 5),
                            "p_value": test.p_value, "threshold": thr, "path": path,
                            "complaint_ids": sorted(idmap.get(str(m), []))})
            evaluated = max([done] if done is not None else [], default=None)
            if last_complete is not None:
                evaluated = max(evaluated, last_complete) if evaluated is not None else last_complete
            idmap = {k: v for k, v in idmap.items() if int(k) > evaluated}
            st = {"months": months, "ids": idmap, "evaluated_through": evaluated}
            last = max((d for _, d in by_ent.get(key, [])), default=row.last_observed_on if row else None)
            self._save(row, "enterprise", key, SURGE_DETECTOR, last, st)


def last_complete_month(as_of: dt.date) -> int:
    """The last whole month a scan up to ``as_of`` (inclusive) may test, as ``year * 12 + month - 1``:
    the as-of month itself only on its last day, else the month before. A month is tested once
    (the detector state remembers it), so testing a month before it ends would never see the
    complaints that arrive later in it."""
    month = as_of.year * 12 + as_of.month - 1
    return month if (as_of + dt.timedelta(days=1)).month != as_of.month else month - 1


def alert_dict(a: Alert, *, evidence: bool = True) -> dict:
    out = {"id": a.id, "kind": a.kind, "scope": a.scope, "scope_key": a.scope_key, "status": a.status,
           "raised_at": _iso(a.raised_at), "last_signal_on": _iso(a.last_signal_on), "statistic": a.statistic,
           "threshold": a.threshold, "note": a.note or "", "acknowledged_by": a.acknowledged_by or "",
           "closed_by": a.closed_by or ""}
    if evidence:
        out["evidence"] = a.evidence
    return out


def scan(session: Session, as_of: dt.date | None = None, *, settings: ScanSettings = DEFAULT,
         actor: str = "cli") -> dict:
    """Run every detector on what arrived since the last scan, up to ``as_of`` (default: the latest
    observation). Returns ``{"raised": n, "updated": n, "as_of": ..., "alerts": [...]}``."""
    wm_rows = repository.states(session, WATERMARK)
    wm = wm_rows.get(("scan", "all"))
    after = wm.last_observed_on if wm is not None else None
    as_of = as_of or repository.latest_observation(session) or dt.date.today()
    if after is not None and as_of < after:
        raise ValidationError(f"as_of {as_of} is before the last scan ({after}); scans only move forward",
                              field="as_of")
    run = _Scan(session, as_of, settings, actor)
    if after is None or as_of > after:
        b = repository.batches(session, after, as_of).with_row_index("_row")
        if b.height:
            daily = repository.batch_daily(session, as_of)
            ref = _trailing_rates(daily, b["cluster"].to_list(), _days(b["day"]), settings.window_days,
                                  settings.min_reference)
            states = repository.states(session, RATE_DETECTOR)
            run.failure_rates("enterprise", b, "enterprise_id", ref, states)
            by_city = b.sort(["city_code", "day", "batch_id"])
            run.failure_rates("city", by_city, "city_code", ref, states)
        items = repository.item_results(session, after, as_of).with_row_index("_row")
        if items.height:
            daily = repository.item_daily(session, as_of)
            ref = _trailing_rates(daily, items["test_item"].to_list(), _days(items["day"]), settings.window_days,
                                  settings.min_reference)
            run.failure_rates("test_item", items, "test_item", ref, repository.states(session, RATE_DETECTOR))
        run.complaint_surges(repository.complaints(session, after, as_of), repository.complaint_monthly(session, as_of),
                             repository.enterprise_count(session))
        if wm is None:
            repository.add(session, DetectorState(scope="scan", scope_key="all", detector=WATERMARK,
                                                  last_observed_on=as_of, state={"scans": 1}))
        else:
            wm.last_observed_on, wm.state = as_of, {"scans": int((wm.state or {}).get("scans", 0)) + 1}
    repository.flush(session)
    changes = [(str(a.id), None, alert_dict(a, evidence=False)) for a in run.created]
    changes += [(str(a.id), None, alert_dict(a, evidence=False)) for a in run.updated.values()]
    if changes:
        record_many(session, actor=actor, action="upsert", entity=ENTITY, changes=changes,
                    note=f"early-warning scan as of {as_of}")
    audit(session, actor=actor, action="scan", entity="alert_scan", key=_iso(as_of),
          before={"watermark": _iso(after) if after else None},
          after={"watermark": _iso(as_of), "raised": len(run.created), "updated": len(run.updated),
                 "settings": settings.to_dict()})
    alerts = [alert_dict(a) for a in run.created] + [alert_dict(a) for a in run.updated.values()]
    return {"as_of": _iso(as_of), "raised": len(run.created), "updated": len(run.updated), "alerts": alerts}


# --- lifecycle -----------------------------------------------------------------------------------------

def _alert_or_404(session: Session, alert_id, city_code: str | None = None) -> Alert:
    """The alert, or 404 when it does not exist *or* lies outside the caller's city (``city_code``:
    a city-bound regulator's city; ``None`` for province-wide users), so an id reveals nothing."""
    try:
        alert_id = int(alert_id)
    except (TypeError, ValueError):
        raise ValidationError(f"alert id must be a whole number (got {alert_id!r})", field="alert_id") from None
    if city_code is not None and not repository.alert_in_city(session, alert_id, city_code):
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    a = repository.get_alert(session, alert_id, for_update=True)
    if a is None:
        raise NotFound(f"no alert {alert_id}", field="alert_id")
    return a


def _labelled(session: Session, alerts: list[Alert], evidence: bool) -> list[dict]:
    names = repository.labels(session, alerts)
    out = []
    for a in alerts:
        label, uscc = names.get((a.scope, a.scope_key), (a.scope_key, None))
        out.append({**alert_dict(a, evidence=evidence), "label": label, "uscc": uscc})
    return out


def enterprise_alerts(session: Session, enterprise_id: int) -> list[dict]:
    """The alerts raised on one enterprise's own series, newest first (its risk card lists them;
    the caller has checked that the enterprise is in the user's scope)."""
    return _labelled(session, repository.enterprise_alerts(session, enterprise_id), False)


def get_alert(session: Session, alert_id, city_code: str | None = None) -> dict:
    return _labelled(session, [_alert_or_404(session, alert_id, city_code)], True)[0]


def _check_filters(status: str | None, kind: str | None, scope: str | None) -> None:
    for field, value, allowed in (("status", status, STATUSES), ("kind", kind, KINDS), ("scope", scope, SCOPES)):
        if value and value not in allowed:
            raise ValidationError(f"参数 {field} 应为 {'、'.join(allowed)} 之一，实为 {value!r} "
                                  f"({field} must be one of {', '.join(allowed)})", field=field)


def list_alerts(session: Session, status: str | None = None, limit: int | None = 500, city_code: str | None = None,
                kind: str | None = None, scope: str | None = None, offset: int = 0) -> list[dict]:
    """Alerts, newest first, filtered by status, detector (``kind``) and ``scope``; for a city-bound
    regulator (``city_code``) only its city's. ``limit=None``: every one."""
    _check_filters(status, kind, scope)
    return _labelled(session, repository.list_alerts(session, status, limit, city_code, kind, scope, offset), False)


def alert_page(session: Session, *, status: str | None = None, kind: str | None = None, scope: str | None = None,
               page: int = 1, page_size: int = 50, city_code: str | None = None) -> dict:
    """One page of :func:`list_alerts` with how many match in all (the inbox never cuts a list
    short without saying so)."""
    _check_filters(status, kind, scope)
    total = repository.count_alerts(session, status, city_code, kind, scope)
    offset = (page - 1) * page_size
    items = list_alerts(session, status, page_size, city_code, kind, scope, offset) if offset < total else []
    return {"items": items, "total": total, "page": page, "page_size": page_size,
            "pages": max(1, -(-total // page_size))}


def acknowledge(session: Session, alert_id, actor: str = "cli", city_code: str | None = None) -> dict:
    """new -> acknowledged. Acknowledging an acknowledged alert is a no-op; a closed one is an error."""
    a = _alert_or_404(session, alert_id, city_code)
    if a.status == "closed":
        raise ValidationError(f"alert {a.id} is closed and cannot be acknowledged", field="status")
    if a.status == "acknowledged":
        return alert_dict(a)
    before = alert_dict(a, evidence=False)
    a.status, a.acknowledged_by = "acknowledged", actor
    a.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    repository.flush(session)
    audit(session, actor=actor, action="update", entity=ENTITY, key=str(a.id), before=before,
          after=alert_dict(a, evidence=False), note="acknowledged")
    return alert_dict(a)


def close(session: Session, alert_id, note: str, actor: str = "cli", city_code: str | None = None) -> dict:
    """new | acknowledged -> closed, with a note saying what was found or done."""
    a = _alert_or_404(session, alert_id, city_code)
    note = (note or "").strip()
    if not note:
        raise ValidationError("closing an alert needs a note (what was found or done)", field="note")
    if a.status == "closed":
        raise ValidationError(f"alert {a.id} is already closed", field="status")
    before = alert_dict(a, evidence=False)
    a.status, a.note, a.closed_by = "closed", note, actor
    a.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    repository.flush(session)
    audit(session, actor=actor, action="update", entity=ENTITY, key=str(a.id), before=before,
          after=alert_dict(a, evidence=False), note="closed")
    return alert_dict(a)
