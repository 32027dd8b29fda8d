"""Risk grading and every early warning over a whole warehouse of test-item results (DuckDB SQL).

Why this exists: the engine (``risk.service``, ``alert.service``) reads the application database
and walks each monitored series in a Python loop. That is right for a city and an incremental
scan, but a province or a country holds 10^8 test-item results; there the work must be a handful
of set operations that a columnar engine (DuckDB here, Spark for a whole country) runs in one
pass each. Everything below is plain SQL with GROUP BY, joins and window functions only (no
recursion, no user-defined functions), kept as readable text, so the same statements run on
Spark SQL with only dialect spellings changed (``date_diff`` -> ``datediff``).

The computation, its equivalence with the engine and its limits: ``docs/methods/risk-bulk.md``.

1. **Warehouse** (:func:`build_warehouse`, the load step, timed separately): the import files
   become Parquet tables shaped like the database tables (integer keys, normalised codes).
   Batches get integer ids in order of first appearance, as the importer assigns them.
2. **Grading** (:func:`grade`): per-batch outcome (a batch fails when any item fails) and the
   failed items are aggregated from the item rows in SQL; the engine's own feature builder
   (:func:`lingqu.risk.features.build_rows`), :class:`~lingqu.stats.grading.RiskModel` and
   :class:`~lingqu.stats.grading.GradingPolicy` then run on those batch-level frames.
3. **Warnings** (:func:`warnings_scan`): a fresh full scan with the engine's parameters
   (:data:`lingqu.alert.service.DEFAULT`). For each series (enterprise, city, test item) the
   alert that a scan raises is the series' *first* signal; before it the charts have never
   restarted, so

   - the tabular CUSUM ``S_t = max(0, S_{t-1} + W_t)`` equals ``C_t - min(0, min_{s<=t} C_s)``
     with ``C`` the running sum of the weights: two running window aggregates;
   - the EWMA ``z_t = lam e_t + (1 - lam) z_{t-1}`` is a weighted sum of the residuals; it is
     computed in blocks of :data:`EWMA_BLOCK` observations (a running sum inside the block plus
     the previous block's end value), which drops terms older than a block and a half, i.e.
     weights below ``0.8^256 ~ 1e-25``: far below floating-point rounding;
   - the Poisson complaint surge test ``P(X >= n | mu) < alpha`` is ``mu < gammaincinv(n, alpha)``
     (the upper tail grows with ``mu``), so it becomes a join on a small table of critical means.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from scipy.special import gammaincinv

from lingqu.alert.service import _P_GRID, DEFAULT, ScanSettings, last_complete_month
from lingqu.kit import normalize
from lingqu.kit.heap import reuse_freed_memory
from lingqu.risk.features import parse_limit
from lingqu.risk import bulk_features
from lingqu.risk.service import GradingFrames, reasons_of, score_frames, score_rows
from lingqu.stats.control import cusum_threshold, ewma_limit
from lingqu.stats.grading import DEFAULT_POLICY, GradingPolicy

#: EWMA block length: weights of terms dropped are below (1 - lam)^EWMA_BLOCK
EWMA_BLOCK = 256
TABLES = ("enterprise", "item", "complaint", "certificate", "assistance")
#: monitored scopes, by their integer code in the warning queries
SCOPES = ("enterprise", "city", "test_item")


def connect(memory_limit: str = "6GB", threads: int | None = None, temp_directory: str | None = None,
            database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a memory cap (it spills to ``temp_directory`` beyond it)."""
    con = duckdb.connect(database)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory:
        con.execute(f"SET temp_directory = '{temp_directory}'")
    return con


# --- 1. warehouse ----------------------------------------------------------------------------------

def _mapping(con, name: str, values: list[str | None], fn) -> None:
    """A small table ``name(raw, code)`` mapping each distinct raw spelling to its canonical code."""
    rows = []
    for v in values:
        try:
            rows.append((v, fn(v)))
        except Exception:  # noqa: BLE001 - an unknown spelling keeps its raw text (the import would reject it)
            rows.append((v, v))
    frame = pl.DataFrame(rows, schema={"raw": pl.String, "code": pl.String}, orient="row")
    con.register(f"_{name}_df", frame.to_arrow())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _{name}_df")
    con.unregister(f"_{name}_df")


def _csv(path: Path) -> str:
    return f"read_csv('{path}', header = true, all_varchar = true)"


def build_warehouse(world: str | Path, out: str | Path, con: duckdb.DuckDBPyConnection | None = None) -> dict:
    """Turn a world's import files (``sampling.csv``, ``enterprises.csv``, ...) into Parquet tables.

    The files are expected to hold records the import would accept (``lingqu import`` validates
    every field; this is the warehouse load, not a second validator): low-cardinality fields are
    normalised with the importer's own functions, dates are cast, keys become integers.
    ``truth/`` is never read. Returns the row counts.
    """
    world, out = Path(world), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    own = con is None
    stage_db = out / "stage.duckdb"
    con = con or connect(temp_directory=str(out / "tmp"), database=str(stage_db))
    try:
        # the sampling rows in file order (a table on disk; rowid numbers them in insertion order)
        con.execute(f"""
            CREATE OR REPLACE TABLE stage AS
            SELECT batch_id AS batch_no, uscc, cluster, sampled_on, city, channel, test_item, verdict, severity,
                   measured_value, "limit" AS limit_text
            FROM {_csv(world / 'sampling.csv')}""")
        for name, col, fn in (
                ("map_city", "city", normalize.city_code),
                ("map_cluster", "cluster", lambda v: normalize.parse_choice(v, "cluster", normalize.CLUSTERS)),
                ("map_channel", "channel", lambda v: normalize.parse_choice(v, "channel", normalize.CHANNELS)),
                ("map_severity", "severity", lambda v: normalize.parse_choice(v, "severity", normalize.SEVERITIES)),
                ("map_verdict", "verdict", lambda v: "1" if normalize.parse_verdict(v) else "0"),
                ("map_item", "test_item", normalize.clean_text),
                ("map_limit", "limit_text", normalize.clean_text)):
            values = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM stage").fetchall()]
            _mapping(con, name, [v for v in values if v is not None], fn)
        ent_csv = _csv(world / "enterprises.csv")
        for name, col, fn in (("map_ent_city", "city", normalize.city_code),
                              ("map_size", "size", lambda v: normalize.parse_choice(v, "size", normalize.SIZES)),
                              ("map_ent_cluster", "cluster",
                               lambda v: normalize.parse_choice(v, "cluster", normalize.CLUSTERS))):
            values = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {ent_csv}").fetchall()]
            _mapping(con, name, [v for v in values if v is not None], fn)
        # enterprise ids: the registry's order, then enterprises known only from sampling rows
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ent AS
            WITH reg AS (
                SELECT e.uscc, e.name, COALESCE(mc.code, 'other') AS cluster, COALESCE(ms.code, '') AS size,
                       COALESCE(mcity.code, e.city) AS city_code, COALESCE(e.district, '') AS district,
                       TRY_CAST(e.founded AS DATE) AS founded
                FROM {ent_csv} e
                LEFT JOIN map_ent_cluster mc ON mc.raw = e.cluster
                LEFT JOIN map_size ms ON ms.raw = e.size
                LEFT JOIN map_ent_city mcity ON mcity.raw = e.city),
            extra AS (
                SELECT s.uscc, '' AS name, COALESCE(any_value(mc.code), 'power_bank') AS cluster, '' AS size,
                       any_value(COALESCE(mcity.code, s.city)) AS city_code, '' AS district,
                       CAST(NULL AS DATE) AS founded
                FROM stage s LEFT JOIN map_cluster mc ON mc.raw = s.cluster LEFT JOIN map_city mcity ON mcity.raw = s.city
                WHERE s.uscc NOT IN (SELECT uscc FROM reg) GROUP BY s.uscc)
            SELECT row_number() OVER (ORDER BY src, uscc) AS enterprise_id, * EXCLUDE (src)
            FROM (SELECT 0 AS src, * FROM reg UNION ALL SELECT 1, * FROM extra)""")
        con.execute(f"COPY ent TO '{out / 'enterprise.parquet'}' (FORMAT parquet)")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE batch_key AS
            SELECT batch_no, row_number() OVER (ORDER BY first_row) AS batch_id
            FROM (SELECT batch_no, min(rowid) AS first_row FROM stage GROUP BY batch_no)""")
        con.execute(f"""
            COPY (
                SELECT k.batch_id, e.enterprise_id, CAST(s.sampled_on AS DATE) AS sampled_on,
                       COALESCE(mcity.code, s.city) AS city_code, COALESCE(mc.code, 'power_bank') AS cluster,
                       COALESCE(mch.code, '') AS channel, COALESCE(mi.code, s.test_item) AS test_item,
                       mv.code = '1' AS passed, COALESCE(msev.code, '') AS severity,
                       TRY_CAST(s.measured_value AS DOUBLE) AS measured_value, COALESCE(ml.code, '') AS limit_text
                FROM stage s
                JOIN batch_key k ON k.batch_no = s.batch_no
                JOIN ent e ON e.uscc = s.uscc
                LEFT JOIN map_city mcity ON mcity.raw = s.city
                LEFT JOIN map_cluster mc ON mc.raw = s.cluster
                LEFT JOIN map_channel mch ON mch.raw = s.channel
                LEFT JOIN map_verdict mv ON mv.raw = s.verdict
                LEFT JOIN map_severity msev ON msev.raw = s.severity
                LEFT JOIN map_item mi ON mi.raw = s.test_item
                LEFT JOIN map_limit ml ON ml.raw = s.limit_text
            ) TO '{out / 'item.parquet'}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
        con.execute("DROP TABLE stage")
        con.execute(f"""
            COPY (SELECT row_number() OVER () AS complaint_id, e.enterprise_id, CAST(c.received_on AS DATE) AS received_on
                  FROM {_csv(world / 'complaints.csv')} c JOIN ent e ON e.uscc = c.uscc
            ) TO '{out / 'complaint.parquet'}' (FORMAT parquet)""")
        con.execute(f"""
            COPY (SELECT e.enterprise_id, c.kind, TRY_CAST(c.issued_on AS DATE) AS issued_on,
                         TRY_CAST(c.expires_on AS DATE) AS expires_on, COALESCE(c.status, 'valid') AS status
                  FROM {_csv(world / 'certificates.csv')} c JOIN ent e ON e.uscc = c.uscc
            ) TO '{out / 'certificate.parquet'}' (FORMAT parquet)""")
        con.execute(f"""
            COPY (SELECT e.enterprise_id, CAST(a.started_on AS DATE) AS started_on, a.kind
                  FROM {_csv(world / 'assistance.csv')} a JOIN ent e ON e.uscc = a.uscc
            ) TO '{out / 'assistance.parquet'}' (FORMAT parquet)""")
        return {t: con.execute(f"SELECT count(*) FROM '{out / (t + '.parquet')}'").fetchall()[0][0] for t in TABLES}
    finally:
        if own:
            con.close()
            stage_db.unlink(missing_ok=True)


def attach(con: duckdb.DuckDBPyConnection, warehouse: str | Path) -> None:
    """Views ``enterprise``, ``item``, ``complaint``, ``certificate``, ``assistance`` over the Parquet files."""
    for t in TABLES:
        con.execute(f"CREATE OR REPLACE VIEW {t} AS SELECT * FROM read_parquet('{Path(warehouse) / (t + '.parquet')}')")


# --- 2. grading ------------------------------------------------------------------------------------

#: One row per judged batch from its item rows: a batch fails when any of its items fails.
#: Failures are counted with ``count_if`` (a plain count, cheaper than summing a CASE); ``IS NOT TRUE``
#: keeps the earlier ``CASE WHEN passed THEN 0 ELSE 1 END``'s reading of a NULL verdict as a failure.
BATCH_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_batch AS
SELECT batch_id,
       any_value(enterprise_id)                   AS enterprise_id,
       any_value(sampled_on)                      AS sampled_on,
       any_value(city_code)                       AS city_code,
       any_value(cluster)                         AS cluster,
       any_value(channel)                         AS channel,
       count(*)                                   AS item_count,
       count_if(passed IS NOT TRUE)               AS failed_count
FROM item
GROUP BY batch_id
"""

#: The engine's inputs as of a date (strictly before it), as the risk repository reads them.
GRADING_INPUTS = {
    "enterprises": """
        SELECT enterprise_id, uscc, name, cluster, size, city_code, district, founded
        FROM enterprise
        WHERE cluster IN (SELECT DISTINCT cluster FROM bulk_batch WHERE sampled_on < $as_of)
        ORDER BY uscc""",
    "batches": """
        SELECT batch_id, enterprise_id, sampled_on, channel, failed_count = 0 AS passed
        FROM bulk_batch WHERE sampled_on < $as_of""",
    "failed_items": """
        SELECT batch_id, test_item, severity FROM item WHERE sampled_on < $as_of AND NOT passed""",
    # per batch, not per measured result: the margin-to-limit figure aggregated in SQL
    "measured": "SELECT * FROM bulk_tightness",
    "complaints": "SELECT enterprise_id, received_on FROM complaint WHERE received_on < $as_of",
    "certificates": """
        SELECT enterprise_id, issued_on, expires_on, status FROM certificate
        WHERE kind = 'CCC' AND (issued_on IS NULL OR issued_on < $as_of)""",
    "assistance": "SELECT enterprise_id, started_on, kind FROM assistance WHERE started_on < $as_of",
}


#: ``features.batch_tightness`` as two GROUP BYs over the passing measured results (two streaming
#: scans; nothing per row is kept). A result's margin to its limit is ``v − L`` ("≥ L", op +1),
#: ``L − v`` ("≤ L", op −1) or ``L − |v|`` ("± L", op 0), so per (test item, limit text) the mean
#: and spread of the margins follow from those of ``v`` and ``|v|`` (``TIGHTNESS_GROUPS_SQL``);
#: the limit texts are parsed by the engine's rule (``features.parse_limit``) and the groups of a
#: test item pooled into its mean and sample standard deviation in Python (a few hundred groups;
#: Chan et al.'s pairwise update). ``TIGHTNESS_SQL`` then standardises each margin by its item's
#: figures and takes minus the mean per batch. As in the Polars form, NaN and infinite values are
#: dropped (one bad value does not silence its item), and an item measured once or without spread
#: gives no figure.
TIGHTNESS_GROUPS_SQL = """
SELECT test_item, limit_text, count(*) AS n,
       avg(measured_value) AS mean_v, var_pop(measured_value) AS var_v,
       avg(abs(measured_value)) AS mean_abs, var_pop(abs(measured_value)) AS var_abs
FROM item
WHERE sampled_on < $as_of AND passed AND measured_value IS NOT NULL AND isfinite(measured_value)
GROUP BY test_item, limit_text
"""

TIGHTNESS_SQL = """
CREATE OR REPLACE TEMP TABLE bulk_tightness AS
WITH z AS (
    SELECT it.batch_id,
           (CASE l.op WHEN 1 THEN it.measured_value - l.lim
                      WHEN -1 THEN l.lim - it.measured_value
                      ELSE l.lim - abs(it.measured_value) END - l.mu) / l.sd AS z
    FROM item it
    JOIN bulk_limit l ON l.test_item IS NOT DISTINCT FROM it.test_item AND l.limit_text = it.limit_text
    WHERE it.sampled_on < $as_of AND it.passed AND it.measured_value IS NOT NULL
      AND isfinite(it.measured_value))
SELECT batch_id, -avg(z) AS tightness FROM z WHERE isfinite(z) GROUP BY batch_id
"""


def _item_margins(groups: list[tuple]) -> list[tuple]:
    """(test_item, limit_text, op, L, item mean, item sd) per parsed group of an item with a figure.

    Each group's margins have mean ``±mean(v) ∓ L`` or ``L − mean(|v|)`` and the population
    variance of ``v`` or ``|v|``; an item's groups are pooled with the parallel update
    ``M2 = Σ M2_g + n_g (mean_g − mean)²`` and ``sd = sqrt(M2 / (N − 1))``."""
    by_item: dict = {}
    for item, text, n, mean_v, var_v, mean_abs, var_abs in groups:
        p = parse_limit(text)
        if p is None:
            continue
        op, lim = p
        if op == 1:
            mean, var = mean_v - lim, var_v
        elif op == -1:
            mean, var = lim - mean_v, var_v
        else:
            mean, var = lim - mean_abs, var_abs
        by_item.setdefault(item, []).append((text, op, lim, int(n), mean, var))
    out = []
    for item, gs in by_item.items():
        n = sum(g[3] for g in gs)
        if n < 2:
            continue
        mean = math.fsum(g[3] * g[4] for g in gs) / n
        m2 = math.fsum(g[3] * g[5] + g[3] * (g[4] - mean) ** 2 for g in gs)
        sd = math.sqrt(m2 / (n - 1))
        if not sd > 0 or not math.isfinite(sd):
            continue
        out.extend((item, text, op, lim, mean, sd) for text, op, lim, _, _, _ in gs)
    return out


def tightness(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """(Re)build ``bulk_tightness`` (batch_id, tightness) from the measured item rows before ``as_of``."""
    groups = con.execute(TIGHTNESS_GROUPS_SQL, {"as_of": as_of}).fetchall()
    _table(con, "bulk_limit", pl.DataFrame(_item_margins(groups), orient="row", schema={
        "test_item": pl.String, "limit_text": pl.String, "op": pl.Int32, "lim": pl.Float64, "mu": pl.Float64,
        "sd": pl.Float64}))
    con.execute(TIGHTNESS_SQL, {"as_of": as_of})


def batches(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build ``bulk_batch`` from the item rows."""
    con.execute(BATCH_SQL)


#: Where the grading's features are computed: ``numpy``, the engine's own feature builder
#: (``features.build_rows``) on batch-level frames fetched from SQL, the faster on one machine; or
#: ``sql``, one window query per enterprise history in DuckDB (``risk.bulk_features``), the form that
#: runs on Spark, leaving Python only the model. Both give the same rows (test).
FEATURES = ("numpy", "sql")


def grading_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date, features: str = "numpy",
                   reasons: bool = False) -> dict:
    """What the grading reads, fetched from DuckDB: the engine's input frames (``numpy``), or
    the model's rows already aggregated (``sql``; ``reasons``: with the items of each enterprise's
    last batches, which only the reasons need)."""
    if features not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, not {features!r}")
    tightness(con, as_of)
    if features == "sql":
        out = {"sql": bulk_features.fetch(con, as_of, reasons)}
    else:
        out = {}
        for k, sql in GRADING_INPUTS.items():
            out[k] = _pl(con.sql(sql, params={"as_of": as_of}) if "$as_of" in sql else con.sql(sql))
    con.execute("DROP TABLE bulk_tightness")
    return out


@dataclass
class BulkGrades:
    as_of: dt.date
    policy_version: str
    grades: pl.DataFrame          # enterprise_id, uscc, probability, grade (+ reasons when asked)
    training_rows: int
    positives: int
    calibration: str
    prior: dict
    timings: dict = field(default_factory=dict)

    def distribution(self) -> dict:
        counts = dict(self.grades.group_by("grade").len().iter_rows())
        return {g: int(counts.get(g, 0)) for g in ("A", "B", "C", "D")}


def city_names() -> dict[str, str]:
    """City code -> Chinese name, from the shipped reference data (what the engine reads from the
    ``city`` table), so that reasons read "所在城市：深圳" on both paths."""
    import csv
    from importlib.resources import files

    with files("lingqu.data").joinpath("cities.csv").open(encoding="utf-8") as fh:
        return {r["code"]: r["name_zh"] for r in csv.DictReader(fh)}


def grade_frames(f: dict[str, pl.DataFrame], as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY,
                 reasons: bool = False) -> BulkGrades:
    """The engine's own scoring (``risk.service.score_frames``) on the frames aggregated in SQL, or
    its model (``score_rows``) on the rows computed in SQL (:func:`grading_inputs` with ``sql``).

    The equality with ``compute_grades`` is asserted in ``tests/risk/test_bulk.py``."""
    timings: dict = {}
    if "sql" in f:
        ent = f["sql"]["enterprises"]
        t = time.perf_counter()
        rows = bulk_features.assemble(f["sql"], as_of)
        timings["features_s"] = time.perf_counter() - t
        scored = score_rows(rows, ent.height, policy, timings)
    else:
        ent = f["enterprises"]
        frames = GradingFrames(ent, f["batches"], f["failed_items"], f["complaints"], f["certificates"],
                               f["assistance"], f.get("measured"))
        scored = score_frames(frames, as_of, policy, timings)
    t = time.perf_counter()
    out = pl.DataFrame({"enterprise_id": ent["enterprise_id"], "uscc": ent["uscc"], "probability": scored.probability,
                        "grade": scored.grades.astype(str)})
    if reasons:
        out = out.with_columns(pl.Series("reasons", reasons_of(scored, ent, city_names()), dtype=pl.Object))
    timings["score_s"] += time.perf_counter() - t
    model = scored.model
    return BulkGrades(as_of, policy.version, out, model.n_train_, model.n_positive_, model.calibration_,
                      {"alpha": round(model.prior_.alpha_, 4), "beta": round(model.prior_.beta_, 4),
                       "mean": round(model.prior_.prior_mean_, 4)}, timings)


def grade(con: duckdb.DuckDBPyConnection, as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY,
          reasons: bool = False, features: str = "numpy") -> BulkGrades:
    """Grades of every enterprise of the sampled clusters as of ``as_of`` (needs :func:`batches` first)."""
    t0 = time.perf_counter()
    f = grading_inputs(con, as_of, features, reasons)
    t1 = time.perf_counter()
    run = grade_frames(f, as_of, policy, reasons)
    run.timings = {"inputs_s": t1 - t0, **run.timings}
    return run


# --- 3. warnings -----------------------------------------------------------------------------------

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


# --- together --------------------------------------------------------------------------------------

@dataclass
class BulkRun:
    grades: BulkGrades
    warnings: BulkWarnings
    item_rows: int
    batches: int
    timings: dict


def run(warehouse: str | Path, as_of: dt.date | None = None, *, con: duckdb.DuckDBPyConnection | None = None,
        policy: GradingPolicy = DEFAULT_POLICY, settings: ScanSettings = DEFAULT, reasons: bool = False,
        limits_cache: str | Path | None = None, overlap: bool = True, reuse_memory: bool = True,
        features: str = "numpy") -> BulkRun:
    """Grading as of ``as_of`` (default: the day after the latest observation) and a full warning
    scan up to the latest observation, over the Parquet warehouse at ``warehouse``.

    With ``overlap`` (the default), once the grading inputs are fetched, the grading's Python part
    (:func:`grade_frames`: features, fit, scoring; NumPy and Polars, which release the GIL) runs in
    a worker thread while this thread runs the warning scan in DuckDB with one thread fewer than
    the connection's setting until the grading is done (the grading keeps a core; at 10^8 rows on
    two cores that is 29 s against 32 s with both DuckDB threads throughout). The worker only gets
    the fetched frames, never the connection (a DuckDB connection must not be used by two threads
    at once), so the results are those of the sequential order (``overlap=False``), which a test
    asserts. One shared thing is Python's warning filters: ``warnings.catch_warnings`` (used by
    the fit) is process-wide, so a Python warning the scan raised while the grading records its
    own would go to the grading's record (which the bulk path drops) rather than to stderr; no
    result depends on it. ``timings``: ``grading_s`` is the grading's own time in its thread, so
    with the overlap ``inputs_s + grading_s + warnings_s`` exceeds ``total_s``.

    With ``reuse_memory`` (the default) the run keeps the memory NumPy frees for reuse rather than
    giving it back to the kernel and faulting it in again for the next temporary
    (:func:`lingqu.kit.heap.reuse_freed_memory`; at 10^8 rows the features take two thirds of the
    time, for a higher peak), and hands it back at the end.

    ``features`` (:data:`FEATURES`): ``numpy`` (the default, the faster here) or ``sql``, where every
    step that reads all rows is SQL and Python only fits and scores the model: the form for Spark.
    At 10^8 rows on two cores the SQL form's window query takes several times the NumPy builder's
    time (``docs/benchmarks.md``): DuckDB computes each running aggregate separately, where NumPy
    shares one sort among all its cumulative sums."""
    with reuse_freed_memory() if reuse_memory else nullcontext():
        return _run(warehouse, as_of, con, policy, settings, reasons, limits_cache, overlap, features)


def _run(warehouse, as_of, con, policy, settings, reasons, limits_cache, overlap, features) -> BulkRun:
    own = con is None
    con = con or connect()
    try:
        attach(con, warehouse)
        t0 = time.perf_counter()
        batches(con)
        t1 = time.perf_counter()
        latest = latest_observation(con)
        grade_as_of = as_of or latest + dt.timedelta(days=1)
        frames = grading_inputs(con, grade_as_of, features, reasons)
        t2 = time.perf_counter()

        def grading(f: dict[str, pl.DataFrame]) -> tuple[BulkGrades, float]:
            t = time.perf_counter()
            return grade_frames(f, grade_as_of, policy, reasons), time.perf_counter() - t

        if overlap:
            # the grading thread keeps one core: DuckDB runs the scan on the others (at least one), so
            # that three busy threads do not share two cores while the grading is the longer part
            threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-grading") as pool:
                future = pool.submit(grading, frames)
                tw = time.perf_counter()
                con.execute(f"SET threads = {max(1, threads - 1)}")
                given_back = []

                def step() -> None:  # this thread: all threads again once the grading is done
                    if future.done() and not given_back:
                        con.execute(f"SET threads = {threads}")
                        given_back.append(time.perf_counter() - tw)

                try:
                    w = warnings_scan(con, latest, settings, limits_cache, step=step)
                finally:
                    con.execute(f"SET threads = {threads}")
                warnings_s = time.perf_counter() - tw
                g, grading_s = future.result()
            extra = {"scan_threads_back_s": given_back[0]} if given_back else {}
        else:
            g, grading_s = grading(frames)
            extra = {}
            tw = time.perf_counter()
            w = warnings_scan(con, latest, settings, limits_cache)
            warnings_s = time.perf_counter() - tw
        t3 = time.perf_counter()
        g.timings = {"inputs_s": t2 - t1, **g.timings}
        n_items = con.execute("SELECT sum(item_count) FROM bulk_batch").fetchall()[0][0]
        n_batches = con.execute("SELECT count(*) FROM bulk_batch").fetchall()[0][0]
        return BulkRun(g, w, int(n_items), int(n_batches),
                       {"batches_s": t1 - t0, "inputs_s": t2 - t1, "grading_s": grading_s, "warnings_s": warnings_s,
                        "total_s": t3 - t0, **extra})
    finally:
        if own:
            con.close()
