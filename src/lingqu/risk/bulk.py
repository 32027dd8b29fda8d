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
   With ``features="sql"`` the model's rows too come from SQL (:mod:`lingqu.risk.bulk_features`).
3. **Warnings** (:func:`warnings_scan`, in :mod:`lingqu.risk.bulk_warnings`): a fresh full scan
   with the engine's parameters, every first signal of every series as window queries.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from lingqu.alert.service import DEFAULT, ScanSettings, last_complete_month  # noqa: F401 - one month rule, re-exported
from lingqu.kit import normalize
from lingqu.kit.heap import reuse_freed_memory
from lingqu.risk import bulk_features
from lingqu.risk.bulk_warnings import (  # noqa: F401 - the scan's API, re-exported from the bulk path
    CHARTS_SQL, EWMA_BLOCK, ROUNDS_DAYS, SCOPES, BulkWarnings, _pl, _table, design_limits, latest_observation,
    warnings_scan)
from lingqu.risk.features import parse_limit
from lingqu.risk.service import GradingFrames, reasons_of, score_frames, score_rows
from lingqu.stats.grading import DEFAULT_POLICY, GradingPolicy

TABLES = ("enterprise", "item", "complaint", "certificate", "assistance")


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
