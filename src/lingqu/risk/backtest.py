"""Back-test the risk model on any inspection history (``lingqu risk backtest``).

The file has one row per inspection: ``inspection_id``, ``entity_id``, ``date``, ``outcome``
(1 = a problem was found, 0 = none, empty = not yet known) and any number of feature columns,
each known at the time of its inspection. A feature column is numeric when every non-empty
value parses as a number, categorical otherwise.

Leakage-free by construction (``docs/methods/risk-backtest.md``):
- with ``cutoff``, outcomes on or after the cutoff are treated as unknown everywhere — they train
  nothing, feed no history feature, and those rows are scored;
- a row's history features use only outcomes of the same entity on strictly earlier dates;
- a scored row is scored by a model trained only on rows dated before its *horizon*: the cutoff
  for rows on or after it, otherwise the first day of the calendar period (month, quarter, ...,
  chosen from the file's date span so that there are at most ``max_refits`` periods) holding the
  row's date, or the row's own date when nothing before the period start is known. The horizon
  is never after the row's date and depends on nothing but that date, the cutoff, the span of
  dates and outcomes before the row's date, so no outcome on or after a row's date can change
  its score.
  Scored rows whose horizons see the same training rows share one fitted model.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from lingqu.exceptions import LingquError, ValidationError
from lingqu.kit.tabular import LINE, OVERFLOW, column_names, open_table
from lingqu.stats import evaluation as ev
from lingqu.stats.grading import DEFAULT_POLICY, GradingPolicy, HistoryFeatures, RiskModel

REQUIRED = ("inspection_id", "entity_id", "date", "outcome")
EPOCH = date(1970, 1, 1)
PERIOD_MONTHS = (1, 2, 3, 6, 12, 24, 60, 120, 1200)
MAX_SHOWN = 5


@dataclass(frozen=True)
class Inspections:
    """A validated inspection history: ``frame`` has ``inspection_id``, ``entity`` (int code),
    ``day`` (days since 1970-01-01), ``outcome`` (Float64, null = not known) and the features."""

    frame: pl.DataFrame
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    categorical_labels: tuple[tuple[str, ...], ...]
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSummary:
    horizon: str
    training_rows: int
    positives: int
    scored_rows: int
    mode: str
    calibration: str
    prior_alpha: float
    prior_beta: float


@dataclass(frozen=True)
class BacktestReport:
    rows: int
    known_outcomes: int
    trained_on: int
    scored: int
    unscored: int
    evaluated: int
    cutoff: str | None
    refit_period_months: int
    policy: dict
    features: dict
    models: list[ModelSummary]
    metrics: dict | None
    out: str | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return _json_safe(asdict(self))


def _json_safe(v):
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_safe(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    return v


# --- reading and validating -----------------------------------------------------------------------

def _lines(frame: pl.DataFrame, bad: pl.Expr, column: str) -> str:
    rows = frame.filter(bad).select(LINE, column)
    shown = ", ".join(f"line {ln}: {v!r}" for ln, v in rows.head(MAX_SHOWN).iter_rows())
    more = f" (and {rows.height - MAX_SHOWN} more)" if rows.height > MAX_SHOWN else ""
    return shown + more


def read_inspections(path: str | Path) -> Inspections:
    """Read and validate a CSV/XLSX inspection history; raises ``ValidationError`` naming line and field."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"data: file not found: {path}", field="data")
    table = open_table(path)
    frames = []
    for chunk in table.chunks():
        if chunk.problems:
            ln, col, why = chunk.problems[0]
            raise ValidationError(f"line {ln}: {col}: {why}", field=col or "data")
        frames.append(chunk.frame)
    names = column_names(table.header)
    if not frames:
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.String) for n in names}).with_columns(
            pl.lit(None, pl.Int64).alias(LINE), pl.lit(False).alias(OVERFLOW))
    else:
        frame = pl.concat(frames, how="vertical_relaxed")
    over = frame.filter(pl.col(OVERFLOW))
    if over.height:
        raise ValidationError(f"line {over[LINE][0]}: more fields than the header has columns", field="data")
    return prepare(frame.drop(OVERFLOW), lines=True)


def _parse_dates(col: str) -> pl.Expr:
    s = pl.col(col)
    sep = s.str.extract_groups(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T])")
    compact = s.str.extract_groups(r"^(\d{4})(\d{2})(\d{2})$")
    parts = [pl.coalesce(sep.struct.field(str(i)), compact.struct.field(str(i))) for i in (1, 2, 3)]
    text = pl.concat_str([parts[0], parts[1].str.zfill(2), parts[2].str.zfill(2)], separator="-")
    return text.str.to_date("%Y-%m-%d", strict=False)


def prepare(frame: pl.DataFrame, *, lines: bool = False) -> Inspections:
    """Validate and type a frame of string columns (as read from a file)."""
    if not lines:
        frame = frame.with_columns(pl.int_range(2, pl.len() + 2).alias(LINE))
    rename, seen = {}, {}
    for c in frame.columns:
        key = c.strip().lstrip("\ufeff").lower()
        if key in REQUIRED and key not in seen:
            rename[c], seen[key] = key, c
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise ValidationError(f"missing column(s): {', '.join(missing)} (the file needs {', '.join(REQUIRED)}; "
                              f"every other column is a feature)", field=missing[0])
    frame = frame.rename(rename)
    strings = [c for c in frame.columns if c != LINE]
    frame = frame.with_columns(
        [pl.col(c).cast(pl.String).str.strip_chars().replace("", None).alias(c) for c in strings])
    if frame.height == 0:
        raise ValidationError("data: the file has no inspections (no rows after the header)", field="data")
    for c in ("inspection_id", "entity_id", "date"):
        if frame[c].null_count():
            raise ValidationError(f"{c}: empty value at {_lines(frame, pl.col(c).is_null(), c)}", field=c)
    dup = pl.col("inspection_id").is_duplicated()
    if frame.select(dup.any()).item():
        raise ValidationError(f"inspection_id: repeated at {_lines(frame, dup, 'inspection_id')}", field="inspection_id")
    frame = frame.with_columns(_parse_dates("date").alias("_day"))
    bad = pl.col("_day").is_null()
    if frame.select(bad.any()).item():
        raise ValidationError(f"date: not a date (use YYYY-MM-DD) at {_lines(frame, bad, 'date')}", field="date")
    out = pl.col("outcome")
    bad = out.is_not_null() & ~out.is_in(["0", "1", "0.0", "1.0"])
    if frame.select(bad.any()).item():
        raise ValidationError(f"outcome: must be 1 (problem found), 0 (none) or empty (not yet known); "
                              f"bad value at {_lines(frame, bad, 'outcome')}", field="outcome")
    features = [c for c in frame.columns if c not in REQUIRED and c not in (LINE, "_day")]
    numeric, categorical, ignored = [], [], []
    casts = frame.select([pl.col(c).cast(pl.Float64, strict=False).alias(c) for c in features]) if features else None
    for c in features:
        present = frame[c].null_count() < frame.height
        if not present:
            ignored.append(c)
        elif casts[c].null_count() == frame[c].null_count():
            numeric.append(c)
        else:
            categorical.append(c)
    labels = tuple(tuple(frame[c].drop_nulls().unique().sort().to_list()) for c in categorical)
    typed = frame.select(
        pl.col(LINE),
        pl.col("inspection_id"),
        (pl.col("entity_id").rank("dense") - 1).cast(pl.Int64).alias("entity"),
        (pl.col("_day") - pl.lit(EPOCH)).dt.total_days().cast(pl.Int64).alias("day"),
        pl.col("outcome").cast(pl.Float64),
        *[pl.when(casts[c].is_finite()).then(casts[c]).otherwise(None).alias(c) for c in numeric]
        if numeric else [],
        *[(pl.col(c).rank("dense") - 1).fill_null(-1).cast(pl.Int64).alias(c) for c in categorical],
    )
    return Inspections(typed, tuple(numeric), tuple(categorical), labels, tuple(ignored))


# --- the back-test --------------------------------------------------------------------------------

def _period_months(days: np.ndarray, max_refits: int) -> int:
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    lo, hi = int(months.min()), int(months.max())
    for length in PERIOD_MONTHS:
        if hi // length - lo // length + 1 <= max_refits:
            return length
    return PERIOD_MONTHS[-1]


def _period_start(days: np.ndarray, length: int) -> np.ndarray:
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    start = (months // length) * length
    return start.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def backtest(data: Inspections, cutoff: date | None = None, *, policy: GradingPolicy = DEFAULT_POLICY,
             max_refits: int = 12, model_options: dict | None = None) -> tuple[pl.DataFrame, BacktestReport]:
    """Score every row whose outcome is unknown (or on/after ``cutoff``); evaluate where known.

    Returns the scores (``inspection_id``, ``score`` — null when nothing before the row could
    train a model) in file order, and the report.
    """
    if isinstance(max_refits, bool) or not isinstance(max_refits, int) or max_refits < 1:
        raise ValidationError(f"max_refits must be a whole number >= 1 (got {max_refits!r})", field="max_refits")
    f = data.frame
    n = f.height
    day = f["day"].to_numpy().astype(np.int64)
    ent = f["entity"].to_numpy().astype(np.int64)
    truth = f["outcome"].to_numpy(allow_copy=True).astype(float)
    cut = None if cutoff is None else (cutoff - EPOCH).days
    known = ~np.isnan(truth) if cut is None else ~np.isnan(truth) & (day < cut)
    y = np.where(known, truth, np.nan)
    if not known.any():
        where = "" if cut is None else f" before the cutoff {cutoff.isoformat()}"
        raise ValidationError(f"outcome: no row has a known outcome{where}; there is nothing to train on", field="outcome")
    numeric = f.select(data.numeric).to_numpy().astype(float) if data.numeric else np.zeros((n, 0))
    categorical = f.select(data.categorical).to_numpy().astype(np.int64) if data.categorical else np.zeros((n, 0), np.int64)
    history = HistoryFeatures(last_k=3).transform(ent, day, y)

    length = _period_months(day, max_refits)
    scored = np.flatnonzero(~known)
    horizon = _period_start(day[scored], length)
    if cut is not None:
        horizon = np.where(day[scored] >= cut, cut, horizon)
    train = np.flatnonzero(known)
    train = train[np.argsort(day[train], kind="stable")]
    train_days = day[train]
    n_before = np.searchsorted(train_days, horizon, side="left")
    # nothing known before the period start (the first period): the row's own date is the horizon
    first = n_before == 0
    horizon[first] = day[scored[first]]
    n_before[first] = np.searchsorted(train_days, horizon[first], side="left")
    score = np.full(n, np.nan)
    base = np.full(n, np.nan)
    models, notes = [], []
    opts = model_options or {}
    for m in np.unique(n_before):
        rows = scored[n_before == m]
        first_horizon = int(horizon[n_before == m].min())
        if m == 0:
            notes.append(f"{rows.size} scored row(s) with no known outcome on any earlier date were left unscored")
            continue
        idx = train[:m]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = RiskModel(**opts).fit(
                ent[idx], day[idx], y[idx], history.take(idx), numeric[idx], categorical[idx],
                numeric_names=data.numeric, categorical_names=data.categorical,
                categorical_labels=data.categorical_labels)
        notes.extend(model.warnings_)
        score[rows] = model.predict_proba(history.take(rows), numeric[rows], categorical[rows])
        base[rows] = model.n_positive_ / model.n_train_
        models.append(ModelSummary(horizon=_iso(first_horizon), training_rows=int(m), positives=model.n_positive_,
                                   scored_rows=int(rows.size), mode=model.mode_, calibration=model.calibration_,
                                   prior_alpha=model.prior_.alpha_, prior_beta=model.prior_.beta_))
    scores = pl.DataFrame({"inspection_id": f["inspection_id"].gather(scored),
                           "score": pl.Series(score[scored], dtype=pl.Float64, nan_to_null=True)})
    has_score = ~np.isnan(score[scored])
    evaluable = scored[has_score & ~np.isnan(truth[scored])]
    metrics = metrics_of(truth[evaluable], score[evaluable], base[evaluable], policy) if evaluable.size else None
    report = BacktestReport(
        rows=n, known_outcomes=int((~np.isnan(truth)).sum()), trained_on=int(max((s.training_rows for s in models), default=0)),
        scored=int(scored.size), unscored=int((~has_score).sum()), evaluated=int(evaluable.size),
        cutoff=None if cutoff is None else cutoff.isoformat(), refit_period_months=length, policy=policy.as_dict(),
        features={"numeric": list(data.numeric), "categorical": list(data.categorical), "ignored_empty": list(data.ignored),
                  "history": ["prior_inspections", "prior_known", "prior_failures", "failures_last_3",
                              "shrunk_failure_rate", "days_since_failure", "days_since_previous"]},
        models=models, metrics=metrics, warnings=sorted(set(notes)))
    return scores, report


def metrics_of(y: np.ndarray, p: np.ndarray, base: np.ndarray, policy: GradingPolicy) -> dict:
    """The evaluation figures of probabilities ``p`` against outcomes ``y`` (``base``: the naive
    forecaster the Brier skill is measured against); shared by the back-test and the check of the
    stored grades (``risk.calibration``)."""
    n1 = int(y.sum())
    n0 = y.size - n1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ev.EvaluationWarning)
        auc = ev.roc_auc(y, p)
        top = ev.share_of_positives_in_top_half(y, p)
    brier = ev.brier_score(y, p)
    ref = ev.brier_score(y, base)
    grades = policy.grade(p)
    return {
        "n": int(y.size), "positives": n1, "observed_rate": float(y.mean()), "mean_predicted": float(p.mean()),
        "auc": auc, "auc_se": ev.auc_standard_error(auc, n1, n0) if n1 and n0 else None,
        "brier": brier, "brier_reference": ref, "brier_skill": 1 - brier / ref if ref > 0 else None,
        "ece": ev.expected_calibration_error(y, p, bins=10),
        "calibration": [asdict(b) for b in ev.calibration_table(y, p, bins=10)],
        "hit_rate_by_grade": [asdict(g) for g in ev.hit_rate_by_grade(y, grades, p)],
        "top_half_share_of_positives": top,
    }


def run_backtest(data: str | Path, out: str | Path, cutoff: date | None = None, *,
                 policy: GradingPolicy = DEFAULT_POLICY) -> BacktestReport:
    """Read ``data``, back-test, write ``inspection_id,score`` to ``out`` and return the report."""
    out = Path(out)
    if not out.parent.is_dir():
        raise ValidationError(f"out: folder does not exist: {out.parent}", field="out")
    inspections = read_inspections(data)
    scores, report = backtest(inspections, cutoff, policy=policy)
    try:
        scores.write_csv(out, float_precision=6)
    except OSError as e:
        raise LingquError(f"out: cannot write {out}: {e}", field="out") from e
    return replace(report, out=str(out))


def parse_cutoff(text: str | None) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"cutoff: {text!r} is not a date (use YYYY-MM-DD)", field="cutoff") from None
