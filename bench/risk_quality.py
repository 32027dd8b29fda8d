"""Quality of the risk engine on generated demo worlds: plan gain, held-out calibration, CUSUM.

    PYTHONPATH=src .venv/bin/python bench/risk_quality.py [--seeds 20] [--enterprises 1000] [--out DIR]

For each world seed (1..N) a world is generated, the engine grades every enterprise as of
2025-01-01 from the world's *public* files only (``lingqu.risk.worldfiles``: no ``truth/``), and
this script -- the evaluation, not the engine -- reads ``truth/`` to measure:

1. Plan gain: expected failing batches per sampled 2025 batch of a budget-100 plan (the policy's
   inclusion probabilities with the floor), divided by the same for a uniform draw, using each
   enterprise's hidden 2025 failure probabilities; the *realised* ratio of 20 seeded draws of each
   against the observed 2025 outcomes; and the diagnosis: the same policy applied to the hidden
   probabilities (oracle grades), inclusion proportional to them, and the ideal top-100 draw.
2. Calibration on the held-out year: ECE (10 equal-count bins), AUC, mean predicted vs observed
   over every 2025 batch, (a) for the grades as of 2025-01-01 used all year ("static") and (b) for
   the grades as the platform keeps them, recomputed at the start of every month of 2025 from the
   records before that day, each batch compared with the grade of its month ("monthly regrade":
   a rolling-origin, prequential evaluation, Dawid 1984: no batch's outcome is seen before it is
   predicted); also the ECE left after removing the year's level shift (diagnostic only: it uses
   the held-out year's mean) and the ECE of the hidden true probabilities (the sampling floor).
3. Enterprise CUSUM as the alert scan runs it (``lingqu.alert.service``: expected probability =
   own earlier failures shrunk toward the cluster's trailing-365-day rate with 8 pseudo-batches,
   odds ratio 3, threshold from ARL0 at the series' first expected probability), for several
   ARL0: false alarms per 100 enterprise-years on enterprises without an injected deterioration,
   and, on the injected deteriorations, detection within 365 days and the delay in batches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from lingqu.risk.plan import grade_weights
from lingqu.risk.service import grade_frames
from lingqu.risk.worldfiles import world_frames
from lingqu.simulate.world import generate_world
from lingqu.stats import evaluation as ev
from lingqu.stats.control import cusum_threshold, run_length_simulation
from lingqu.stats.grading import DEFAULT_POLICY
from lingqu.stats.sampling_plan import draw_plan, inclusion_probabilities

AS_OF = dt.date(2025, 1, 1)
BUDGET = 100
#: Default world size: at 1000 enterprises the held-out year holds ~1 150 batches, and the ECE of the
#: hidden true probabilities themselves is ~0.03 (the bar); 4000 give ~4 500 batches and a floor ~0.01.
ENTERPRISES = 4000
#: Default plan budget as a share of the world's enterprises (100 of 1000, as in earlier runs).
BUDGET_SHARE = 0.10
ARL0S = (30, 50, 70, 100, 200)
P_GRID = np.array([0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6])
ODDS, PRIOR, WINDOW, MIN_REF = 3.0, 8.0, 365, 30


def plan_figures(run, world: Path, budget: int = BUDGET) -> dict:
    g = pl.DataFrame({"uscc": [x.uscc for x in run.grades], "p": [x.probability for x in run.grades],
                      "grade": [x.grade for x in run.grades]}).sort("uscc")
    truth = pl.read_csv(world / "truth" / "batches.csv").filter(pl.col("sampled_on") >= AS_OF.isoformat())
    per = truth.group_by("uscc").agg(pl.col("failure_probability").sum().alias("ep"), pl.len().alias("n"),
                                     pl.col("failed").sum().alias("k"))
    d = g.join(per, on="uscc", how="left").fill_null(0)
    p, ep = d["p"].to_numpy(), d["ep"].to_numpy()
    n, k = d["n"].to_numpy().astype(float), d["k"].to_numpy().astype(float)
    grade = d["grade"].to_numpy()
    N = len(p)
    floor = min(0.02, 0.5 * budget / N)
    w = grade_weights(DEFAULT_POLICY)

    def gain(pi):
        return float((pi @ ep / (pi @ n)) / (ep.sum() / n.sum()))

    # one batch per drawn enterprise (the plan's own estimand, ``Σ πᵢ pᵢ`` against ``n · mean(p)``),
    # pᵢ = the mean hidden probability of the enterprise's 2025 batches; enterprises without one left out
    has = n > 0
    pe = ep[has] / n[has]

    true_p = np.where(n > 0, ep / np.maximum(n, 1), np.nan)
    true_p = np.where(np.isnan(true_p), np.nanmean(true_p), true_p)
    pi_model = inclusion_probabilities(np.array([w[x] for x in grade]), budget, floor)
    pi_oracle = inclusion_probabilities(np.array([w[x] for x in DEFAULT_POLICY.grade(true_p)]), budget, floor)
    pi_prop = inclusion_probabilities(true_p, budget, floor)
    top, top_model = np.zeros(N), np.zeros(N)
    top[np.argsort(-true_p)[:budget]] = 1
    top_model[np.argsort(-p)[:budget]] = 1
    realised_r, realised_u = [], []
    weights = np.array([w[x] for x in grade])
    for seed in range(20):
        sel = draw_plan(weights, p, budget, seed, floor).selected
        uni = np.random.Generator(np.random.PCG64(seed)).choice(N, size=budget, replace=False)
        realised_r.append(k[sel].sum() / max(n[sel].sum(), 1))
        realised_u.append(k[uni].sum() / max(n[uni].sum(), 1))
    return {"gain": gain(pi_model), "gain_enterprise": float((pi_model[has] @ pe / pi_model[has].sum()) / pe.mean()),
            "realised": float(np.mean(realised_r) / np.mean(realised_u)),
            "oracle_policy": gain(pi_oracle), "oracle_prop": gain(pi_prop), "oracle_top": gain(top),
            "model_top": gain(top_model), "cv2": float(np.var(true_p) / np.mean(true_p) ** 2),
            "dist": run.distribution()}


def calibration_figures(run, world: Path) -> dict:
    g = pl.DataFrame({"uscc": [x.uscc for x in run.grades], "p": [x.probability for x in run.grades]})
    t = pl.read_csv(world / "truth" / "batches.csv").filter(pl.col("sampled_on") >= AS_OF.isoformat()).join(g, on="uscc")
    y, p = t["failed"].to_numpy().astype(float), t["p"].to_numpy()
    lo, hi = -20.0, 20.0  # level shift that matches the held-out mean (diagnostic)
    lp = np.log(p / (1 - p))
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (1 / (1 + np.exp(-(lp + mid)))).mean() < y.mean() else (lo, mid)
    shifted = 1 / (1 + np.exp(-(lp + lo)))
    return {"ece": ev.expected_calibration_error(y, p), "auc": ev.roc_auc(y, p),
            "auc_truth": ev.roc_auc(y, t["failure_probability"].to_numpy()), "observed": float(y.mean()),
            "predicted": float(p.mean()), "ece_after_level": ev.expected_calibration_error(y, shifted),
            "ece_truth": ev.expected_calibration_error(y, t["failure_probability"].to_numpy()),
            "observed_last_year": float(pl.read_csv(world / "truth" / "batches.csv").filter(
                (pl.col("sampled_on") < AS_OF.isoformat()) & (pl.col("sampled_on") >= f"{AS_OF.year - 1}"))["failed"].mean())}


def prequential_figures(run, world: Path, frames=None) -> dict:
    """Calibration of the grades recomputed at the start of every month of the held-out year.

    January uses ``run`` (the grades as of 1 January); each later month is graded as of its first
    day from the public files dated before it (``world_frames`` drops the rest), and each 2025 batch
    is compared with the probability of its month's grades. No batch is predicted by a model that
    has seen its outcome (rolling origin; Dawid 1984, prequential forecasting). ``frames(day)`` gives
    the engine's inputs (default: ``world_frames(world, day)``; a test passes a copy without ``truth/``)."""
    from lingqu.risk.service import score_frames

    t = pl.read_csv(world / "truth" / "batches.csv").filter(pl.col("sampled_on") >= AS_OF.isoformat())
    t = t.with_columns(pl.col("sampled_on").str.slice(0, 7).alias("month"))
    ps, ys, bias = [], [], []
    for m in range(1, 13):
        day = dt.date(AS_OF.year, m, 1)
        if m == 1:
            g = pl.DataFrame({"uscc": [x.uscc for x in run.grades], "p": [x.probability for x in run.grades]})
        else:
            fr = frames(day) if frames else world_frames(world, day)
            g = pl.DataFrame({"uscc": fr.enterprises["uscc"], "p": score_frames(fr, day).probability})
        tm = t.filter(pl.col("month") == day.isoformat()[:7]).join(g, on="uscc")
        if tm.height:
            ps.append(tm["p"].to_numpy())
            ys.append(tm["failed"].to_numpy().astype(float))
            bias.append(float(ps[-1].mean() - ys[-1].mean()))
    p, y = np.concatenate(ps), np.concatenate(ys)
    return {"ece_monthly": ev.expected_calibration_error(y, p), "auc_monthly": ev.roc_auc(y, p),
            "predicted_monthly": float(p.mean()), "bias_by_month": bias}


def cusum_figures(world: Path) -> dict:
    """The scan's enterprise series over the whole history (public sampling.csv), evaluated on truth."""
    s = pl.read_csv(world / "sampling.csv", infer_schema_length=0, columns=["batch_id", "uscc", "sampled_on", "verdict"])
    b = (s.group_by("batch_id").agg(pl.col("uscc").first(), pl.col("sampled_on").first().str.to_date(),
                                    (pl.col("verdict") != "合格").any().cast(pl.Float64).alias("y"))
         .sort(["sampled_on", "batch_id"]))
    day = b["sampled_on"].cast(pl.Int32).to_numpy().astype(np.int64)
    y = b["y"].to_numpy()
    # cluster reference: failure rate over [day - 365, day - 1]
    ud, inv = np.unique(day, return_inverse=True)
    cn = np.r_[0, np.cumsum(np.bincount(inv))]
    cf = np.r_[0, np.cumsum(np.bincount(inv, weights=y))]
    hi = np.searchsorted(ud, day, "left")
    lo = np.searchsorted(ud, day - WINDOW, "left")
    nn, ff = cn[hi] - cn[lo], cf[hi] - cf[lo]
    ref = np.where(nn >= MIN_REF, ff / np.maximum(nn, 1), np.nan)
    det = pl.read_csv(world / "truth" / "deteriorations.csv")
    det_day = {u: dt.date.fromisoformat(d).toordinal() - dt.date(1970, 1, 1).toordinal()
               for u, d in det.select("uscc", "date").iter_rows()}
    end_day = int(day.max())
    tb = pl.read_csv(world / "truth" / "batches.csv").select("batch_id", "latent_logit", "year_offset", "channel_effect")
    jump = dict(det.select("uscc", "logit_jump").iter_rows())
    t = b.select("batch_id", "uscc").join(tb, on="batch_id", how="left")
    eta = (t["latent_logit"] + t["year_offset"] + t["channel_effect"]).to_numpy()
    j = np.array([jump.get(u, 0.0) for u in t["uscc"].to_list()])
    after = np.array([day[i] >= det_day.get(u, 10**9) for i, u in enumerate(t["uscc"].to_list())])
    oracle_p = 1 / (1 + np.exp(-(eta - np.where(after, j, 0.0))))
    frame = pl.DataFrame({"uscc": b["uscc"], "day": day, "y": y, "ref": ref, "oracle": oracle_p}).with_row_index("i")
    out = {}
    for arl0, oracle in [(a, False) for a in ARL0S] + [(a, True) for a in ARL0S]:
        fa, years, detected, delays, n_det, within_year, delay_days = 0, 0.0, 0, [], 0, 0, []
        for (u,), g in frame.group_by(["uscc"]):
            yy, rr, dd = g["y"].to_numpy(), g["ref"].to_numpy(), g["day"].to_numpy()
            f_prev = np.cumsum(yy) - yy
            n_prev = np.arange(len(yy))
            p = g["oracle"].to_numpy() if oracle else (PRIOR * rr + f_prev) / (PRIOR + n_prev)
            mon = ~np.isnan(p)
            if not mon.any():
                continue
            p = np.clip(p[mon], 0.005, 0.995)
            yy, dd = yy[mon], dd[mon]
            p0 = float(P_GRID[np.argmin(np.abs(np.log(P_GRID) - math.log(p[0])))])
            h = cusum_threshold(arl0, p0, ODDS)
            w = yy * math.log(ODDS) - np.log1p((ODDS - 1) * p)
            stat, signals = 0.0, []
            for j, wj in enumerate(w):
                stat = max(0.0, stat + wj)
                if stat >= h:
                    signals.append(j)
                    stat = 0.0
            dday = det_day.get(u)
            if dday is None:
                fa += len(signals)
                years += (end_day - dd[0] + 1) / 365.25
                continue
            if dday > end_day - 120:
                continue
            n_det += 1
            pre = [j for j in signals if dd[j] < dday]
            fa += len(pre)
            years += max(dday - dd[0], 0) / 365.25
            post = [j for j in signals if dd[j] >= dday]
            if post:
                detected += 1
                within_year += dd[post[0]] < dday + 365
                first_post = int(np.searchsorted(dd, dday, "left"))
                delays.append(post[0] - first_post + 1)  # batches after the change, the alarming one included
                delay_days.append(int(dd[post[0]] - dday))
        out[(arl0, oracle)] = {"false_alarms_per_100_years": 100 * fa / years, "detected": detected, "deteriorations": n_det,
                     "within_year": within_year, "delays": delays, "delay_days": delay_days}
    return out


def complaint_figures(world: Path, alpha: float = 5e-3, min_count: int = 2, prior_months: float = 12.0) -> dict:
    """The scan's complaint-surge detector (``lingqu.alert.service``: an enterprise-month's count
    against its own earlier rate shrunk toward the peers' rate of the previous 12 months, upper-tail
    Poisson test at ``alpha``) replayed over the world's complaints.csv; scored on the truth."""
    from scipy.stats import poisson

    ent = pl.read_csv(world / "enterprises.csv", infer_schema_length=0)["uscc"].to_list()
    idx = {u: i for i, u in enumerate(ent)}
    c = pl.read_csv(world / "complaints.csv", infer_schema_length=0, columns=["uscc", "received_on"])
    d = c["received_on"].str.to_date()
    month = (d.dt.year() * 12 + d.dt.month() - 1).to_numpy()
    start, last = int(month.min()), int(month.max()) - 1  # the last month may be incomplete
    n_m = last - start + 1
    counts = np.zeros((len(ent), n_m))
    e = np.array([idx[u] for u in c["uscc"].to_list()])
    keep = month <= last
    np.add.at(counts, (e[keep], month[keep] - start), 1)
    total = counts.sum(0)
    peer = np.array([total[max(0, m - 12):m].sum() / (len(ent) * (m - max(0, m - 12))) if m > 0 else np.nan
                     for m in range(n_m)])
    before = np.cumsum(counts, 1) - counts
    exposure = np.arange(n_m)[None, :]
    expected = (np.maximum(peer, 1e-4)[None, :] * prior_months + before) / (prior_months + exposure)
    pv = poisson.sf(counts - 1, expected)
    surge = (counts >= min_count) & (pv < alpha) & (exposure > 0)
    det = pl.read_csv(world / "truth" / "deteriorations.csv")
    det_month = {u: int(x[:4]) * 12 + int(x[5:7]) - 1 for u, x in det.select("uscc", "date").iter_rows()}
    fa, years, detected, n_det, delays = 0, 0.0, 0, 0, []
    for u, i in idx.items():
        dm = det_month.get(u)
        if dm is None:
            fa += int(surge[i].sum())
            years += (n_m - 1) / 12
            continue
        if dm - start > n_m - 4:
            continue
        n_det += 1
        k = max(dm - start, 0)
        fa += int(surge[i, :k].sum())
        years += k / 12
        hit = np.flatnonzero(surge[i, k:])
        if hit.size:
            detected += 1
            delays.append(int(hit[0]))
    return {"false_alarms_per_100_years": 100 * fa / years, "detected": detected, "deteriorations": n_det,
            "delays_months": delays}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--enterprises", type=int, default=ENTERPRISES)
    ap.add_argument("--budget", type=int, default=None, help=f"plan budget (default {BUDGET_SHARE:.0%} of the enterprises)")
    ap.add_argument("--first-seed", type=int, default=1, help="world seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--out", default=None, help="folder for the generated worlds (default: a temporary one)")
    a = ap.parse_args()
    budget = a.budget or round(BUDGET_SHARE * a.enterprises)
    root = Path(a.out or tempfile.mkdtemp(prefix="risk-quality-"))
    rows, t0 = [], time.time()
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        world = root / f"world-{seed}"
        if not (world / "manifest.json").is_file():
            generate_world(world, seed=seed, enterprises=a.enterprises)
        run = grade_frames(world_frames(world, AS_OF), AS_OF)
        r = {"seed": seed, **plan_figures(run, world, budget), **calibration_figures(run, world),
             **prequential_figures(run, world), "cusum": cusum_figures(world),
             "complaints": complaint_figures(world)}
        rows.append(r)
        print(f"seed {seed:2d}: gain {r['gain']:.2f} (realised {r['realised']:.2f}; oracle grades {r['oracle_policy']:.2f}, "
              f"oracle prop {r['oracle_prop']:.2f}, oracle top {r['oracle_top']:.2f}, model top {r['model_top']:.2f}, "
              f"CV2 {r['cv2']:.2f}) | ECE {r['ece']:.3f} (after level {r['ece_after_level']:.3f}) AUC {r['auc']:.3f} "
              f"(truth {r['auc_truth']:.3f}) obs {r['observed']:.3f} pred {r['predicted']:.3f} | monthly regrade: ECE "
              f"{r['ece_monthly']:.3f} pred {r['predicted_monthly']:.3f} | gain per drawn enterprise {r['gain_enterprise']:.2f}",
              flush=True)
    def col(k):
        return np.array([r[k] for r in rows])
    print(f"\n## {dt.date.today()} risk_quality: {a.seeds} worlds x {a.enterprises} enterprises, as of {AS_OF}, "
          f"budget {budget}, policy {DEFAULT_POLICY.version}, {time.time() - t0:.0f} s, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores\n")
    print("| figure | mean | min | max | worlds meeting the bar |\n|---|---|---|---|---|")
    for k, bar in (("gain", 2.0), ("gain_enterprise", 2.0), ("realised", 2.0), ("oracle_policy", 2.0), ("oracle_prop", 2.0), ("oracle_top", 2.0),
                   ("model_top", 2.0), ("cv2", None), ("ece", 0.03), ("ece_monthly", 0.03), ("ece_after_level", 0.03), ("ece_truth", 0.03),
                   ("observed", None), ("observed_last_year", None), ("predicted", None), ("predicted_monthly", None),
                   ("auc", None), ("auc_monthly", None),
                   ("auc_truth", None)):
        v = col(k)
        meet = "" if bar is None else (f"{int((v >= bar).sum())}/{len(v)} (>= {bar})" if "ece" not in k
                                       else f"{int((v <= bar).sum())}/{len(v)} (<= {bar})")
        print(f"| {k} | {v.mean():.3f} | {v.min():.3f} | {v.max():.3f} | {meet} |")
    bias = np.array([r["bias_by_month"] for r in rows if len(r["bias_by_month"]) == 12])
    if bias.size:
        print("\nmonthly regrade, mean predicted − observed by month of 2025 (mean over worlds): "
              + " ".join(f"{x:+.3f}" for x in bias.mean(0)))
    for p0 in (0.2, 0.3):
        h = cusum_threshold(100, p0, ODDS)
        sim = run_length_simulation(h, p0, ODDS, replications=4000, seed=1).mean()
        print(f"\nin-control run length at the scan's setting (ARL0 100, odds ratio {ODDS:g}, p0 {p0}): h = {h:.4f}, "
              f"simulated ARL {sim:.1f} ({100 * (sim / 100 - 1):+.1f} %)")
    print("\n| ARL0 (batches) | false alarms / 100 enterprise-years | detected (by the end of the data) | within 365 d "
          "| median delay: batches after the change (days) |")
    print("|---|---|---|---|---|")
    for arl0, oracle in [(a, False) for a in ARL0S] + [(a, True) for a in ARL0S]:
        key = (arl0, oracle)
        fa = np.mean([r["cusum"][key]["false_alarms_per_100_years"] for r in rows])
        det = sum(r["cusum"][key]["detected"] for r in rows)
        tot = sum(r["cusum"][key]["deteriorations"] for r in rows)
        year = sum(r["cusum"][key]["within_year"] for r in rows)
        delays = [d for r in rows for d in r["cusum"][key]["delays"]]
        days = [d for r in rows for d in r["cusum"][key]["delay_days"]]
        print(f"| {arl0}{' (oracle risk adjustment)' if oracle else ''} | {fa:.2f} | {det}/{tot} ({100 * det / max(tot, 1):.0f} %) | {year}/{tot} "
              f"({100 * year / max(tot, 1):.0f} %) | {np.median(delays) if delays else float('nan'):.0f} "
              f"({np.median(days) if days else float('nan'):.0f} d) |")

    fa = np.mean([r["complaints"]["false_alarms_per_100_years"] for r in rows])
    det = sum(r["complaints"]["detected"] for r in rows)
    tot = sum(r["complaints"]["deteriorations"] for r in rows)
    months = [m for r in rows for m in r["complaints"]["delays_months"]]
    print(f"\ncomplaint-surge detector (alpha 5e-3, every enterprise, both clusters): {fa:.2f} false alarms per 100 "
          f"enterprise-years, {det}/{tot} deteriorations detected ({100 * det / max(tot, 1):.0f} %), median delay "
          f"{np.median(months) if months else float('nan'):.0f} months after the change month")


if __name__ == "__main__":
    main()
