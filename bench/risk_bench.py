"""Benchmark: risk grading + every early warning over 1 M / 10 M / 100 M test-item results,
``lingqu.risk.bulk`` (DuckDB SQL) against a straightforward pandas implementation, same run.

    .venv/bin/python bench/risk_bench.py [--sizes 1m,10m,100m] [--scratch var/bench-risk]
                                         [--peer-timeout 900] [--mem-cap-gib 14] [--json FILE]
                                         [--features numpy|sql] [--skip-peer]

For each size the demo generator writes a world (``lingqu demo generate``; about 76 item rows
per enterprise, so 13,200 / 132,000 / 1,320,000 enterprises), ``risk.bulk.build_warehouse`` turns
it into Parquet (timed and reported as the load step, then the CSV files are deleted unless
``--keep-csv``). truth/ is never read. Then each contender runs in its own process on the same
warehouse, and its seconds and peak RSS (``VmHWM``) are reported:

- ``bulk``: ``risk.bulk.run``: batch outcomes, grading inputs and every warning series in DuckDB
  SQL (memory limit 6 GB), the engine's model on the batch-level frames; with ``--features sql``
  the model's rows too come from SQL (``risk.bulk_features``: the form that runs on Spark);
- ``pandas``: the obvious pandas program for the same computation: ``read_parquet``, ``groupby``
  for the batch outcomes, the same model on the same frames (shared code: the peer differs in
  the data work, not in the statistics), and for the warnings ``groupby`` per series running the
  engine's own recursions (``stats.control.cusum_update`` / ``ewma_update``) and Poisson test.

The peer is stopped at ``--peer-timeout`` seconds or when its resident memory passes
``--mem-cap-gib`` (the machine is shared), and reported as not finished. Both contenders'
results are compared (grade distribution, every alert's series and date) and the run fails
loudly if they differ. The design thresholds (Markov-chain solves, seconds each) are computed
once per settings into a cache file shared by both, and not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _memory import peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]
ENTERPRISES = {"1m": 13_200, "10m": 132_000, "100m": 1_320_000}
SEED = {"1m": 5, "10m": 6, "100m": 7}


# --- the pandas peer -------------------------------------------------------------------------------

def pandas_run(warehouse: str | Path, as_of: dt.date | None = None, limits_cache: str | Path | None = None) -> dict:
    """Grading and warnings the straightforward pandas way (same results as ``risk.bulk.run``)."""
    import numpy as np
    import pandas as pd
    import polars as pl
    from scipy.stats import poisson

    from lingqu.alert.service import _P_GRID, DEFAULT
    from lingqu.risk import bulk
    from lingqu.stats.control import CusumState, EwmaState, cusum_update, cusum_weights, ewma_update

    s = DEFAULT
    wh = Path(warehouse)
    items = pd.read_parquet(wh / "item.parquet")
    ent = pd.read_parquet(wh / "enterprise.parquet")
    complaints = pd.read_parquet(wh / "complaint.parquet")
    certs = pd.read_parquet(wh / "certificate.parquet")
    assistance = pd.read_parquet(wh / "assistance.parquet")
    items["failed"] = (~items["passed"]).astype(int)

    # batches: one row per batch, failed when any item failed
    b = items.groupby("batch_id").agg(enterprise_id=("enterprise_id", "first"), sampled_on=("sampled_on", "first"),
                                      city_code=("city_code", "first"), cluster=("cluster", "first"),
                                      channel=("channel", "first"), item_count=("failed", "size"),
                                      failed_count=("failed", "sum")).reset_index()
    b["y"] = (b["failed_count"] > 0).astype(int)
    latest = max(b["sampled_on"].max(), complaints["received_on"].max())
    latest = pd.Timestamp(latest).date()
    as_of = as_of or latest + dt.timedelta(days=1)

    # grading: the engine's frames, then the engine's model (shared with the bulk path)
    cut = pd.Timestamp(as_of)
    bt = b[pd.to_datetime(b["sampled_on"]) < cut]
    clusters = set(bt["cluster"])
    e = ent[ent["cluster"].isin(clusters)].sort_values("uscc")
    fi = items[(pd.to_datetime(items["sampled_on"]) < cut) & (~items["passed"])][["batch_id", "test_item", "severity"]]
    ms = items[(pd.to_datetime(items["sampled_on"]) < cut) & items["passed"] & items["measured_value"].notna()][
        ["batch_id", "test_item", "measured_value", "limit_text"]]
    frames = {
        "enterprises": pl.from_pandas(e[["enterprise_id", "uscc", "name", "cluster", "size", "city_code", "district",
                                         "founded"]]),
        "batches": pl.from_pandas(bt.assign(passed=bt["failed_count"] == 0)[
            ["batch_id", "enterprise_id", "sampled_on", "channel", "passed"]]),
        "failed_items": pl.from_pandas(fi),
        "measured": pl.from_pandas(ms),
        "complaints": pl.from_pandas(complaints[pd.to_datetime(complaints["received_on"]) < cut][
            ["enterprise_id", "received_on"]]),
        "certificates": pl.from_pandas(certs[(certs["kind"] == "CCC") & (certs["issued_on"].isna() | (
            pd.to_datetime(certs["issued_on"]) < cut))][["enterprise_id", "issued_on", "expires_on", "status"]]),
        "assistance": pl.from_pandas(assistance[pd.to_datetime(assistance["started_on"]) < cut][
            ["enterprise_id", "started_on", "kind"]]),
    }
    g = bulk.grade_frames(frames, as_of)
    grades = g.grades.to_pandas()

    # warnings, up to the latest observation
    epoch = pd.Timestamp("1970-01-01")
    b["day"] = (pd.to_datetime(b["sampled_on"]) - epoch).dt.days
    items["day"] = (pd.to_datetime(items["sampled_on"]) - epoch).dt.days

    def trailing(obs: pd.DataFrame, ref: str, y: str) -> pd.Series:
        daily = obs.groupby([ref, "day"])[y].agg(["size", "sum"]).reset_index()
        out = pd.Series(np.nan, index=obs.index)
        for key, d in daily.groupby(ref):
            days = d["day"].to_numpy()
            cn = np.r_[0, np.cumsum(d["size"].to_numpy())]
            cf = np.r_[0, np.cumsum(d["sum"].to_numpy())]
            mask = obs[ref] == key
            od = obs.loc[mask, "day"].to_numpy()
            hi = np.searchsorted(days, od, "left")
            lo = np.searchsorted(days, od - s.window_days, "left")
            n, f = cn[hi] - cn[lo], cf[hi] - cf[lo]
            out[mask] = np.where(n >= s.min_reference, f / np.maximum(n, 1), np.nan)
        return out

    b["c"] = trailing(b, "cluster", "y")
    items["c"] = trailing(items, "test_item", "failed")
    items["y"] = items["failed"]
    prior = dict(s.prior_batches)
    logs = np.log(_P_GRID)
    alerts = []

    def series(scope: str, key, g: pd.DataFrame) -> None:
        g = g.sort_values(["day", "batch_id"])
        y = g["y"].to_numpy().astype(float)
        c = g["c"].to_numpy()
        pr = prior.get(scope)
        p = c if pr is None else (pr * c + (np.cumsum(y) - y)) / (pr + np.arange(len(y)))
        mon = ~np.isnan(p)
        if not mon.any():
            return
        p = np.clip(p[mon], 0.005, 0.995)
        yy, days = y[mon], g["day"].to_numpy()[mon]
        p0 = float(_P_GRID[np.argmin(np.abs(logs - np.log(p[0])))])
        (_, _, h, ucl), = bulk.design_limits(s, [(scope, p0)], limits_cache)
        cu = cusum_update(CusumState(), cusum_weights(yy, p, s.odds_ratio), h)
        lam = s.ewma_lambda
        ew = ewma_update(EwmaState(), (yy - p) / np.sqrt(p * (1 - p)), lam, ucl / np.sqrt(lam / (2 - lam)))
        for kind, step, thr in (("cusum", cu, h), ("ewma", ew, ucl)):
            hits = np.flatnonzero(step.signal)
            if hits.size:
                i = hits[0]
                alerts.append((kind, scope, str(key), dt.date(1970, 1, 1) + dt.timedelta(days=int(days[i])),
                               float(step.path[i]), float(thr)))

    for key, grp in b.groupby("enterprise_id"):
        series("enterprise", key, grp)
    for key, grp in b.groupby("city_code"):
        series("city", key, grp)
    for key, grp in items.groupby("test_item"):
        series("test_item", key, grp)

    # complaint surges per enterprise and month
    c = complaints[pd.to_datetime(complaints["received_on"]) <= pd.Timestamp(latest)].copy()
    rd = pd.to_datetime(c["received_on"])
    c["m"] = rd.dt.year * 12 + rd.dt.month - 1
    peer = c.groupby("m").size()
    start = int(peer.index.min())
    last_complete = bulk.last_complete_month(latest)
    n_ent = len(ent)
    for key, grp in c.groupby("enterprise_id"):
        months = grp.groupby("m").size().sort_index()
        before = 0
        for m, count in months.items():
            if m <= last_complete and m > start and count >= s.surge_min_count:
                window = range(max(start, m - 12), m)
                peer_rate = max(sum(peer.get(x, 0) for x in window) / (n_ent * len(window)), 1e-4)
                expected = (peer_rate * s.surge_prior_months + before) / (s.surge_prior_months + (m - start))
                if poisson.sf(count - 1, expected) < s.surge_alpha:
                    alerts.append(("complaint_surge", "enterprise", str(key), dt.date(m // 12, m % 12 + 1, 1),
                                   float(count), None))
                    break
            before += count
    frame = pd.DataFrame(alerts, columns=["kind", "scope", "scope_key", "raised_at", "statistic", "threshold"])
    return {"as_of": as_of, "grades": grades, "alerts": frame.sort_values(["kind", "scope", "scope_key"])}


# --- measurement -----------------------------------------------------------------------------------

def digest(alerts: list[tuple], distribution: dict) -> str:
    text = json.dumps([sorted(alerts), distribution], default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def child(mode: str, warehouse: str, limits: str, features: str = "numpy") -> None:
    t0 = time.perf_counter()
    if mode == "bulk":
        from lingqu.risk import bulk

        r = bulk.run(warehouse, limits_cache=limits, features=features)
        alerts = [(k, s, key, str(d)) for k, s, key, d in
                  r.warnings.alerts.select("kind", "scope", "scope_key", "raised_at").iter_rows()]
        dist = r.grades.distribution()
        extra = {"timings": {k: round(v, 2) for k, v in r.timings.items()},
                 "grading": {k: round(v, 2) for k, v in r.grades.timings.items()},
                 "warnings": {k: round(v, 2) for k, v in r.warnings.timings.items()},
                 "rounds": r.warnings.rounds, "item_rows": r.item_rows, "batches": r.batches}
    else:
        out = pandas_run(warehouse, limits_cache=limits)
        alerts = [(k, s, key, str(d)) for k, s, key, d in
                  out["alerts"][["kind", "scope", "scope_key", "raised_at"]].itertuples(index=False)]
        counts = out["grades"]["grade"].value_counts().to_dict()
        dist = {g: int(counts.get(g, 0)) for g in ("A", "B", "C", "D")}
        extra = {}
    seconds = time.perf_counter() - t0
    peak = peak_rss_mib()
    print(json.dumps({"mode": mode, "seconds": round(seconds, 2), "peak_rss_mib": round(peak), "alerts": len(alerts),
                      "by_kind": {k: sum(1 for a in alerts if a[0] == k) for k in sorted({a[0] for a in alerts})},
                      "distribution": dist, "digest": digest(alerts, dist), **extra}))


def measure(mode: str, warehouse: Path, limits: Path, timeout: float, cap_gib: float,
            features: str = "numpy") -> dict:
    """Run one contender in its own process; stop it past ``timeout`` or ``cap_gib`` resident."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, "--warehouse", str(warehouse),
                             "--limits", str(limits), "--features", features], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    t0, peak, why = time.perf_counter(), 0, None
    while proc.poll() is None:
        try:
            rss = int(next(line for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                           if line.startswith("VmRSS")).split()[1]) / 1024
            peak = max(peak, rss)
        except (OSError, StopIteration):
            pass
        if time.perf_counter() - t0 > timeout:
            why = f"not finished: stopped after {timeout:.0f} s"
        elif peak > cap_gib * 1024:
            why = f"not finished: stopped at {peak / 1024:.1f} GiB resident (cap {cap_gib} GiB)"
        if why:
            proc.kill()
            proc.wait()
            return {"mode": mode, "status": why, "seconds": round(time.perf_counter() - t0, 1),
                    "peak_rss_mib": round(peak)}
        time.sleep(0.2)
    out, err = proc.communicate()
    if proc.returncode != 0:
        tail = err.strip().splitlines()[-3:]
        return {"mode": mode, "status": f"failed (exit {proc.returncode}): {' | '.join(tail)}",
                "seconds": round(time.perf_counter() - t0, 1), "peak_rss_mib": round(peak)}
    return {"status": "ok", **json.loads(out.strip().splitlines()[-1])}


def prepare(size: str, scratch: Path, keep_csv: bool) -> tuple[Path, dict]:
    """The world and its warehouse for ``size`` (generated and loaded once; reused afterwards)."""
    world, warehouse = scratch / f"w{size}", scratch / f"wh{size}"
    info = {}
    if (warehouse / "item.parquet").is_file():
        return warehouse, json.loads((warehouse / "load.json").read_text()) if (warehouse / "load.json").is_file() else {}
    if not (world / "sampling.csv").is_file():
        t = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "lingqu"), "demo", "generate", "--seed", str(SEED[size]),
                        "--enterprises", str(ENTERPRISES[size]), "--out", str(world)], check=True,
                       stdout=subprocess.DEVNULL)
        info["generate_s"] = round(time.perf_counter() - t, 1)
    from lingqu.risk import bulk

    t = time.perf_counter()
    info["rows"] = bulk.build_warehouse(world, warehouse)
    info["load_s"] = round(time.perf_counter() - t, 1)
    (warehouse / "load.json").write_text(json.dumps(info))
    if not keep_csv:
        shutil.rmtree(world)
    return warehouse, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1m,10m,100m")
    ap.add_argument("--scratch", default=str(ROOT / "var" / "bench-risk"))
    ap.add_argument("--peer-timeout", type=float, default=900.0)
    ap.add_argument("--mem-cap-gib", type=float, default=14.0)
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument("--keep-csv", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--child", choices=["bulk", "pandas"])
    ap.add_argument("--warehouse")
    ap.add_argument("--limits")
    ap.add_argument("--features", choices=["numpy", "sql"], default="numpy",
                    help="the bulk contender's features: the engine's NumPy builder (default) or one SQL "
                         "window query (the Spark form; risk.bulk_features)")
    a = ap.parse_args()
    if a.child:
        child(a.child, a.warehouse, a.limits, a.features)
        return
    scratch = Path(a.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    limits = scratch / "limits.json"
    results = []
    for size in a.sizes.split(","):
        warehouse, load = prepare(size, scratch, a.keep_csv)
        load_avg = os.getloadavg()[0]
        bulk_r = measure("bulk", warehouse, limits, 3600, a.mem_cap_gib, a.features)
        bulk_r["features"] = a.features
        peer_r = ({"mode": "pandas", "status": "skipped"} if a.skip_peer else
                  measure("pandas", warehouse, limits, a.peer_timeout, a.mem_cap_gib))
        same = (bulk_r.get("digest") == peer_r.get("digest")) if peer_r["status"] == "ok" else None
        results.append({"size": size, "load": load, "load_average": round(load_avg, 1), "bulk": bulk_r,
                        "pandas": peer_r, "same_results": same})
        print(json.dumps(results[-1]), flush=True)
        if same is False:
            raise SystemExit(f"{size}: bulk and pandas results differ: {bulk_r} vs {peer_r}")
    print(f"\n{dt.date.today()}, {platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()}")
    print("| item rows | contender | seconds | peak RSS MiB | ratio (pandas / bulk seconds) |")
    print("|---|---|---|---|---|")
    for r in results:
        rows = r["bulk"].get("item_rows", r["size"])
        for key in ("bulk", "pandas"):
            m = r[key]
            ratio = ""
            if key == "pandas" and m["status"] == "ok" and r["bulk"]["status"] == "ok":
                ratio = f"{m['seconds'] / r['bulk']['seconds']:.1f}x"
            label = m["status"] if m["status"] != "ok" else ""
            print(f"| {rows:,} | {key} {label} | {m.get('seconds', '')} | {m.get('peak_rss_mib', '')} | {ratio} |"
                  if isinstance(rows, int) else f"| {rows} | {key} {label} | {m.get('seconds', '')} | "
                  f"{m.get('peak_rss_mib', '')} | {ratio} |")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
