"""The grading model's rows in SQL: one window query over the batches, complaints, assistance
and certificate events of every enterprise (the bulk path's form of ``features.build_rows``).

Why: ``features.build_rows`` is NumPy on one core of one machine, so at 10^8 test-item results
it was the part of the bulk path that could not move to Spark. Here every per-enterprise history
is a window aggregate over one stream of dated events, partitioned by enterprise and ordered by
day, with frames ``RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING`` ("strictly before the
row's date", so rows of the same date never see each other, as in ``HistoryFeatures``) and
``RANGE BETWEEN 365 PRECEDING AND 1 PRECEDING`` (the last year). Python keeps only the model:
it turns the fetched counts into the feature matrix with the same formulas
(:func:`assemble`), fits on a bounded sample and scores.

The events of an enterprise (``kind``): 0 its batches before the as-of date, 1 its scoring row
(at the as-of date), 2 complaints, 3 assistance, 4 certificate-status changes. A CCC certificate
with status ``s`` issued on ``i`` and expiring on ``x``, whose enterprise first failed a batch on
``f >= i``, has rank at least 1 ("expired": issued) on days ``d > i``; at least 2 ("valid") on
``i < d <= x``; at least 3 ("suspended" or "revoked": a suspension follows a failed inspection)
on ``f < d <= x``; 4 ("revoked") there when revoked: each an interval ``(start, end]``, i.e. a +1
event on ``start + 1`` and a -1 event on ``end + 1``. The enterprise's status on a day is the
highest rank whose running count is positive, which is ``features._ccc_status``'s "worst over the
certificates" (an empty interval gives no events, so a count never goes below zero).

The rows come back in ``build_rows``' order (the batches by enterprise, date and batch id, then
one scoring row per enterprise in the enterprises' order), so the model's seeded fit sample is
the same. Counts are exact; the recency-weighted sums differ from the NumPy form's by rounding
(about 1e-9 of the running total there, which accumulates over every enterprise); a test holds
every column equal to ``build_rows`` within that and the grades equal.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import polars as pl

from lingqu.risk import features as F
from lingqu.stats.grading import History

#: the row order of ``features.build_rows``: the enterprises as the engine reads them
ENTERPRISES_SQL = """
CREATE OR REPLACE TEMP TABLE feat_ent AS
SELECT row_number() OVER (ORDER BY uscc) - 1 AS e, enterprise_id, uscc, name, cluster, size, city_code, district,
       founded
FROM enterprise
WHERE cluster IN (SELECT DISTINCT cluster FROM bulk_batch WHERE sampled_on < $as_of)
"""

#: the training batches (the graded enterprises' batches before the as-of date), and their failed items
BATCHES_SQL = """
CREATE OR REPLACE TEMP TABLE feat_b AS
SELECT fe.e, date_diff('day', DATE '1970-01-01', b.sampled_on) AS day, b.batch_id,
       CASE WHEN b.failed_count > 0 THEN 1 ELSE 0 END AS y, b.channel
FROM bulk_batch b JOIN feat_ent fe ON fe.enterprise_id = b.enterprise_id
WHERE b.sampled_on < $as_of
"""

FAILED_SQL = """
CREATE OR REPLACE TEMP TABLE feat_fi AS
SELECT it.batch_id, it.test_item, it.severity
FROM item it SEMI JOIN feat_b b ON b.batch_id = it.batch_id
WHERE it.sampled_on < $as_of AND NOT it.passed
"""

#: the items that failed most often (ties by name), as ``build_rows`` picks them
TOP_ITEMS_SQL = f"""
SELECT test_item FROM feat_fi GROUP BY test_item ORDER BY count(*) DESC, test_item LIMIT {F.LAST_K}
"""

#: one stream of dated events per enterprise, and the window aggregates of each batch and scoring row
ROWS_SQL = """
WITH flags AS (
    SELECT batch_id, count(*) AS n_failed,
           count_if(severity = 'critical') > 0 AS crit, {item_flags}
    FROM feat_fi GROUP BY batch_id),
b AS (
    SELECT b.e, b.day, b.batch_id, b.y, b.channel, coalesce(f.n_failed, 0) AS n_failed,
           coalesce(f.crit, false) AS crit, {item_cols}, t.tightness,
           sum(b.y) OVER (PARTITION BY b.e ORDER BY b.day, b.batch_id ROWS BETWEEN {last_k_back} PRECEDING AND CURRENT ROW) AS last_k
    FROM feat_b b LEFT JOIN flags f ON f.batch_id = b.batch_id LEFT JOIN bulk_tightness t ON t.batch_id = b.batch_id),
cert AS (
    SELECT fe.e, coalesce(date_diff('day', DATE '1970-01-01', c.issued_on), -1000000) AS issued,
           coalesce(date_diff('day', DATE '1970-01-01', c.expires_on), 10000000) AS expires,
           coalesce(c.status, 'valid') AS status
    FROM certificate c JOIN feat_ent fe ON fe.enterprise_id = c.enterprise_id
    WHERE c.kind = 'CCC' AND (c.issued_on IS NULL OR c.issued_on < $as_of)),
cert_eff AS (
    SELECT c.*, f.day AS failed
    FROM cert c ASOF LEFT JOIN (SELECT e, day FROM feat_b WHERE y = 1) f ON f.e = c.e AND f.day >= c.issued),
cert_ev AS (
    -- (day, +-1 to the counts of rank >= 1..4): intervals (start, end] as events on start + 1 and end + 1
    SELECT e, issued + 1 AS day, 1 AS r1, CASE WHEN issued < expires THEN 1 ELSE 0 END AS r2, 0 AS r3, 0 AS r4
    FROM cert_eff
    UNION ALL
    SELECT e, expires + 1, 0, -1, CASE WHEN held AND failed < expires THEN -1 ELSE 0 END,
           CASE WHEN status = 'revoked' AND failed < expires THEN -1 ELSE 0 END
    FROM (SELECT *, status IN ('suspended', 'revoked') AND failed IS NOT NULL AS held FROM cert_eff)
    WHERE issued < expires
    UNION ALL
    SELECT e, failed + 1, 0, 0, 1, CASE WHEN status = 'revoked' THEN 1 ELSE 0 END
    FROM cert_eff
    WHERE status IN ('suspended', 'revoked') AND failed IS NOT NULL AND failed < expires AND issued < expires),
ev AS (
    SELECT 0 AS kind, e, day, batch_id, y, channel, n_failed, crit, {item_names}, tightness, last_k,
           0 AS r1, 0 AS r2, 0 AS r3, 0 AS r4
    FROM b
    UNION ALL
    SELECT 1, e, $as_day, NULL, NULL, NULL, NULL, NULL, {item_nulls}, NULL, NULL, 0, 0, 0, 0 FROM feat_ent
    UNION ALL
    SELECT 2, fe.e, date_diff('day', DATE '1970-01-01', c.received_on), NULL, NULL, NULL, NULL, NULL, {item_nulls},
           NULL, NULL, 0, 0, 0, 0
    FROM complaint c JOIN feat_ent fe ON fe.enterprise_id = c.enterprise_id WHERE c.received_on < $as_of
    UNION ALL
    SELECT 3, fe.e, date_diff('day', DATE '1970-01-01', a.started_on), NULL, NULL, NULL, NULL, NULL, {item_nulls},
           NULL, NULL, 0, 0, 0, 0
    FROM assistance a JOIN feat_ent fe ON fe.enterprise_id = a.enterprise_id WHERE a.started_on < $as_of
    UNION ALL
    SELECT 4, e, day, NULL, NULL, NULL, NULL, NULL, {item_nulls}, NULL, NULL, r1, r2, r3, r4 FROM cert_ev),
w AS (
    SELECT kind, e, day, batch_id, y, channel,
           count_if(kind = 0) OVER before               AS prior_n,
           coalesce(sum(y) OVER before, 0)              AS prior_fail,
           count_if(kind = 0 AND crit) OVER before      AS crit,
           {item_counts},
           arg_max(last_k, CASE WHEN kind = 0 THEN day * 4294967296 + batch_id END) OVER before AS last_k,
           max(CASE WHEN kind = 0 THEN day END) OVER before AS prev_day,
           max(CASE WHEN kind = 0 AND y = 1 THEN day END) OVER before AS fail_day,
           count_if(kind = 3) OVER before               AS assisted,
           count_if(kind = 2) OVER year                 AS complaints_12m,
           count_if(kind = 2) OVER before               AS complaints_all,
           count_if(kind = 0) OVER year                 AS batches_12m,
           -- recency weights 2^(-(day - event day) / half-life) = exp(lam (event day - as_day)) exp(lam (as_day - day))
           sum(CASE WHEN kind = 0 THEN y * exp($lam * (day - $as_day)) END) OVER before            AS wk,
           sum(CASE WHEN kind = 0 THEN exp($lam * (day - $as_day)) END) OVER before                AS wn,
           sum(CASE WHEN kind = 0 THEN coalesce(tightness, 0) * exp($lam * (day - $as_day)) END) OVER before AS ts,
           sum(CASE WHEN kind = 0 AND tightness IS NOT NULL THEN exp($lam * (day - $as_day)) END) OVER before AS tn,
           sum(CASE WHEN kind = 0 THEN n_failed * exp($lam * (day - $as_day)) END) OVER before     AS fi_dec,
           sum(CASE WHEN kind = 2 THEN exp($lam * (day - $as_day)) END) OVER before                AS c_dec,
           exp($lam * ($as_day - day))                                                             AS scale,
           sum(r1) OVER upto AS r1, sum(r2) OVER upto AS r2, sum(r3) OVER upto AS r3, sum(r4) OVER upto AS r4
    FROM ev
    WINDOW before AS (PARTITION BY e ORDER BY day RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           year AS (PARTITION BY e ORDER BY day RANGE BETWEEN 365 PRECEDING AND 1 PRECEDING),
           upto AS (PARTITION BY e ORDER BY day RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
-- (an aggregate over an empty frame is NULL: no earlier event counts 0)
SELECT kind, e, day, y, channel, coalesce(prior_n, 0) AS prior_n, prior_fail, coalesce(crit, 0) AS crit,
       {item_zeros}, coalesce(last_k, 0) AS last_k, prev_day, fail_day, coalesce(assisted, 0) AS assisted,
       coalesce(complaints_12m, 0) AS complaints_12m, coalesce(complaints_all, 0) AS complaints_all,
       coalesce(batches_12m, 0) AS batches_12m,
       coalesce(wk, 0) * scale AS wk, coalesce(wn, 0) * scale AS wn, coalesce(ts, 0) * scale AS ts,
       coalesce(tn, 0) * scale AS tn, coalesce(fi_dec, 0) * scale AS fi_dec, coalesce(c_dec, 0) * scale AS c_dec,
       -- CCC status: the worst rank held, as a code into features.CCC_LEVELS
       CASE WHEN r4 > 0 THEN 4 WHEN r3 > 0 THEN 3 WHEN r2 > 0 THEN 1 WHEN r1 > 0 THEN 2 ELSE 0 END AS ccc
FROM w
WHERE kind <= 1
ORDER BY kind, e, day, batch_id
"""

#: per enterprise, the items that failed in its last ``LAST_K`` batches, most frequent first (for the reasons)
LAST_K_ITEMS_SQL = f"""
WITH last AS (
    SELECT e, batch_id FROM feat_b
    QUALIFY row_number() OVER (PARTITION BY e ORDER BY day DESC, batch_id DESC) <= {F.LAST_K})
SELECT l.e, f.test_item, count(*) AS n
FROM last l JOIN feat_fi f ON f.batch_id = l.batch_id
GROUP BY l.e, f.test_item
ORDER BY l.e, n DESC, f.test_item
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def rows_sql(top: list[str]) -> str:
    """:data:`ROWS_SQL` for the chosen top items (their names are data, quoted as literals)."""
    names = [f"item_{i}" for i in range(len(top))]
    return ROWS_SQL.format(
        item_flags=", ".join([f"count_if(test_item = {_quote(t)}) > 0 AS {n}" for t, n in zip(top, names)]
                             or ["0 AS _none"]),
        item_cols=", ".join([f"coalesce(f.{n}, false) AS {n}" for n in names] or ["NULL AS _none"]),
        item_names=", ".join(names or ["_none"]),
        item_zeros=", ".join([f"coalesce({n}, 0) AS {n}" for n in names] or ["_none"]),
        item_nulls=", ".join(["NULL"] * max(len(names), 1)),
        item_counts=", ".join([f"count_if(kind = 0 AND {n}) OVER before AS {n}" for n in names]
                              or ["NULL AS _none"]),
        last_k_back=F.LAST_K - 1)


def fetch(con: duckdb.DuckDBPyConnection, as_of: dt.date, reasons: bool = False) -> dict:
    """Everything :func:`assemble` needs, computed in DuckDB (needs ``bulk_batch`` and
    ``bulk_tightness``): the enterprises, one row per training batch and scoring row with its
    counts and sums, the top items, and (with ``reasons``) the items of each enterprise's last
    batches. Only fetched frames leave this function, so :func:`assemble` may run in another thread."""
    params = {"as_of": as_of}
    con.execute(ENTERPRISES_SQL, params)
    con.execute(BATCHES_SQL, params)
    con.execute(FAILED_SQL, params)
    top = [r[0] for r in con.execute(TOP_ITEMS_SQL).fetchall()]
    lam = math.log(2.0) / F.HALF_LIFE_DAYS
    rows = pl.from_arrow(con.sql(rows_sql(top), params={"as_of": as_of, "as_day": F.day_of(as_of), "lam": lam})
                         .to_arrow_table())
    ent = pl.from_arrow(con.sql("SELECT enterprise_id, uscc, name, cluster, size, city_code, district, founded "
                                "FROM feat_ent ORDER BY e").to_arrow_table())
    last_items = None
    if reasons:
        last_items = [[] for _ in range(ent.height)]
        for e, item, _n in con.execute(LAST_K_ITEMS_SQL).fetchall():
            last_items[int(e)].append(item)
    for t in ("feat_ent", "feat_b", "feat_fi"):
        con.execute(f"DROP TABLE {t}")
    return {"enterprises": ent, "rows": rows, "top": top, "last_items": last_items}


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy()


def assemble(fetched: dict, as_of: dt.date) -> F.Rows:
    """The :class:`features.Rows` of ``build_rows`` from the fetched counts (same formulas)."""
    ent, r, top = fetched["enterprises"], fetched["rows"], fetched["top"]
    entity = r["e"].to_numpy().astype(np.int64)
    day = r["day"].to_numpy().astype(np.int64)
    outcome = _col(r, "y")
    prior_n = _col(r, "prior_n")
    prior_fail = _col(r, "prior_fail")
    since_fail = day - _col(r, "fail_day")
    since_prev = day - _col(r, "prev_day")
    history = History(prior_n, prior_n, prior_fail, _col(r, "last_k"), since_fail, since_prev, last_k=F.LAST_K)
    item_failures = [_col(r, f"item_{i}") for i in range(len(top))]
    crit = _col(r, "crit")
    assisted = _col(r, "assisted")
    decayed = tuple(_col(r, c) for c in ("wk", "wn", "ts", "tn", "fi_dec", "c_dec"))
    return F.assemble_rows(ent, entity, day, outcome, history, item_failures, crit, assisted,
                           r["ccc"].to_numpy().astype(np.int64), decayed, (_col(r, "complaints_12m"), _col(r, "complaints_all")),
                           _col(r, "batches_12m"), r["channel"].head(entity.size - ent.height), top,
                           fetched["last_items"])
