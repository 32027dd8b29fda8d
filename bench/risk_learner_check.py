"""Is the grading model at the limit of what its data say? A flexible learner on the same rows.

    pip install -e '.[bench]'     # scikit-learn, for this check only
    PYTHONPATH=src .venv/bin/python bench/risk_learner_check.py [--seeds 5] [--out DIR]

For each demo world (seeds 1..N, 4,000 enterprises, as ``bench/risk_quality.py``), the engine grades
every enterprise as of 2025-01-01 from the public files; then a gradient-boosted tree ensemble
(scikit-learn's ``HistGradientBoostingClassifier``: interactions and non-linear effects the
logistic model cannot express) is fitted on the *same* training rows (history, numeric and
categorical columns of ``features.Rows``) and scores the same enterprises, the channel averaged
out as the engine does. Both are compared against the hidden 2025 truth (evaluation only):

- batch AUC over the 2025 batches;
- the mean hidden failure probability of each one's top 10 % of enterprises, relative to all
  enterprises (the plan estimand "one batch per drawn enterprise", at a deterministic top-k);
- the same for the ideal top 10 % by hidden probability.

If the flexible learner does no better, the gap to the 2× plan-gain bar is in the data (how much an
enterprise's records reveal of its hidden propensity), not in the model's form.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from lingqu.risk.service import score_frames
from lingqu.risk.worldfiles import world_frames
from lingqu.simulate.world import generate_world
from lingqu.stats import evaluation as ev
from lingqu.stats.grading.history import HISTORY_FIELDS

AS_OF = dt.date(2025, 1, 1)


def learner_scores(rows) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier

    hist = np.column_stack([getattr(rows.history, f) for f in HISTORY_FIELDS])
    n_cat = rows.categorical.shape[1]
    x = np.column_stack([hist, rows.numeric, np.where(rows.categorical < 0, np.nan, rows.categorical)])
    nt = rows.n_train
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=80,
                                           categorical_features=[False] * (x.shape[1] - n_cat) + [True] * n_cat,
                                           early_stopping=True, random_state=0).fit(x[:nt], rows.outcome[:nt])
    scoring = x[nt:].copy()
    channel = x.shape[1] - n_cat  # the first categorical column: averaged over the training rows' mix
    codes = rows.categorical[:nt, 0]
    share = np.bincount(codes[codes >= 0]).astype(float)
    share /= share.sum()
    p = np.zeros(scoring.shape[0])
    for c, w in enumerate(share):
        scoring[:, channel] = c
        p += w * model.predict_proba(scoring)[:, 1]
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--enterprises", type=int, default=4000)
    ap.add_argument("--out", default=None, help="folder of the generated worlds (reuses risk_quality.py's)")
    a = ap.parse_args()
    root = Path(a.out or tempfile.mkdtemp(prefix="risk-learner-"))
    print("| seed | batch AUC engine | learner | truth | top 10 % engine | learner | ideal |\n|---|---|---|---|---|---|---|")
    for seed in range(1, a.seeds + 1):
        world = root / f"world-{seed}"
        if not (world / "manifest.json").is_file():
            generate_world(world, seed=seed, enterprises=a.enterprises)
        frames = world_frames(world, AS_OF)
        scored = score_frames(frames, AS_OF)
        g = pl.DataFrame({"uscc": frames.enterprises["uscc"], "engine": scored.probability,
                          "learner": learner_scores(scored.rows)})
        truth = pl.read_csv(world / "truth" / "batches.csv").filter(pl.col("sampled_on") >= AS_OF.isoformat())
        per = g.join(truth.group_by("uscc").agg(pl.col("failure_probability").mean().alias("tp")), on="uscc")
        tp = per["tp"].to_numpy()
        k = round(0.1 * per.height)

        def top(score: np.ndarray) -> float:
            return float(tp[np.argsort(-score, kind="stable")[:k]].mean() / tp.mean())

        b = truth.join(g, on="uscc")
        y = b["failed"].to_numpy().astype(float)
        print(f"| {seed} | {ev.roc_auc(y, b['engine'].to_numpy()):.3f} | {ev.roc_auc(y, b['learner'].to_numpy()):.3f} | "
              f"{ev.roc_auc(y, b['failure_probability'].to_numpy()):.3f} | {top(per['engine'].to_numpy()):.2f} | "
              f"{top(per['learner'].to_numpy()):.2f} | {top(tp):.2f} |", flush=True)


if __name__ == "__main__":
    main()
