"""Per-batch training rows and per-enterprise scoring rows for the grading model, columnar.

Every feature of a row dated ``t`` (a batch's sampling date, or the as-of date for the scoring
rows) uses only records dated strictly before ``t``: the history columns come from
:class:`lingqu.stats.grading.HistoryFeatures`, counts in windows from sorted keys and
``searchsorted``, never a Python loop per row. See ``docs/methods/risk-grading.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


def position(values: pl.Series | np.ndarray, keys: pl.Series | np.ndarray) -> np.ndarray:
    """Index of each value in ``keys`` (unique integer ids), −1 where absent or null.

    Why: the joins of the feature builder are id lookups (batch id, enterprise id) of millions of
    rows; a dense table indexed by id (ids are database keys: small non-negative integers) is
    one gather instead of a hash join. Other keys fall back to a binary search. Same rows as an
    inner join on a unique key."""
    v = values.fill_null(-1).to_numpy() if isinstance(values, pl.Series) else np.asarray(values)
    k = keys.to_numpy() if isinstance(keys, pl.Series) else np.asarray(keys)
    v, k = v.astype(np.int64, copy=False), k.astype(np.int64, copy=False)
    out = np.full(v.size, -1, dtype=np.int64)
    if k.size == 0 or v.size == 0:
        return out
    lo, hi = int(k.min()), int(k.max())
    if lo >= 0 and hi <= 4 * k.size + (1 << 20):
        table = np.full(hi + 1, -1, dtype=np.int64)
        table[k] = np.arange(k.size)
        ok = (v >= 0) & (v <= hi)
        out[ok] = table[v[ok]]
        return out
    order = np.argsort(k, kind="stable")
    sk = k[order]
    at = np.minimum(np.searchsorted(sk, v), sk.size - 1)
    return np.where(sk[at] == v, order[at], -1)


def prior_sums(entity: np.ndarray, day: np.ndarray, values: list[np.ndarray], ev_entity: np.ndarray | None = None,
               ev_day: np.ndarray | None = None, half_life: float | None = None,
               counts: tuple[int | None, ...] = ()) -> list[np.ndarray]:
    """Per row ``(entity, day)``: sums of each value over the *events* of the same entity dated
    strictly before ``day`` (events default to the rows themselves), each weighted by
    ``2^(−(day − event day)/half_life)`` when a half-life is given. NaN values count as 0.
    Then, per entry of ``counts``, the number of those events dated on or after ``day − window``
    (``None``: all of them), as floats.

    Why closed-form: ``Σ v_j e^{−λ(t − t_j)} = e^{−λ t} Σ v_j e^{λ t_j}``, so one sort and one
    cumulative sum per value serve every row (no loop over rows); days are offset by the first
    event day, so the exponent stays small. The counts share the sort and the searches (a window's
    events are a range of the sorted keys); events already in (entity, day) order (the batch rows)
    are not sorted again, and where an entity's events start comes from a count of events per
    entity, not a search.
    """
    ev_entity = entity if ev_entity is None else ev_entity
    ev_day = day if ev_day is None else ev_day
    if ev_entity.size == 0:
        return [np.zeros(entity.size) for _ in values] + [np.zeros(entity.size) for _ in counts]
    lam = 0.0 if not half_life else np.log(2.0) / half_life
    d0 = int(ev_day.min())
    big = np.int64(1 << 22)
    key_ev = ev_entity.astype(np.int64) * big + (ev_day - d0)
    order = None if bool(np.all(key_ev[1:] >= key_ev[:-1])) else np.argsort(key_ev, kind="stable")
    keys = key_ev if order is None else key_ev[order]
    base = entity.astype(np.int64) * big
    if (entity.size and np.issubdtype(ev_entity.dtype, np.integer) and np.issubdtype(entity.dtype, np.integer)
            and int(ev_entity.min()) >= 0 and int(entity.min()) >= 0):
        # keys of entity e are >= e·big: its events start after those of the entities below it
        starts = np.zeros(int(ev_entity.max()) + 2, dtype=np.int64)
        np.cumsum(np.bincount(ev_entity, minlength=starts.size - 1), out=starts[1:])
        first = starts[np.minimum(entity, starts.size - 1)]
    else:
        first = np.searchsorted(keys, base, side="left")

    def since(shift: int) -> np.ndarray:  # per row: its entity's first event dated on or after day − shift
        return np.maximum(np.searchsorted(keys, base + np.clip(day - shift - d0, -1, None), side="left"), first)

    hi = since(0)
    w_ev = np.exp(lam * ((ev_day if order is None else ev_day[order]) - d0).astype(float))
    scale = np.exp(-lam * (day - d0).astype(float))
    out = []
    c = np.empty(keys.size + 1)
    c[0] = 0.0
    for v in values:
        x = np.asarray(v, dtype=float)
        x = np.nan_to_num(x if order is None else x[order], copy=order is None)
        np.multiply(x, w_ev, out=x)
        np.cumsum(x, out=c[1:])
        out.append((c[hi] - c[first]) * scale)
    for window in counts:
        out.append((hi - (first if window is None else since(window))).astype(float))
    return out


#: per measured item, a sign: +1 when a higher value is further from the limit ("≥ L"), 0 for
#: two-sided "± L" limits (distance is L − |v|)
_LIMIT = __import__("re").compile(r"^\s*(>=|≥|<=|≤|±)\s*(-?\d+(?:\.\d+)?)")


def parse_limit(text: str | None) -> tuple[int, float] | None:
    """A limit's direction and value: ``(+1, L)`` for "≥ L", ``(-1, L)`` for "≤ L", ``(0, L)`` for
    "± L"; None when the text is not a numeric limit. The one parsing rule of the margin feature,
    used by :func:`batch_tightness` and by the bulk path's SQL form (``risk.bulk.TIGHTNESS_SQL``),
    which parses the distinct limit texts with it."""
    m = _LIMIT.match(text or "")
    if not m:
        return None
    return {">=": 1, "≥": 1, "<=": -1, "≤": -1, "±": 0}[m.group(1)], float(m.group(2))


def batch_tightness(items: pl.DataFrame) -> pl.DataFrame:
    """Per batch: how close its *passing* measured values came to their limits (higher = closer).

    For each measured result with a numeric limit (``>=80%``, ``±5%``), the margin is
    ``v − L`` (``≥``), ``L − v`` (``≤``) or ``L − |v|`` (``±``); margins are standardised per test
    item over the rows given (all dated before the as-of date), and the batch's tightness is
    minus their mean. Regulators read values just inside a limit as an early sign of trouble
    (a product that passes by a hair fails the next time), so the history of a firm's margins
    carries information a pass/fail verdict throws away.

    The limit texts are parsed once per distinct text (there are a few per test item, while the
    rows run to millions). The bulk path computes the same figure in SQL (a GROUP BY over the
    item rows, ``risk.bulk.TIGHTNESS_SQL``) and hands only the per-batch frame to
    :func:`build_rows`; a test holds the two forms equal.
    """
    if items.height == 0 or "measured_value" not in items.columns:
        return pl.DataFrame({"batch_id": [], "tightness": []}, schema={"batch_id": pl.Int64, "tightness": pl.Float64})
    texts = items["limit_text"].fill_null("").unique().to_list()
    parsed = [parse_limit(t) for t in texts]
    lim = pl.DataFrame({"limit_text": texts, "_op": [p[0] if p else None for p in parsed],
                        "_l": [p[1] if p else None for p in parsed]},
                       schema={"limit_text": pl.String, "_op": pl.Int8, "_l": pl.Float64})
    f = items.with_columns(pl.col("limit_text").fill_null("")).join(lim, on="limit_text", how="left")
    v, lv = pl.col("measured_value"), pl.col("_l")
    margin = (pl.when(pl.col("_op") == 1).then(v - lv)
              .when(pl.col("_op") == -1).then(lv - v)
              .when(pl.col("_op") == 0).then(lv - v.abs()).otherwise(None))
    # NaN and infinite values are dropped: one bad value must not make its item's spread infinite
    f = f.with_columns(margin.alias("_m")).drop_nulls("_m").filter(pl.col("_m").is_finite())
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
    item_failures: list[np.ndarray]     # per top item: earlier failures of that item (HistoryFeatures' prior_failures)
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


def _by_enterprise_day(b: pl.DataFrame) -> pl.DataFrame:
    """``b`` sorted by enterprise row, sampling date and batch id: by one integer key
    ``(_e · days + day) · ids + batch_id`` when it fits in 63 bits (a third of the time of Polars'
    three-column sort at 6·10^6 batches), else by the three columns. The same order: the key
    orders exactly as the three columns do, and batch ids are unique."""
    cols = ["_e", "sampled_on", "batch_id"]
    if b.height == 0 or b["sampled_on"].dtype != pl.Date or any(b[c].null_count() for c in cols):
        return b.sort(cols)
    e, bid = b["_e"].to_numpy().astype(np.int64), b["batch_id"].to_numpy().astype(np.int64)
    d = _days(b["sampled_on"])
    d0, span = int(d.min()), int(d.max()) - int(d.min()) + 1
    lo_id, ids = int(bid.min()), int(bid.max()) - int(bid.min()) + 1
    if int(e.min()) < 0 or (int(e.max()) + 1) * span * ids >= (1 << 62):
        return b.sort(cols)
    key = (e * span + (d - d0)) * ids + (bid - lo_id)
    return b[pl.Series(key).arg_sort().to_numpy()]


def build_rows(ent: pl.DataFrame, batches: pl.DataFrame, items: pl.DataFrame, complaints: pl.DataFrame,
               certs: pl.DataFrame, assistance: pl.DataFrame, as_of: dt.date, snapshot_months: int = 0,
               measured: pl.DataFrame | None = None) -> Rows:
    n_ent = ent.height
    ids = pl.DataFrame({"enterprise_id": ent["enterprise_id"], "_e": np.arange(n_ent, dtype=np.int64)})
    ent_ids = ent["enterprise_id"].to_numpy()
    b = _by_enterprise_day(batches.with_columns(pl.Series("_e", position(batches["enterprise_id"], ent_ids)))
                           .filter(pl.col("_e") >= 0))
    nb = b.height
    as_day = day_of(as_of)
    entity = np.r_[b["_e"].to_numpy().astype(np.int64), np.arange(n_ent, dtype=np.int64)]
    day = np.r_[snapshot_days(_days(b["sampled_on"]), snapshot_months), np.full(n_ent, as_day, dtype=np.int64)]
    outcome = np.r_[(~b["passed"].to_numpy()).astype(float), np.full(n_ent, np.nan)]
    hf = HistoryFeatures(last_k=LAST_K)

    # per-item history: the items that failed most often before the as-of date
    bid_np = b["batch_id"].to_numpy()
    fi_pos = position(items["batch_id"], bid_np)
    fi = items.filter(pl.Series(fi_pos >= 0))
    fi_pos = fi_pos[fi_pos >= 0]
    top = (fi.group_by("test_item").len().sort(["len", "test_item"], descending=[True, False])
           .head(TOP_ITEMS)["test_item"].to_list())
    unknown = np.full(n_ent, np.nan)

    def failed_in(mask: pl.Series) -> np.ndarray:
        y = np.zeros(nb)
        y[fi_pos[mask.fill_null(False).to_numpy()]] = 1.0
        return np.r_[y, unknown]

    # one sort of the rows serves the batch history and the earlier failures of each top item and critical ones
    ys = [outcome] + [failed_in(fi["test_item"] == item) for item in top]
    ys.append(failed_in(fi["severity"] == "critical"))
    history, *item_failures, crit = hf.transform_many(entity, day, ys, failures_only=[False] + [True] * (len(ys) - 1))
    del ys

    def events(frame: pl.DataFrame, col: str) -> tuple[np.ndarray, np.ndarray]:
        e = position(frame["enterprise_id"], ent_ids)
        return e[e >= 0], _days(frame[col])[e >= 0]

    ce, cd = events(complaints, "received_on")
    ae, ad = events(assistance, "started_on")
    (assisted,) = prior_sums(entity, day, [], ae, ad, counts=(None,))
    ccc = _ccc_status(certs, ids, entity, day, np.r_[b["_e"].to_numpy().astype(np.int64)], _days(b["sampled_on"]),
                      (~b["passed"].to_numpy()) if nb else np.zeros(0, dtype=bool))

    b_ent, b_day, b_y = entity[:nb], day[:nb], outcome[:nb]
    # measured margins of passing results: recency-weighted mean tightness of earlier batches
    tight = np.full(nb, np.nan)
    if measured is not None and nb:
        # measured rows (the database path), or the per-batch figure already aggregated (the bulk path's SQL)
        t = measured if "tightness" in measured.columns else batch_tightness(measured)
        at = position(bid_np, t["batch_id"])
        tight = np.where(at >= 0, t["tightness"].to_numpy().astype(float)[np.maximum(at, 0)], np.nan)
    has_t = (~np.isnan(tight)).astype(float)
    # how many items its failing batches failed (a batch failing five items is worse than one failing one)
    n_failed = np.bincount(fi_pos, minlength=nb).astype(float)
    # every recency-weighted sum over the earlier batches in one pass (the batch rows are already in
    # order: no sort), and how often the enterprise was sampled in the last year (the regulator's
    # own earlier targeting)
    wk, wn, ts, tn, fi_dec, batches_12m = prior_sums(entity, day, [b_y, np.ones(nb), tight, has_t, n_failed],
                                                     b_ent, b_day, HALF_LIFE_DAYS, counts=(365,))
    # complaints: recency-weighted, and counted over the last year (one sort of the complaints)
    c_dec, complaints_12m, complaints_all = prior_sums(entity, day, [np.ones(ce.size)], ce, cd, HALF_LIFE_DAYS,
                                                       counts=(365, None))
    return assemble_rows(ent, entity, day, outcome, history, item_failures, crit, assisted, ccc,
                         (wk, wn, ts, tn, fi_dec, c_dec), (complaints_12m, complaints_all), batches_12m, b["channel"], top,
                         _last_k_items(b, fi, n_ent))


def assemble_rows(ent: pl.DataFrame, entity: np.ndarray, day: np.ndarray, outcome: np.ndarray, history: History,
                  item_failures: list[np.ndarray], crit: np.ndarray, assisted: np.ndarray, ccc: np.ndarray, decayed: tuple[np.ndarray, ...],
                  complaints: tuple[np.ndarray, np.ndarray], batches_12m: np.ndarray, b_channel: pl.Series, top: list[str], last_k_items) -> Rows:
    """:class:`Rows` from the per-row counts and sums, whichever form computed them: the feature
    matrix, the categorical codes and the scoring rows' counts for the reasons. ``decayed``: the
    recency-weighted sums over earlier batches of failures, batches, tightness, batches with a
    tightness figure and failed items, then over earlier complaints (``wk, wn, ts, tn, fi_dec,
    c_dec``); ``complaints``: the earlier complaints of the last 365 days, and of all time (the
    latter only for the reasons' words). Shared by :func:`build_rows` and the bulk path's SQL form
    (``risk.bulk_features.assemble``), so both apply the same formulas."""
    wk, wn, ts, tn, fi_dec, c_dec = decayed
    complaints_12m, complaints_all = complaints
    founded = ent["founded"]
    fday = np.where(founded.is_null().to_numpy(), np.nan,
                    founded.cast(pl.Int32).fill_null(0).to_numpy().astype(float))
    age = (day - fday[entity]) / 365.25
    n_ent = ent.height
    nb = entity.size - n_ent
    b_y = outcome[:nb]
    # recency-weighted failure rate, shrunk toward the pooled rate of the training batches
    pooled = (np.nansum(b_y) + 0.5) / (nb + 1.0)
    recent = (wk + RECENT_PRIOR_STRENGTH * pooled) / (wn + RECENT_PRIOR_STRENGTH)
    recent_logit = np.log(recent / (1 - recent))
    tightness = ts / (tn + 1.0)  # shrunk toward 0 (the average) with one pseudo-batch
    # column-major, each feature written straight into its column (one contiguous write per column;
    # column_stack copied every temporary and wrote each row's columns strided: seconds at 10^7 rows).
    # The same values: NUMERIC, then the top items' earlier failures.
    numeric = np.empty((entity.size, len(NUMERIC) + len(item_failures)), order="F")
    col = numeric.T  # col[j]: feature j, contiguous
    np.log1p(complaints_12m, out=col[0])
    np.log1p(crit, out=col[1])
    np.minimum(assisted, 1.0, out=col[2])
    col[3] = age
    col[4] = recent_logit
    np.log1p(wn, out=col[5])
    col[6] = tightness
    np.log1p(c_dec, out=col[7])
    np.log1p(batches_12m, out=col[8])
    np.log1p(fi_dec, out=col[9])
    for i, f in enumerate(item_failures):
        np.log1p(f, out=col[len(NUMERIC) + i])
    numeric_names = NUMERIC + tuple(f"item_{i}_failures_log1p" for i in range(len(top)))

    channels = sorted(set(b_channel.drop_nulls().unique().to_list()) - {""})
    channel = np.r_[_codes(b_channel, channels), np.full(n_ent, -1, dtype=np.int64)]
    sizes = sorted(set(ent["size"].drop_nulls().unique().to_list()) - {""})
    size_code = _codes(ent["size"], sizes)
    cities = sorted(set(ent["city_code"].drop_nulls().unique().to_list()))
    city_code = _codes(ent["city_code"], cities)
    categorical = np.vstack([channel, size_code[entity], ccc, city_code[entity]]).T

    s = slice(nb, nb + n_ent)
    counts = {
        "prior_known": history.prior_known[s], "prior_failures": history.prior_failures[s],
        "failures_last_k": history.failures_last_k[s], "last_k_known": np.minimum(history.prior_known[s], LAST_K),
        "days_since_failure": history.days_since_failure[s], "days_since_previous": history.days_since_previous[s],
        "complaints_12m": complaints_12m[s],
        "complaints_all": complaints_all[s], "batches_12m": batches_12m[s], "critical_failures": crit[s], "assisted": assisted[s], "age": age[s],
        "item_failures": [f[s] for f in item_failures], "ccc": ccc[s],
        "last_k_items": last_k_items, "tightness": tightness[s], "measured_batches": tn[s],
    }
    return Rows(entity=entity, day=day, outcome=outcome, history=history, item_failures=item_failures,
                numeric=numeric, numeric_names=numeric_names, categorical=categorical,
                categorical_names=("channel", "size", "ccc_status", "city"),
                categorical_labels=(tuple(channels), tuple(sizes), CCC_LEVELS, tuple(cities)),
                n_train=nb, top_items=tuple(top), counts=counts)


def _codes(col: pl.Series, levels: list[str]) -> np.ndarray:
    """Index of each value in ``levels``, −1 for a value not among them or null (a join on the
    few levels, not a Python lookup per row)."""
    table = pl.DataFrame({"_v": levels, "_c": np.arange(len(levels), dtype=np.int64)},
                         schema={"_v": pl.String, "_c": pl.Int64})
    got = pl.DataFrame({"_v": col.cast(pl.String)}).join(table, on="_v", how="left", maintain_order="left")
    return got["_c"].fill_null(-1).to_numpy().astype(np.int64)


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
    at = position(certs["enterprise_id"], ids["enterprise_id"])
    c = certs.filter(pl.Series(at >= 0)).with_columns(pl.Series("_e", at[at >= 0]))
    if c.height == 0:
        return out
    # the certificates in enterprise order (a row's status is the worst over its enterprise's
    # certificates, whatever their order): the searches below then run over sorted keys and the
    # per-certificate lookups read memory in order, which at 10^6 certificates is most of the time
    ce0 = c["_e"].to_numpy().astype(np.int64)
    order = np.argsort(ce0, kind="stable")
    ce = ce0[order]
    issued = np.where(c["issued_on"].is_null().to_numpy(), -10**6,
                      c["issued_on"].cast(pl.Int32).fill_null(0).to_numpy())[order]
    expires = np.where(c["expires_on"].is_null().to_numpy(), 10**7,
                       c["expires_on"].cast(pl.Int32).fill_null(0).to_numpy())[order]
    status = c["status"].fill_null("valid")
    # effective day of a suspension/revocation: first failed batch of the enterprise on/after issue
    fb = np.sort(b_ent[b_failed].astype(np.int64) * (1 << 20) + b_day[b_failed])
    pos = np.searchsorted(fb, ce * (1 << 20) + issued, side="left")
    nxt = np.where(pos < fb.size, fb[np.minimum(pos, fb.size - 1)], -1)
    eff = np.where((nxt >= 0) & (nxt // (1 << 20) == ce), nxt % (1 << 20), 10**7)
    rank = {"none": 0, "expired": 1, "valid": 2, "suspended": 3, "revoked": 4}
    level = {"none": 0, "valid": 1, "expired": 2, "suspended": 3, "revoked": 4}
    # per certificate and row of the same enterprise: its state at the row's day (few certs per enterprise)
    starts = np.searchsorted(ce, np.arange(entity.max() + 2 if n else 1))
    best = np.zeros(n, dtype=np.int8)
    held = {st: (status == st).to_numpy()[order] for st in ("suspended", "revoked")}  # per certificate, once
    first = starts[entity]
    count = starts[entity + 1] - first
    rows = np.flatnonzero(count > 0)
    j = 0
    while rows.size:  # the j-th certificate of each enterprise, over the rows whose enterprise has one
        k = first[rows] + j
        dr = day[rows]
        live = issued[k] < dr
        valid = live & (dr <= expires[k])
        r = np.where(valid, np.int8(rank["valid"]), np.where(live, np.int8(rank["expired"]), np.int8(0)))
        for st in ("suspended", "revoked"):
            r = np.where(valid & held[st][k] & (eff[k] < dr), np.int8(rank[st]), r)
        best[rows] = np.maximum(best[rows], r)
        j += 1
        rows = rows[count[rows] > j]
    inv = np.zeros(max(rank.values()) + 1, dtype=np.int64)
    for k, v in rank.items():
        inv[v] = level[k]
    return inv[best.astype(np.int64)] if n else out


class OnFirstUse(Sequence):
    """A list computed when first read: the per-enterprise item lists feed only the reasons in
    words, which a bulk grading of a million enterprises usually does not ask for."""

    def __init__(self, compute) -> None:
        self._compute, self._value = compute, None

    def _list(self) -> list:
        if self._value is None:
            self._value, self._compute = self._compute(), None
        return self._value

    def __getitem__(self, i):
        return self._list()[i]

    def __len__(self) -> int:
        return len(self._list())


def _last_k_items(b: pl.DataFrame, fi: pl.DataFrame, n_ent: int) -> OnFirstUse:
    """Per enterprise: the items that failed in its last ``LAST_K`` batches (most frequent first).

    ``b`` is sorted by enterprise row, date and batch id, so a batch's rank from its enterprise's
    last is the enterprise's end position minus its own (no window sort). Computed on first use."""
    if b.height == 0:
        return OnFirstUse(lambda: [[] for _ in range(n_ent)])
    e = b["_e"].to_numpy().astype(np.int64)
    ends = np.cumsum(np.bincount(e, minlength=n_ent))
    from_last = ends[e] - 1 - np.arange(e.size)
    last = b.select("batch_id", "_e").filter(pl.Series(from_last < LAST_K))
    failed = fi.select("batch_id", "test_item")

    def compute() -> list[list[str]]:
        out: list[list[str]] = [[] for _ in range(n_ent)]
        f = (failed.join(last, on="batch_id", how="inner")
             .group_by("_e", "test_item").len().sort(["_e", "len", "test_item"], descending=[False, True, False])
             .group_by("_e", maintain_order=True).agg("test_item"))
        for ent, items in zip(f["_e"].to_list(), f["test_item"].to_list()):
            out[int(ent)] = items
        return out

    return OnFirstUse(compute)
