"""Every early warning over a whole warehouse (the bulk path's step 3, ``risk.bulk.warnings_scan``).

A fresh full scan with the engine's parameters (:data:`lingqu.alert.service.DEFAULT`). For each
series (enterprise, city, test item) the alert that a scan raises is the series' *first* signal;
before it the charts have never restarted, so

- the tabular CUSUM ``S_t = max(0, S_{t-1} + W_t)`` equals ``C_t - min(0, min_{s<=t} C_s)``
  with ``C`` the running sum of the weights: two running window aggregates;
- the EWMA ``z_t = lam e_t + (1 - lam) z_{t-1}`` is a weighted sum of the residuals; it is
  computed in blocks of :data:`EWMA_BLOCK` observations (a running sum inside the block plus
  the previous block's end value), which drops terms older than a block and a half, i.e.
  weights below ``0.8^256 ~ 1e-25``: far below floating-point rounding;
- the Poisson complaint surge test ``P(X >= n | mu) < alpha`` is ``mu < gammaincinv(n, alpha)``
  (the upper tail grows with ``mu``), so it becomes a join on a small table of critical means.

Plain SQL with GROUP BY, joins and window functions (``docs/methods/risk-bulk.md`` §3). Needs the
``bulk_batch`` table of :func:`lingqu.risk.bulk.batches` and the warehouse's views.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy.special import gammaincinv

from lingqu.alert.service import _P_GRID, DEFAULT, ScanSettings, last_complete_month
from lingqu.stats.control import cusum_threshold, ewma_limit

#: EWMA block length: weights of terms dropped are below (1 - lam)^EWMA_BLOCK
EWMA_BLOCK = 256
#: monitored scopes, by their integer code in the warning queries
SCOPES = ("enterprise", "city", "test_item")


#: Series and references get integer keys (sorting and partitioning on integers is several times
#: cheaper than on text): scope 0 enterprise (key: enterprise id), 1 city, 2 test item, 3 cluster.
#: ``bulk_daily``: results and failures per reference and day.
DAILY_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_daily AS
SELECT 3 AS ref_scope, cluster AS ref, date_diff('day', DATE '1970-01-01', sampled_on) AS day,
       count(*) AS n, count_if(failed_count > 0) AS f
FROM bulk_batch WHERE sampled_on <= $as_of GROUP BY ALL
UNION ALL
SELECT 2, test_item, date_diff('day', DATE '1970-01-01', sampled_on),
       count(*), count_if(passed IS NOT TRUE)
FROM item WHERE sampled_on <= $as_of GROUP BY ALL
"""

KEYS_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_keys AS
SELECT ref_scope AS scope, row_number() OVER (PARTITION BY ref_scope ORDER BY ref) AS sid, ref AS name
FROM (SELECT DISTINCT ref_scope, ref FROM bulk_daily)
UNION ALL
SELECT 1, row_number() OVER (ORDER BY city_code), city_code FROM (SELECT DISTINCT city_code FROM bulk_batch)
"""

#: Reference rates: per reference (cluster for batches, test item for item results) and day, the
#: results and failures over the trailing ``window`` days before the day (never the day itself).
REFERENCE_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_ref AS
SELECT k.scope AS ref_scope, k.sid AS ref_id, d.day,
       sum(d.n) OVER w AS n_ref, sum(d.f) OVER w AS f_ref
FROM bulk_daily d JOIN bulk_keys k ON k.scope = d.ref_scope AND k.name = d.ref
WINDOW w AS (PARTITION BY k.scope, k.sid ORDER BY d.day RANGE BETWEEN {window} PRECEDING AND 1 PRECEDING)
"""

#: Judged batches with the integer keys of their city and cluster.
BATCH_KEYS_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_b AS
SELECT b.batch_id, b.enterprise_id, kc.sid AS city_sid, kk.sid AS cluster_sid, b.sampled_on,
       date_diff('day', DATE '1970-01-01', b.sampled_on) AS day,
       CASE WHEN b.failed_count > 0 THEN 1 ELSE 0 END AS y
FROM bulk_batch b
JOIN bulk_keys kc ON kc.scope = 1 AND kc.name = b.city_code
JOIN bulk_keys kk ON kk.scope = 3 AND kk.name = b.cluster
WHERE b.sampled_on <= $as_of
"""

#: Expected failure probability of each monitored observation: the series' own earlier failures
#: shrunk toward the reference rate with a prior worth ``prior`` observations (no prior: the
#: reference rate), clipped to [0.005, 0.995]; unmonitored observations still count as history.
#: Then the first monitored probability of each series, snapped to the design grid (log scale).
#: The observations of each series (enterprise, city: batches; test item: item results) come
#: with the reference rate of their day, NULL below ``min_reference`` results (not monitored).
#: Only observations before ``$cutoff`` of series still without both first signals are read;
#: enterprise series (short, and most never signal) only in the ``$final`` round. The item rows are
#: joined to the *pending* item keys only, so once every item series has both first signals (at
#: 10^8 rows, within weeks) the join's build side is empty and the item rows are not read again.
MONITORED_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_mon AS
WITH b AS (SELECT * FROM bulk_b WHERE sampled_on < $cutoff),
i AS (
    SELECT it.batch_id, k.sid AS item_sid, date_diff('day', DATE '1970-01-01', it.sampled_on) AS day,
           CASE WHEN it.passed THEN 0 ELSE 1 END AS y
    FROM item it
    JOIN (SELECT sid, name FROM bulk_keys
          WHERE scope = 2 AND sid NOT IN (SELECT series FROM bulk_finished WHERE scope = 2)) k ON k.name = it.test_item
    WHERE it.sampled_on <= $as_of AND it.sampled_on < $cutoff),
obs AS (
    SELECT 0 AS scope, enterprise_id AS series, 3 AS ref_scope, cluster_sid AS ref_id, day, batch_id AS seq, y
    FROM b WHERE $final
    UNION ALL
    SELECT 1, city_sid, 3, cluster_sid, day, batch_id, y FROM b
    UNION ALL
    SELECT 2, item_sid, 2, item_sid, day, batch_id, y FROM i),
pending AS (
    SELECT o.scope, o.series, o.day, o.seq, o.y,
           CASE WHEN r.n_ref >= {min_reference} THEN r.f_ref / r.n_ref END AS c
    FROM obs o LEFT JOIN bulk_ref r ON r.ref_scope = o.ref_scope AND r.ref_id = o.ref_id AND r.day = o.day
    WHERE NOT EXISTS (SELECT 1 FROM bulk_finished d WHERE d.scope = o.scope AND d.series = o.series)),
hist AS (
    SELECT o.scope, o.series, o.day, o.seq, o.y, o.c, s.prior,
           sum(o.y) OVER w - o.y      AS f_prev,
           row_number() OVER w - 1    AS n_prev
    FROM pending o JOIN bulk_scope s ON s.scope = o.scope
    WINDOW w AS (PARTITION BY o.scope, o.series ORDER BY o.day, o.seq ROWS UNBOUNDED PRECEDING)),
mon AS (
    SELECT scope, series, day, seq, y,
           least(greatest(CASE WHEN prior IS NULL THEN c ELSE (prior * c + f_prev) / (prior + n_prev) END,
                          0.005), 0.995) AS p
    FROM hist WHERE c IS NOT NULL),
ranked AS (
    SELECT *, row_number() OVER w - 1 AS k, first_value(p) OVER w AS p_first
    FROM mon
    WINDOW w AS (PARTITION BY scope, series ORDER BY day, seq ROWS UNBOUNDED PRECEDING))
SELECT scope, series, day, seq, y, p, k, {grid} AS p0
FROM ranked
"""

#: CUSUM (before the first signal): S_t = C_t - min(0, min_{s<=t} C_s), C the running sum of the
#: weights y log R - log(1 - p + R p). EWMA: block running sums (see the module docstring).
#: The first signal of each series and chart is what a scan raises as an alert.
#: The block sums use frames of the series' own window whose bounds depend on the row's place j in
#: its block (the rows of its block so far; the whole previous block, for that block's end value),
#: so the running sums and both block sums share one sort of the rows, and no join is needed; the
#: running minimum of C is a second sort. Both charts' first signals come from one GROUP BY.
CHARTS_SQL = """
WITH w AS (
    SELECT m.*, t.h, t.ucl,
           m.y * ln({odds_ratio}) - ln(1 + ({odds_ratio} - 1) * m.p) AS weight,
           (m.y - m.p) / sqrt(m.p * (1 - m.p))                     AS resid,
           m.k % {block} AS j
    FROM bulk_mon m JOIN bulk_limits t ON t.scope = m.scope AND t.p0 = m.p0),
c AS (
    SELECT *, sum(weight) OVER s AS cum,
           sum(resid * pow({a}, -j)) OVER (s ROWS BETWEEN j PRECEDING AND CURRENT ROW) AS blk_sum,
           {lam} * sum(resid * pow({a}, {block} - 1 - j))
               OVER (s ROWS BETWEEN j + {block} PRECEDING AND j + 1 PRECEDING) AS z_end
    FROM w
    WINDOW s AS (PARTITION BY scope, series ORDER BY k)),
path AS (
    SELECT scope, series, day, seq, k, h, ucl, p,
           cum - least(0, min(cum) OVER (PARTITION BY scope, series ORDER BY k ROWS UNBOUNDED PRECEDING)) AS cusum,
           {lam} * pow({a}, j) * blk_sum + pow({a}, j + 1) * coalesce(z_end, 0) AS ewma
    FROM c),
firsts AS (
    SELECT scope, series, any_value(h) AS h, any_value(ucl) AS ucl,
           min_by(day, k) FILTER (WHERE cusum >= h) AS c_day, min_by(cusum, k) FILTER (WHERE cusum >= h) AS c_stat,
           min_by(seq, k) FILTER (WHERE cusum >= h) AS c_seq, min_by(p, k) FILTER (WHERE cusum >= h) AS c_p,
           min_by(day, k) FILTER (WHERE ewma >= ucl) AS e_day, min_by(ewma, k) FILTER (WHERE ewma >= ucl) AS e_stat,
           min_by(seq, k) FILTER (WHERE ewma >= ucl) AS e_seq, min_by(p, k) FILTER (WHERE ewma >= ucl) AS e_p
    FROM path WHERE cusum >= h OR ewma >= ucl GROUP BY scope, series)
SELECT 'cusum' AS kind, scope, series, c_day AS day, c_stat AS statistic, h AS threshold, c_seq AS batch_id,
       c_p AS expected
FROM firsts WHERE c_day IS NOT NULL
UNION ALL
SELECT 'ewma', scope, series, e_day, e_stat, ucl, e_seq, e_p FROM firsts WHERE e_day IS NOT NULL
"""

#: Complaints per enterprise and calendar month against the enterprise's earlier months shrunk
#: toward the peers' monthly rate over the 12 months before (gamma-Poisson); a surge when the
#: count is at least ``min_count`` and its upper-tail probability is below alpha, i.e. the
#: expected count is below the critical mean for that count.
SURGE_SQL = """
WITH c AS (
    SELECT enterprise_id, year(received_on) * 12 + month(received_on) - 1 AS m
    FROM complaint WHERE received_on <= $as_of),
monthly AS (SELECT enterprise_id, m, count(*) AS n FROM c GROUP BY enterprise_id, m),
peer AS (SELECT m, count(*) AS n FROM c GROUP BY m),
peer_trailing AS (
    SELECT m, sum(n) OVER (ORDER BY m RANGE BETWEEN 12 PRECEDING AND 1 PRECEDING) AS n_peer,
           min(m) OVER () AS start
    FROM peer),
tested AS (
    SELECT e.enterprise_id, e.m, e.n,
           sum(e.n) OVER (PARTITION BY e.enterprise_id ORDER BY e.m ROWS UNBOUNDED PRECEDING) - e.n AS before,
           p.start, coalesce(p.n_peer, 0) AS n_peer, e.m - greatest(p.start, e.m - 12) AS peer_months
    FROM monthly e JOIN peer_trailing p ON p.m = e.m),
scored AS (
    SELECT *, greatest(n_peer / ($enterprises * peer_months), 1e-4) AS peer_rate
    FROM tested WHERE peer_months > 0 AND m <= $last_complete AND n >= {min_count}),
expected AS (
    SELECT *, (peer_rate * {prior_months} + before) / ({prior_months} + (m - start)) AS mu FROM scored)
SELECT 'complaint_surge' AS kind, 'enterprise' AS scope, CAST(x.enterprise_id AS VARCHAR) AS scope_key,
       min(x.m) AS month, min_by(x.n, x.m) AS statistic, min_by(x.mu, x.m) AS expected
FROM expected x JOIN bulk_poisson q ON q.n = x.n
WHERE x.mu < q.mu_crit
GROUP BY x.enterprise_id
"""

#: Prefix rounds (days after the first observation) for the city and test-item series: a series
#: whose first signals both fall in a prefix has the same path there as on its whole history, so
#: it is finished; the rest are read again with a longer prefix, and at last whole, with the
#: enterprise series. Most item results are never sorted. The prefixes grow about fourfold: the
#: busier the world, the sooner its series signal (at 10^8 rows every item and city series has
#: both first signals within a week, and a 30-day first round sorted six times the rows needed:
#: 5.8 s against 1.4 s), while a round with nothing left to read costs a few hundredths of a second.
ROUNDS_DAYS = (7, 30, 120, 400)


def _grid_case(column: str) -> str:
    """SQL picking the design-grid value nearest to ``column`` on the log scale (as the engine does)."""
    grid = [float(g) for g in _P_GRID]
    logs = [math.log(g) for g in grid]
    parts = [f"WHEN ln({column}) <= {(logs[i] + logs[i + 1]) / 2!r} THEN {grid[i]!r}" for i in range(len(grid) - 1)]
    return f"CASE {' '.join(parts)} ELSE {grid[-1]!r} END"


def _pl(result) -> pl.DataFrame:
    return pl.from_arrow(result.to_arrow_table())


def _table(con, name: str, frame: pl.DataFrame) -> None:
    con.register(f"_{name}_df", frame.to_arrow())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
    con.unregister(f"_{name}_df")


def design_limits(settings: ScanSettings, pairs, cache: str | Path | None = None) -> list[tuple]:
    """(scope, p0, CUSUM h, EWMA upper limit) for each (scope, design probability): Markov-chain
    bisections of ``stats.control`` (seconds each), so kept in a JSON ``cache`` keyed by the
    settings when one is given. They depend on the settings and the design grid only."""
    lam = settings.ewma_lambda
    key = json.dumps(settings.to_dict(), sort_keys=True)
    path = Path(cache) if cache else None
    whole = json.loads(path.read_text()) if path and path.is_file() else {}
    store = dict(whole.get(key, {}))
    out, changed = [], False
    for scope, p0 in pairs:
        k = f"{scope}|{float(p0)!r}"
        if k not in store:
            store[k] = [cusum_threshold(settings.arl(scope), float(p0), settings.odds_ratio),
                        ewma_limit(settings.arl(scope), lam, float(p0)) * math.sqrt(lam / (2 - lam))]
            changed = True
        out.append((scope, float(p0), *store[k]))
    if path and changed:
        whole[key] = store
        path.write_text(json.dumps(whole))
    return out


@dataclass
class BulkWarnings:
    as_of: dt.date
    alerts: pl.DataFrame          # kind, scope, scope_key, raised_at, statistic, threshold
    timings: dict = field(default_factory=dict)
    rounds: list = field(default_factory=list)


def latest_observation(con: duckdb.DuckDBPyConnection) -> dt.date:
    return con.execute("SELECT greatest((SELECT max(sampled_on) FROM bulk_batch),"
                       " (SELECT max(received_on) FROM complaint))").fetchall()[0][0]


def warnings_scan(con: duckdb.DuckDBPyConnection, as_of: dt.date | None = None,
                  settings: ScanSettings = DEFAULT, limits_cache: str | Path | None = None,
                  rounds_days: tuple[int, ...] = ROUNDS_DAYS, step: Callable[[], None] | None = None) -> BulkWarnings:
    """The alerts a fresh ``lingqu alerts scan`` up to ``as_of`` raises (needs :func:`batches` first):
    one per series and chart at its first signal, and one per enterprise at its first complaint surge.
    ``step`` (if given) is called in this thread before each of the scan's main statements (:func:`run`
    gives DuckDB back its threads there once the grading thread is done)."""
    s = settings
    step = step or (lambda: None)
    as_of = as_of or latest_observation(con)
    timings = {"reference_s": 0.0, "expected_s": 0.0, "limits_s": 0.0, "charts_s": 0.0}
    t = time.perf_counter()
    prior = dict(s.prior_batches)
    _table(con, "bulk_scope", pl.DataFrame({"scope": range(len(SCOPES)), "prior": [prior.get(k) for k in SCOPES]},
                                            schema={"scope": pl.Int32, "prior": pl.Float64}))
    con.execute(DAILY_SQL, {"as_of": as_of})
    con.execute(KEYS_SQL)
    step()
    con.execute(REFERENCE_SQL.format(window=int(s.window_days)))
    step()
    con.execute(BATCH_KEYS_SQL, {"as_of": as_of})
    con.execute("CREATE OR REPLACE TEMP TABLE bulk_finished (scope INTEGER, series BIGINT)")
    con.execute("CREATE OR REPLACE TEMP TABLE bulk_signal (kind VARCHAR, scope INTEGER, series BIGINT, day BIGINT, "
                "statistic DOUBLE, threshold DOUBLE, batch_id BIGINT, expected DOUBLE)")
    first_day = con.execute("SELECT min(day) FROM bulk_ref").fetchall()[0][0] or 0
    epoch = dt.date(1970, 1, 1)
    timings["reference_s"] += time.perf_counter() - t
    rounds = []
    cutoffs = [epoch + dt.timedelta(days=first_day + d) for d in rounds_days] + [dt.date(9999, 12, 31)]
    for cutoff in cutoffs:
        t = t_round = time.perf_counter()
        step()
        con.execute(MONITORED_SQL.format(grid=_grid_case("p_first"), min_reference=int(s.min_reference)),
                    {"cutoff": cutoff, "as_of": as_of, "final": cutoff.year == 9999})
        expected_s = time.perf_counter() - t
        timings["expected_s"] += expected_s
        t = time.perf_counter()
        pairs = con.execute("SELECT DISTINCT scope, p0 FROM bulk_mon ORDER BY scope, p0").fetchall()
        limits = [(code, *lim[1:]) for (code, _), lim in
                  zip(pairs, design_limits(s, [(SCOPES[c], p0) for c, p0 in pairs], limits_cache))]
        _table(con, "bulk_limits", pl.DataFrame(limits, orient="row", schema={
            "scope": pl.Int32, "p0": pl.Float64, "h": pl.Float64, "ucl": pl.Float64}))
        timings["limits_s"] += time.perf_counter() - t
        t = time.perf_counter()
        rows = con.execute("SELECT count(*) FROM bulk_mon").fetchall()[0][0]
        step()
        con.execute("INSERT INTO bulk_signal SELECT * FROM ("
                    + CHARTS_SQL.format(odds_ratio=repr(float(s.odds_ratio)), block=EWMA_BLOCK,
                                        a=repr(1.0 - s.ewma_lambda), lam=repr(float(s.ewma_lambda)))
                    + ") new WHERE NOT EXISTS (SELECT 1 FROM bulk_signal o WHERE o.kind = new.kind "
                      "AND o.scope = new.scope AND o.series = new.series)")
        con.execute("INSERT INTO bulk_finished SELECT scope, series FROM bulk_signal GROUP BY scope, series "
                    "HAVING count(*) = 2 EXCEPT SELECT scope, series FROM bulk_finished")
        timings["charts_s"] += time.perf_counter() - t
        rounds.append({"before": cutoff.isoformat() if cutoff.year < 9999 else None, "monitored_rows": int(rows),
                       "expected_s": round(expected_s, 2), "seconds": round(time.perf_counter() - t_round, 2)})
    t = time.perf_counter()
    step()
    enterprises = con.execute("SELECT count(*) FROM enterprise").fetchall()[0][0]
    max_n = con.execute("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM complaint "
                        "GROUP BY enterprise_id, year(received_on), month(received_on))").fetchall()[0][0]
    ns = np.arange(max(int(s.surge_min_count), 1), max(int(max_n), 1) + 1)
    _table(con, "bulk_poisson", pl.DataFrame({"n": ns, "mu_crit": gammaincinv(ns, s.surge_alpha)}))
    surges = _pl(con.sql(SURGE_SQL.format(min_count=int(s.surge_min_count),
                                          prior_months=repr(float(s.surge_prior_months))),
                         params={"as_of": as_of, "enterprises": float(enterprises),
                                 "last_complete": last_complete_month(as_of)}))
    timings["surge_s"] = time.perf_counter() - t
    rates = _pl(con.sql("""
        SELECT s.kind, CASE s.scope WHEN 0 THEN 'enterprise' WHEN 1 THEN 'city' ELSE 'test_item' END AS scope,
               coalesce(k.name, CAST(s.series AS VARCHAR)) AS scope_key, s.day, s.statistic, s.threshold
        FROM bulk_signal s LEFT JOIN bulk_keys k ON s.scope > 0 AND k.scope = s.scope AND k.sid = s.series"""))
    rates = rates.select("kind", "scope", "scope_key",
                         pl.col("day").cast(pl.Int32).cast(pl.Date).alias("raised_at"), "statistic", "threshold")
    surges = surges.select(
        "kind", "scope", "scope_key",
        pl.date(pl.col("month") // 12, pl.col("month") % 12 + 1, 1).alias("raised_at"),
        pl.col("statistic").cast(pl.Float64), pl.lit(None, dtype=pl.Float64).alias("threshold"))
    alerts = pl.concat([rates, surges]).sort("kind", "scope", "scope_key")
    return BulkWarnings(as_of, alerts, timings, rounds)
