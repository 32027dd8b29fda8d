"""Per-batch training rows and per-enterprise scoring rows for the grading model, columnar.

Every feature of a row dated ``t`` (a batch's sampling date, or the as-of date for the scoring
rows) uses only records dated strictly before ``t``: the history columns come from
:class:`lingqu.stats.grading.HistoryFeatures`, counts in windows from sorted keys and
``searchsorted``, never a Python loop per row. See ``docs/methods/risk-grading.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from lingqu.stats.grading import History, HistoryFeatures

EPOCH = dt.date(1970, 1, 1)
LAST_K = 3
TOP_ITEMS = 3
CCC_LEVELS = ("none", "valid", "expired", "suspended", "revoked")
NUMERIC = ("complaints_12m_log1p", "critical_failures_log1p", "assisted_before", "age_years",
           "recent_rate_logit", "recent_known_log1p", "margin_tightness", "complaints_decayed_log1p",
           "batches_12m_log1p", "failed_items_decayed_log1p")
#: half-life (days) of the recency weights: a batch a year old counts half as much as today's
HALF_LIFE_DAYS = 365.0
#: strength (pseudo-batches) of the prior the recency-weighted rate is shrunk toward
RECENT_PRIOR_STRENGTH = 4.0


def day_of(d: dt.date) -> int:
    return (d - EPOCH).days


def _days(col: pl.Series) -> np.ndarray:
    return (col.cast(pl.Date).cast(pl.Int32).to_numpy()).astype(np.int64)


def _count_before(ent_ev: np.ndarray, day_ev: np.ndarray, ent: np.ndarray, day: np.ndarray,
                  window: int | None = None) -> np.ndarray:
    """Per row (ent, day): events of the same entity with event day < day (and >= day − window)."""
    if ent_ev.size == 0:
        return np.zeros(ent.size)
    big = np.int64(1 << 20)
    keys = np.sort(ent_ev.astype(np.int64) * big + day_ev)
    hi = np.searchsorted(keys, ent * big + day, side="left")
    lo = np.searchsorted(keys, ent * big + (day - window if window else -big // 2), side="left")
    return (hi - lo).astype(float)


def prior_sums(entity: np.ndarray, day: np.ndarray, values: list[np.ndarray], ev_entity: np.ndarray | None = None,
               ev_day: np.ndarray | None = None, half_life: float | None = None) -> list[np.ndarray]:
    """Per row ``(entity, day)``: sums of each value over the *events* of the same entity dated
    strictly before ``day`` (events default to the rows themselves), each weighted by
    ``2^(−(day − event day)/half_life)`` when a half-life is given. NaN values count as 0.

    Why closed-form: ``Σ v_j e^{−λ(t − t_j)} = e^{−λ t} Σ v_j e^{λ t_j}``, so one sort and one
    cumulative sum per value serve every row (no loop over rows); days are offset by the first
    event day, so the exponent stays small.
    """
    ev_entity = entity if ev_entity is None else ev_entity
    ev_day = day if ev_day is None else ev_day
    if ev_entity.size == 0:
        return [np.zeros(entity.size) for _ in values]
    lam = 0.0 if not half_life else np.log(2.0) / half_life
    d0 = int(ev_day.min())
    big = np.int64(1 << 22)
    key_ev = ev_entity.astype(np.int64) * big + (ev_day - d0)
    order = np.argsort(key_ev, kind="stable")
    keys = key_ev[order]
    first = np.searchsorted(keys, entity.astype(np.int64) * big, side="left")
    hi = np.searchsorted(keys, entity.astype(np.int64) * big + np.clip(day - d0, -1, None), side="left")
    hi = np.maximum(hi, first)
    w_ev = np.exp(lam * (ev_day[order] - d0).astype(float))
    scale = np.exp(-lam * (day - d0).astype(float))
    out = []
    for v in values:
        c = np.r_[0.0, np.cumsum(np.nan_to_num(np.asarray(v, dtype=float)[order]) * w_ev)]
        out.append((c[hi] - c[first]) * scale)
    return out


#: per measured item, a sign: +1 when a higher value is further from the limit ("≥ L"), 0 for
#: two-sided "± L" limits (distance is L − |v|)
_LIMIT = __import__("re").compile(r"^\s*(>=|≥|<=|≤|±)\s*(-?\d+(?:\.\d+)?)")


def batch_tightness(items: pl.DataFrame) -> pl.DataFrame:
    """Per batch: how close its *passing* measured values came to their limits (higher = closer).

    For each measured result with a numeric limit (``>=80%``, ``±5%``), the margin is
    ``v − L`` (``≥``), ``L − v`` (``≤``) or ``L − |v|`` (``±``); margins are standardised per test
    item over the rows given (all dated before the as-of date), and the batch's tightness is
    minus their mean. Regulators read values just inside a limit as an early sign of trouble
    (a product that passes by a hair fails the next time), so the history of a firm's margins
    carries information a pass/fail verdict throws away.
    """
    if items.height == 0 or "measured_value" not in items.columns:
        return pl.DataFrame({"batch_id": [], "tightness": []}, schema={"batch_id": pl.Int64, "tightness": pl.Float64})
    lim = items["limit_text"].fill_null("").to_list()
    op, val = [], []
    for t in lim:
        m = _LIMIT.match(t)
        op.append(m.group(1) if m else "")
        val.append(float(m.group(2)) if m else np.nan)
    f = items.with_columns(pl.Series("_op", op), pl.Series("_l", val))
    v, lv = pl.col("measured_value"), pl.col("_l")
    margin = (pl.when(pl.col("_op").is_in([">=", "≥"])).then(v - lv)
              .when(pl.col("_op").is_in(["<=", "≤"])).then(lv - v)
              .when(pl.col("_op") == "±").then(lv - v.abs()).otherwise(None))
    f = f.with_columns(margin.alias("_m")).drop_nulls("_m").filter(pl.col("_m").is_not_nan())
    f = f.with_columns(((pl.col("_m") - pl.col("_m").mean().over("test_item"))
                        / pl.col("_m").std().over("test_item")).alias("_z")).drop_nulls("_z")
    f = f.filter(pl.col("_z").is_finite())
    return f.group_by("batch_id").agg((-pl.col("_z").mean()).alias("tightness"))


@dataclass(frozen=True)
class Rows:
    """Training rows (one per past batch) then scoring rows (one per enterprise at the as-of day)."""

    entity: np.ndarray          # enterprise row index (0..n_enterprises-1)
    day: np.ndarray
    outcome: np.ndarray         # 1/0 for batches, NaN for scoring rows
    history: History
    item_history: list[History]
    numeric: np.ndarray         # columns: NUMERIC + per top item prior failures (log1p)
    numeric_names: tuple[str, ...]
    categorical: np.ndarray     # columns: channel, size, ccc, city
    categorical_names: tuple[str, ...]
    categorical_labels: tuple[tuple[str, ...], ...]
    n_train: int
    top_items: tuple[str, ...]
    counts: dict                # raw counts for the scoring rows, for the reasons


def snapshot_days(days: np.ndarray, months: int) -> np.ndarray:
    """First day of the ``months``-long calendar period holding each day (0: the day itself)."""
    if months <= 0 or days.size == 0:
        return days
    m = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return ((m // months) * months).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def build_rows(ent: pl.DataFrame, batches: pl.DataFrame, items: pl.DataFrame, complaints: pl.DataFrame,
               certs: pl.DataFrame, assistance: pl.DataFrame, as_of: dt.date, snapshot_months: int = 0,
               measured: pl.DataFrame | None = None) -> Rows:
    n_ent = ent.height
    ids = pl.DataFrame({"enterprise_id": ent["enterprise_id"], "_e": np.arange(n_ent, dtype=np.int64)})
    b = batches.join(ids, on="enterprise_id", how="inner").sort(["_e", "sampled_on", "batch_id"])
    nb = b.height
    as_day = day_of(as_of)
    entity = np.r_[b["_e"].to_numpy().astype(np.int64), np.arange(n_ent, dtype=np.int64)]
    day = np.r_[snapshot_days(_days(b["sampled_on"]), snapshot_months), np.full(n_ent, as_day, dtype=np.int64)]
    outcome = np.r_[(~b["passed"].to_numpy()).astype(float), np.full(n_ent, np.nan)]
    hf = HistoryFeatures(last_k=LAST_K)
    history = hf.transform(entity, day, outcome)

    # per-item history: the items that failed most often before the as-of date
    fi = items.join(b.select("batch_id"), on="batch_id", how="semi")
    top = (fi.group_by("test_item").len().sort(["len", "test_item"], descending=[True, False])
           .head(TOP_ITEMS)["test_item"].to_list())
    item_history, item_cols = [], []
    bid = b["batch_id"]
    for item in top:
        failed_ids = fi.filter(pl.col("test_item") == item)["batch_id"].unique()
        y = np.r_[bid.is_in(failed_ids.implode()).to_numpy().astype(float) if nb else np.zeros(0), np.full(n_ent, np.nan)]
        h = hf.transform(entity, day, y)
        item_history.append(h)
        item_cols.append(np.log1p(h.prior_failures))
    crit_ids = fi.filter(pl.col("severity") == "critical")["batch_id"].unique()
    y_crit = np.r_[bid.is_in(crit_ids.implode()).to_numpy().astype(float) if nb else np.zeros(0), np.full(n_ent, np.nan)]
    crit = hf.transform(entity, day, y_crit).prior_failures

    def events(frame: pl.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
        f = frame.join(ids, on="enterprise_id", how="inner")
        return f["_e"].to_numpy().astype(np.int64), _days(f[col])

    ce, cd = events(complaints, "received_on")
    complaints_12m = _count_before(ce, cd, entity, day, window=365)
    ae, ad = events(assistance, "started_on")
    assisted = _count_before(ae, ad, entity, day)
    founded = ent["founded"]
    fday = np.where(founded.is_null().to_numpy(), np.nan,
                    founded.cast(pl.Int32).fill_null(0).to_numpy().astype(float))
    age = (day - fday[entity]) / 365.25
    ccc = _ccc_status(certs, ids, entity, day, np.r_[b["_e"].to_numpy().astype(np.int64)], _days(b["sampled_on"]),
                      (~b["passed"].to_numpy()) if nb else np.zeros(0, dtype=bool))

    # recency-weighted failure rate, shrunk toward the pooled rate of the training batches
    b_ent, b_day, b_y = entity[:nb], day[:nb], outcome[:nb]
    wk, wn = prior_sums(entity, day, [b_y, np.ones(nb)], b_ent, b_day, HALF_LIFE_DAYS) if nb else (
        np.zeros(entity.size), np.zeros(entity.size))
    pooled = (np.nansum(b_y) + 0.5) / (nb + 1.0)
    recent = (wk + RECENT_PRIOR_STRENGTH * pooled) / (wn + RECENT_PRIOR_STRENGTH)
    recent_logit = np.log(recent / (1 - recent))
    # measured margins of passing results: recency-weighted mean tightness of earlier batches
    tight = np.full(nb, np.nan)
    if measured is not None and nb:
        t = batch_tightness(measured)
        tj = b.select("batch_id").join(t, on="batch_id", how="left")["tightness"].to_numpy().astype(float)
        tight = tj
    has_t = (~np.isnan(tight)).astype(float)
    ts, tn = prior_sums(entity, day, [tight, has_t], b_ent, b_day, HALF_LIFE_DAYS) if nb else (
        np.zeros(entity.size), np.zeros(entity.size))
    tightness = ts / (tn + 1.0)  # shrunk toward 0 (the average) with one pseudo-batch
    (c_dec,) = prior_sums(entity, day, [np.ones(ce.size)], ce, cd, HALF_LIFE_DAYS) if ce.size else (np.zeros(entity.size),)
    # how often the enterprise was sampled in the last year: the regulator's own earlier targeting
    batches_12m = _count_before(b_ent, b_day, entity, day, window=365) if nb else np.zeros(entity.size)
    # how many items its failing batches failed (a batch failing five items is worse than one failing one)
    n_failed = b.select("batch_id").join(fi.group_by("batch_id").len(), on="batch_id", how="left")["len"]
    n_failed = n_failed.fill_null(0).to_numpy().astype(float) if nb else np.zeros(0)
    (fi_dec,) = prior_sums(entity, day, [n_failed], b_ent, b_day, HALF_LIFE_DAYS) if nb else (np.zeros(entity.size),)
    numeric = np.column_stack([np.log1p(complaints_12m), np.log1p(crit), np.minimum(assisted, 1.0), age,
                               recent_logit, np.log1p(wn), tightness, np.log1p(c_dec), np.log1p(batches_12m),
                               np.log1p(fi_dec)] + item_cols)
    numeric_names = NUMERIC + tuple(f"item_{i}_failures_log1p" for i in range(len(top)))

    channels = sorted(set(b["channel"].drop_nulls().to_list()) - {""})
    ch_code = {c: i for i, c in enumerate(channels)}
    channel = np.r_[np.array([ch_code.get(c, -1) for c in b["channel"].to_list()], dtype=np.int64),
                    np.full(n_ent, -1, dtype=np.int64)]
    sizes = sorted(set(ent["size"].drop_nulls().to_list()) - {""})
    size_code = np.array([sizes.index(s) if s in sizes else -1 for s in ent["size"].to_list()], dtype=np.int64)
    cities = sorted(set(ent["city_code"].drop_nulls().to_list()))
    city_code = np.array([cities.index(c) if c in cities else -1 for c in ent["city_code"].to_list()], dtype=np.int64)
    categorical = np.column_stack([channel, size_code[entity], ccc, city_code[entity]])

    s = slice(nb, nb + n_ent)
    counts = {
        "prior_known": history.prior_known[s], "prior_failures": history.prior_failures[s],
        "failures_last_k": history.failures_last_k[s], "last_k_known": np.minimum(history.prior_known[s], LAST_K),
        "days_since_failure": history.days_since_failure[s], "days_since_previous": history.days_since_previous[s],
        "complaints_12m": complaints_12m[s], "critical_failures": crit[s], "assisted": assisted[s], "age": age[s],
        "item_failures": [h.prior_failures[s] for h in item_history], "ccc": ccc[s],
        "last_k_items": _last_k_items(b, fi, n_ent), "tightness": tightness[s], "measured_batches": tn[s],
    }
    return Rows(entity=entity, day=day, outcome=outcome, history=history, item_history=item_history,
                numeric=numeric, numeric_names=numeric_names, categorical=categorical,
                categorical_names=("channel", "size", "ccc_status", "city"),
                categorical_labels=(tuple(channels), tuple(sizes), CCC_LEVELS, tuple(cities)),
                n_train=nb, top_items=tuple(top), counts=counts)


def _ccc_status(certs: pl.DataFrame, ids: pl.DataFrame, entity: np.ndarray, day: np.ndarray,
                b_ent: np.ndarray, b_day: np.ndarray, b_failed: np.ndarray) -> np.ndarray:
    """CCC status of each row's enterprise at its day, as a code into :data:`CCC_LEVELS`.

    The records carry a certificate's current status but no date for a suspension or
    revocation; such a status counts from the enterprise's first failed batch on or after the
    issue date (a suspension follows a failed inspection), and not at all before it. Worst first:
    revoked, suspended, valid (issued before, expiring after the day), expired, none.
    """
    n = entity.size
    out = np.zeros(n, dtype=np.int64)  # none
    c = certs.join(ids, on="enterprise_id", how="inner")
    if c.height == 0:
        return out
    ce = c["_e"].to_numpy().astype(np.int64)
    issued = np.where(c["issued_on"].is_null().to_numpy(), -10**6, c["issued_on"].cast(pl.Int32).fill_null(0).to_numpy())
    expires = np.where(c["expires_on"].is_null().to_numpy(), 10**7, c["expires_on"].cast(pl.Int32).fill_null(0).to_numpy())
    status = np.array(c["status"].fill_null("valid").to_list())
    # effective day of a suspension/revocation: first failed batch of the enterprise on/after issue
    fb = np.sort(b_ent[b_failed].astype(np.int64) * (1 << 20) + b_day[b_failed])
    pos = np.searchsorted(fb, ce * (1 << 20) + issued, side="left")
    nxt = np.where(pos < fb.size, fb[np.minimum(pos, fb.size - 1)], -1)
    eff = np.where((nxt >= 0) & (nxt // (1 << 20) == ce), nxt % (1 << 20), 10**7)
    rank = {"none": 0, "expired": 1, "valid": 2, "suspended": 3, "revoked": 4}
    level = {"none": 0, "valid": 1, "expired": 2, "suspended": 3, "revoked": 4}
    # per certificate and row of the same enterprise: its state at the row's day (few certs per enterprise)
    order = np.argsort(ce, kind="stable")
    starts = np.searchsorted(ce[order], np.arange(entity.max() + 2 if n else 1))
    best = np.zeros(n, dtype=np.int64)
    max_per = int(np.diff(starts).max()) if starts.size > 1 else 0
    for j in range(max_per):  # loop over the j-th certificate of each enterprise, vectorised over rows
        has = starts[entity] + j < starts[entity + 1]
        k = order[np.minimum(starts[entity] + j, order.size - 1)]
        r = np.zeros(n, dtype=np.int64)
        live = has & (issued[k] < day)
        valid = live & (day <= expires[k])
        r = np.where(live & ~valid, rank["expired"], r)
        r = np.where(valid, rank["valid"], r)
        for st in ("suspended", "revoked"):
            hit = valid & (status[k] == st) & (eff[k] < day)
            r = np.where(hit, rank[st], r)
        best = np.maximum(best, r)
    inv = {v: level[k] for k, v in rank.items()}
    out = np.vectorize(inv.get)(best) if n else out
    return out.astype(np.int64)


def _last_k_items(b: pl.DataFrame, fi: pl.DataFrame, n_ent: int) -> list[list[str]]:
    """Per enterprise: the items that failed in its last ``LAST_K`` batches (most frequent first)."""
    out: list[list[str]] = [[] for _ in range(n_ent)]
    if b.height == 0:
        return out
    last = b.with_columns(pl.int_range(pl.len()).reverse().over("_e").alias("_r")).filter(pl.col("_r") < LAST_K)
    f = (fi.join(last.select("batch_id", "_e"), on="batch_id", how="inner")
         .group_by("_e", "test_item").len().sort(["_e", "len", "test_item"], descending=[False, True, False]))
    for e, item in f.select("_e", "test_item").iter_rows():
        out[int(e)].append(item)
    return out
