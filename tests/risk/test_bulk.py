"""The bulk (DuckDB SQL) grading and warnings give what the engine gives, on a small demo world.

The engine side is the application itself: the world is imported into a database (the normal
import), graded with ``risk.service.compute_grades`` and scanned with ``alert.service.scan``.
The bulk side reads only the world's import files, through ``risk.bulk.build_warehouse``.
Equality is asserted per enterprise (probability and grade) and per alert (kind, series, date of
the first signal, statistic). The pandas peer of ``bench/risk_bench.py`` must agree too, or the
benchmark would compare different computations. truth/ is never read.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from lingqu.db.engine import dispose_engine, unit_of_work
from lingqu.risk import bulk

AS_OF = dt.date(2025, 1, 1)
ROOT = Path(__file__).resolve().parents[2]


def _bench_module():
    # the bench scripts import their sibling helpers (``_memory``) as top-level modules
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("risk_bench", ROOT / "bench" / "risk_bench.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["risk_bench"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    """A 400-enterprise world imported into SQLite (engine side) and into a Parquet warehouse (bulk side)."""
    from lingqu.simulate.loading import load_world
    from lingqu.simulate.world import generate_world

    root = tmp_path_factory.mktemp("bulk")
    generate_world(root / "world", seed=3, enterprises=400)
    db = root / "engine.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    load_world(root / "world", url)
    counts = bulk.build_warehouse(root / "world", root / "warehouse")
    yield {"root": root, "url": url, "warehouse": root / "warehouse", "counts": counts}
    dispose_engine(url)


@pytest.fixture(scope="module")
def bulk_con(world):
    con = bulk.connect(memory_limit="1GB", threads=1)
    bulk.attach(con, world["warehouse"])
    bulk.batches(con)
    yield con
    con.close()


def _uscc_of_warehouse(world) -> dict[str, str]:
    e = pl.read_parquet(world["warehouse"] / "enterprise.parquet")
    return dict(zip(e["enterprise_id"].cast(pl.String).to_list(), e["uscc"].to_list()))


def _uscc_of_db(url) -> dict[str, str]:
    with unit_of_work(url) as s:
        return {str(i): u for i, u in s.execute(sa.text("SELECT id, uscc FROM enterprise"))}


def test_warehouse_holds_every_row_and_batch_ids_follow_the_import(world):
    with unit_of_work(world["url"]) as s:
        items = s.execute(sa.text("SELECT count(*) FROM test_result")).scalar()
        db_batches = s.execute(sa.text("SELECT batch_no FROM batch ORDER BY id")).scalars().all()
    assert world["counts"]["item"] == items > 10_000
    con = bulk.connect(memory_limit="1GB", threads=1)
    bulk.attach(con, world["warehouse"])
    wh = [r[0] for r in con.execute(
        f"SELECT DISTINCT batch_id FROM item ORDER BY batch_id").fetchall()]
    con.close()
    # the same number of batches, numbered in the order the importer created them
    assert len(wh) == len(db_batches) and wh == list(range(1, len(wh) + 1))


def test_batch_outcomes_are_aggregated_from_the_item_rows(world, bulk_con):
    with unit_of_work(world["url"]) as s:
        db = s.execute(sa.text("SELECT count(*), sum(CASE WHEN passed THEN 0 ELSE 1 END), sum(item_count) FROM batch")).one()
    n, failed, items = bulk_con.execute(
        "SELECT count(*), sum(CASE WHEN failed_count > 0 THEN 1 ELSE 0 END), sum(item_count) FROM bulk_batch").fetchall()[0]
    assert (n, failed, items) == tuple(int(v) for v in db)


@pytest.mark.parametrize("features", bulk.FEATURES)
def test_grades_equal_the_engines(world, bulk_con, features):
    from lingqu.risk.service import compute_grades

    with unit_of_work(world["url"]) as s:
        engine = compute_grades(s, AS_OF)
    mine = bulk.grade(bulk_con, AS_OF, features=features)
    assert mine.training_rows == engine.training_rows and mine.positives == engine.positives
    assert mine.calibration == engine.calibration
    theirs = {g.uscc: (g.probability, g.grade) for g in engine.grades}
    ours = {u: (p, g) for u, p, g in mine.grades.select("uscc", "probability", "grade").iter_rows()}
    assert set(ours) == set(theirs) and len(ours) >= 300
    diff = max(abs(ours[u][0] - theirs[u][0]) for u in ours)
    assert diff < 1e-9
    assert sum(ours[u][1] != theirs[u][1] for u in ours) == 0
    assert mine.distribution() == engine.distribution()


@pytest.mark.parametrize("features", bulk.FEATURES)
def test_grades_with_reasons_equal_the_engines(world, bulk_con, features):
    from lingqu.risk.service import compute_grades

    with unit_of_work(world["url"]) as s:
        engine = {g.uscc: g.reasons for g in compute_grades(s, AS_OF).grades}
    mine = bulk.grade(bulk_con, AS_OF, reasons=True, features=features)
    ours = dict(zip(mine.grades["uscc"].to_list(), mine.grades["reasons"].to_list()))
    assert ours == engine


@pytest.fixture(scope="module")
def engine_alerts(world):
    from lingqu.alert import service
    from lingqu.alert.models import Alert

    url = world["url"]
    with unit_of_work(url) as s:
        service.scan(s)
    with unit_of_work(url) as s:
        rows = [(a.kind, a.scope, a.scope_key, a.raised_at, a.statistic, a.threshold, a.evidence)
                for a in s.scalars(sa.select(Alert))]
    usccs = _uscc_of_db(url)
    out = {}
    for kind, scope, key, raised, stat, thr, evidence in rows:
        key = usccs[key] if scope == "enterprise" else key
        # a later signal of the same series updates the open alert's statistic: keep it only when
        # the first signal was the only one
        first_only = int((evidence or {}).get("signals", 1)) == 1
        out[(kind, scope, key)] = (str(raised)[:10], float(stat) if first_only else None, float(thr))
    return out


@pytest.fixture(scope="module")
def bulk_alerts(world, bulk_con):
    w = bulk.warnings_scan(bulk_con, limits_cache=world["root"] / "limits.json")
    return _keyed(w.alerts, _uscc_of_warehouse(world))


def _keyed(alerts: pl.DataFrame, usccs: dict) -> dict:
    out = {}
    for kind, scope, key, raised, stat, thr in alerts.iter_rows():
        key = usccs[key] if scope == "enterprise" else key
        out[(kind, scope, key)] = (raised.isoformat(), float(stat), None if thr is None else float(thr))
    return out


def test_first_signals_equal_the_engines_scan(engine_alerts, bulk_alerts):
    kinds = {k[:2] for k in engine_alerts}
    assert sum(v[1] is not None for v in engine_alerts.values()) > len(engine_alerts) / 2
    assert {("cusum", "enterprise"), ("cusum", "test_item"), ("cusum", "city"), ("ewma", "test_item"),
            ("complaint_surge", "enterprise")} <= kinds
    assert set(bulk_alerts) == set(engine_alerts)
    for key, (day, stat, thr) in engine_alerts.items():
        b_day, b_stat, b_thr = bulk_alerts[key]
        assert b_day == day, key
        if stat is not None:
            assert math.isclose(b_stat, stat, rel_tol=1e-6, abs_tol=1e-9), (key, b_stat, stat)
        if b_thr is not None:
            assert math.isclose(b_thr, thr, rel_tol=1e-9), key


def test_prefix_rounds_do_not_change_the_result(world, bulk_con, bulk_alerts):
    """One round over whole histories gives the same alerts as the prefix rounds."""
    whole = _keyed(bulk.warnings_scan(bulk_con, limits_cache=world["root"] / "limits.json", rounds_days=()).alerts,
                   _uscc_of_warehouse(world))
    assert set(whole) == set(bulk_alerts)
    for key, (day, stat, _thr) in bulk_alerts.items():
        assert whole[key][0] == day and math.isclose(whole[key][1], stat, rel_tol=1e-12), key


def test_cusum_and_ewma_window_forms_equal_the_recursions():
    """The closed forms used in SQL against ``stats.control``'s recursions, on long random series
    (several EWMA blocks), before the first signal."""
    import duckdb

    from lingqu.stats.control import CusumState, EwmaState, cusum_update, cusum_weights, ewma_update

    rng = np.random.default_rng(7)
    n = 3000
    p = rng.uniform(0.02, 0.4, n)
    y = (rng.random(n) < p).astype(float)
    w = cusum_weights(y, p, 3.0)
    e = (y - p) / np.sqrt(p * (1 - p))
    cu = cusum_update(CusumState(), w, 1e9, restart=False).path
    ew = ewma_update(EwmaState(), e, 0.2, 1e6, restart=False).path
    con = duckdb.connect()
    con.register("m", pl.DataFrame({"scope": ["x"] * n, "series": ["s"] * n, "day": np.arange(n), "seq": np.arange(n),
                                    "y": y.astype(int), "p": p, "k": np.arange(n), "p0": [0.1] * n}).to_arrow())
    con.execute("CREATE TABLE bulk_mon AS SELECT * FROM m")
    con.execute("CREATE TABLE bulk_limits AS SELECT 'x' AS scope, 0.1 AS p0, 1e9 AS h, 1e9 AS ucl")
    sql = bulk.CHARTS_SQL.format(odds_ratio="3.0", block=bulk.EWMA_BLOCK, a=repr(0.8), lam="0.2")
    path_sql = sql[:sql.index("SELECT 'cusum'")] + "SELECT k, cusum, ewma FROM path ORDER BY k"
    k, cusum, ewma = (np.asarray(c) for c in zip(*con.execute(path_sql).fetchall()))
    assert np.allclose(cusum, cu, rtol=1e-9, atol=1e-9)
    assert np.allclose(ewma, ew, rtol=1e-9, atol=1e-12)


def test_poisson_critical_means_give_the_engines_test():
    from scipy.special import gammaincinv

    from lingqu.stats.control import poisson_surge

    for n in (2, 3, 5, 12, 40):
        crit = gammaincinv(n, 5e-3)
        assert not poisson_surge(n, crit * 1.0001, 5e-3).surge
        assert poisson_surge(n, crit * 0.9999, 5e-3).surge


def test_last_complete_month_is_the_engines():
    from lingqu.alert.service import last_complete_month

    assert bulk.last_complete_month is last_complete_month  # one rule for both paths


def test_the_pandas_peer_computes_the_same(world, bulk_con, bulk_alerts):
    peer = _bench_module()
    out = peer.pandas_run(world["warehouse"], limits_cache=world["root"] / "limits.json")
    mine = bulk.grade(bulk_con, out["as_of"])
    theirs = out["grades"].set_index("uscc")["probability"]
    ours = dict(zip(mine.grades["uscc"].to_list(), mine.grades["probability"].to_list()))
    assert max(abs(ours[u] - theirs[u]) for u in ours) < 1e-9
    peer_alerts = _keyed(pl.from_pandas(out["alerts"]), _uscc_of_warehouse(world))
    assert set(peer_alerts) == set(bulk_alerts)
    for key, (day, stat, _thr) in bulk_alerts.items():
        assert peer_alerts[key][0] == day and math.isclose(peer_alerts[key][1], stat, rel_tol=1e-6, abs_tol=1e-9), key


@pytest.mark.parametrize("reuse_memory", [False, True])
def test_overlapped_run_equals_the_sequential_one(world, reuse_memory):
    """``run`` grades in a worker thread while the warning scan runs in DuckDB: the same grades
    and alerts, to the bit, as the sequential order; and with or without freed memory kept for
    reuse (``kit.heap``), which changes where memory comes from, never a result."""
    out = {}
    for overlap in (False, True):
        con = bulk.connect(memory_limit="1GB", threads=2)
        try:
            out[overlap] = bulk.run(world["warehouse"], con=con, limits_cache=world["root"] / "limits.json",
                                    overlap=overlap, reuse_memory=reuse_memory and overlap)
        finally:
            con.close()
    seq, par = out[False], out[True]
    assert par.grades.grades.equals(seq.grades.grades) and par.grades.grades.height >= 300
    assert (par.grades.training_rows, par.grades.positives, par.grades.calibration, par.grades.prior) == (
        seq.grades.training_rows, seq.grades.positives, seq.grades.calibration, seq.grades.prior)
    assert par.warnings.alerts.equals(seq.warnings.alerts) and par.warnings.alerts.height > 0
    assert (par.item_rows, par.batches) == (seq.item_rows, seq.batches)
    assert {"batches_s", "inputs_s", "grading_s", "warnings_s", "total_s"} <= set(par.timings)


@pytest.mark.parametrize("as_of", [AS_OF, dt.date(2023, 7, 1)])
def test_sql_rows_equal_the_feature_builder(bulk_con, as_of):
    """``bulk_features`` (one window query) gives ``features.build_rows``' rows, column by column:
    the same order, the same counts, histories, CCC status and codes exactly, the recency-weighted
    sums within rounding (the NumPy form takes differences of running totals over all enterprises)."""
    from lingqu.risk import bulk_features
    from lingqu.risk.features import CCC_LEVELS, build_rows

    f = bulk.grading_inputs(bulk_con, as_of)
    a = build_rows(f["enterprises"], f["batches"], f["failed_items"], f["complaints"], f["certificates"],
                   f["assistance"], as_of, 0, f["measured"])
    s = bulk.grading_inputs(bulk_con, as_of, "sql", reasons=True)["sql"]
    b = bulk_features.assemble(s, as_of)
    assert s["enterprises"].equals(f["enterprises"])
    assert (a.n_train, a.top_items, a.numeric_names, a.categorical_labels) == (
        b.n_train, b.top_items, b.numeric_names, b.categorical_labels)
    assert a.n_train > 500 and len(a.top_items) == 3
    for x, y in ((a.entity, b.entity), (a.day, b.day), (a.categorical, b.categorical)):
        assert np.array_equal(x, y)
    assert np.array_equal(a.outcome, b.outcome, equal_nan=True)
    for name in ("prior_inspections", "prior_known", "prior_failures", "failures_last_k", "days_since_failure",
                 "days_since_previous"):
        assert np.array_equal(getattr(a.history, name), getattr(b.history, name), equal_nan=True), name
    exact = {"complaints_12m_log1p", "critical_failures_log1p", "assisted_before", "age_years", "batches_12m_log1p"}
    for j, name in enumerate(a.numeric_names):
        x, y = a.numeric[:, j], b.numeric[:, j]
        assert np.array_equal(np.isnan(x), np.isnan(y)), name
        if name in exact or name.startswith("item_"):
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True), name
    assert list(a.counts["last_k_items"]) == b.counts["last_k_items"]
    for name in ("complaints_12m", "complaints_all", "batches_12m", "assisted"):
        assert np.array_equal(a.counts[name], b.counts[name]), name
    if as_of == AS_OF:  # by then the world holds the CCC states the rule tells apart (none, valid, expired, held)
        held = {CCC_LEVELS[k] for k in np.unique(b.categorical[:, 2])}
        assert held >= {"none", "valid", "expired"}, held
        assert {"suspended", "revoked"} & held, held
