"""Risk grading of every enterprise as of a date (``lingqu risk grade``).

1. Read, columnar, everything dated strictly before the as-of date (``repository``).
2. Build one training row per past batch and one scoring row per enterprise
   (``features.build_rows``): features of a row use only records before the row's date.
3. Fit :class:`lingqu.stats.grading.RiskModel` (empirical-Bayes shrinkage, history features,
   penalised logistic regression, Platt calibration on the time-ordered tail) on the batches.
4. Score each enterprise at the as-of date; the channel of its next batch is not known, so the
   probability is averaged over the channel mix of the training batches.
5. Grade by the versioned :class:`GradingPolicy`, explain (``reasons``), and store: a grade
   for the same enterprise, as-of date and policy version is never silently replaced —
   identical → "unchanged"; different → updated with an audit entry holding before and after.

Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from lingqu.audit.service import record, record_many
from lingqu.exceptions import ValidationError
from lingqu.risk import repository
from lingqu.risk.features import CCC_LEVELS, build_rows
from lingqu.risk.models import RiskGrade
from lingqu.risk.reasons import CATEGORICAL_FACTOR, explain, factor_of
from lingqu.stats.grading import DEFAULT_POLICY, GRADES, GradingPolicy, RiskModel

ACTOR = "lingqu risk grade"
#: L2 penalty of the logistic model, chosen on tuning worlds 101-108 (never on the reported worlds 1-20):
#: 1 / 10 / 100 / 300 gave plan gain 1.573 / 1.608 / 1.617 / 1.609 and AUC 0.675 / 0.680 / 0.681 / 0.680
#: (bench/risk_quality.py --first-seed 101 --seeds 8; docs/methods/risk-grading.md)
L2 = 100.0
#: features of a training batch are taken as of the start of its period of this many months (0: its own date)
SNAPSHOT_MONTHS = 0
#: Platt map on the time-ordered last 20 % of the training batches. Tried on 3 worlds (bench/risk_quality.py):
#: isotonic, or Platt on the last 365 / 183 days, calibrated no better on the held-out year (the error there
#: is the year's market-wide level shift, which no earlier record reveals; docs/methods/risk-grading.md).
CALIBRATION = "platt"
CALIBRATION_DAYS = None
#: the level of the log-odds is refitted on the training batches of the last LEVEL_DAYS days (recalibration
#: in the large, prior sd LEVEL_PRIOR_SD): chosen on tuning worlds 101-104 (docs/methods/risk-grading.md)
LEVEL_DAYS = 60
LEVEL_PRIOR_SD = 0.5
#: Above this many training batches (a province or a country: never a city's database) the regression
#: and the calibrator are each fitted on a seeded random sample of this many of their rows
#: (``RiskModel.max_fit_rows``; docs/methods/risk-bulk.md): a few dozen coefficients are fixed to a few
#: thousandths long before that, and the fit's time and memory grow with the rows.
MAX_FIT_ROWS = 500_000


@dataclass(frozen=True)
class EnterpriseGrade:
    enterprise_id: int
    uscc: str
    name: str
    district: str
    probability: float
    grade: str
    reasons: list


@dataclass
class GradingRun:
    as_of: dt.date
    policy_version: str
    grades: list[EnterpriseGrade]
    training_rows: int = 0
    positives: int = 0
    calibration: str = ""
    prior: dict = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def distribution(self) -> dict:
        counts = {g: 0 for g in GRADES}
        for e in self.grades:
            counts[e.grade] = counts.get(e.grade, 0) + 1
        return counts

    def as_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "policy_version": self.policy_version,
                "model": {"training_rows": self.training_rows, "positives": self.positives,
                          "calibration": self.calibration, "prior": self.prior},
                "stored": {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged},
                "distribution": self.distribution(),
                "grades": [{"uscc": g.uscc, "name": g.name, "district": g.district,
                            "probability": round(g.probability, 6), "grade": g.grade, "reasons": g.reasons}
                           for g in self.grades],
                "warnings": self.warnings}


def parse_as_of(text: str | None, default: dt.date | None = None, field: str = "as_of") -> dt.date:
    if text is None or not str(text).strip():
        return default or dt.date.today()
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(f"{field}: {text!r} is not a date (use YYYY-MM-DD)", field=field) from None


def compute_grades(session: Session, as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY) -> GradingRun:
    """Fit and score (no writes). Enterprises of the clusters with sampling history are graded."""
    clusters = repository.sampled_clusters(session, as_of)
    if not clusters:
        raise ValidationError(f"as_of: no sampled batch before {as_of.isoformat()}; nothing to grade from", field="as_of")
    frames = GradingFrames(repository.enterprises(session, clusters), repository.batches(session, as_of),
                           repository.failed_items(session, as_of), repository.complaints(session, as_of),
                           repository.certificates(session, as_of), repository.assistance(session, as_of),
                           repository.measured_results(session, as_of))
    return grade_frames(frames, as_of, policy, city_names=repository.city_names(session))


@dataclass(frozen=True)
class GradingFrames:
    """The columnar inputs of a grading run, each holding only records dated before the as-of date
    (columns as returned by ``lingqu.risk.repository``). Built from the database by
    :func:`compute_grades`, or from a demo world's public files by ``lingqu.risk.worldfiles`` for the
    benchmark, so the same model runs on both."""

    enterprises: object
    batches: object
    failed_items: object
    complaints: object
    certificates: object
    assistance: object
    measured: object = None


@dataclass
class Scored:
    """A fitted model and the probabilities and grades of every enterprise of the frames (no reasons)."""

    model: RiskModel
    rows: object
    scored: np.ndarray   # row indices of the enterprises' scoring rows in ``rows``
    probability: np.ndarray
    grades: np.ndarray
    warnings: list[str]


def score_frames(frames: GradingFrames, as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY,
                 timings: dict | None = None) -> Scored:
    """Fit on the batches before ``as_of`` and score every enterprise of ``frames.enterprises``.

    The one scoring path: :func:`grade_frames` adds the reasons for the pages and the database, and the
    bulk path (``lingqu.risk.bulk``) calls this directly on frames aggregated in SQL, so both grade with
    the same model. ``timings`` (if given) receives the seconds of each step."""
    t0 = time.perf_counter()
    ent = frames.enterprises
    rows = build_rows(ent, frames.batches, frames.failed_items, frames.complaints, frames.certificates,
                      frames.assistance, as_of, SNAPSHOT_MONTHS, frames.measured)
    if timings is not None:
        timings["features_s"] = time.perf_counter() - t0
    return score_rows(rows, ent.height, policy, timings)


def score_rows(rows, n_ent: int, policy: GradingPolicy = DEFAULT_POLICY, timings: dict | None = None) -> Scored:
    """Fit on the training rows of ``rows`` (``features.Rows``) and score its ``n_ent`` scoring rows:
    the model part of :func:`score_frames`, shared with the bulk path, whose rows come from SQL
    (``risk.bulk_features``). ``timings`` (if given) receives ``fit_s`` and ``score_s``."""
    t1 = time.perf_counter()
    nt = rows.n_train
    # the training rows are the first nt rows and the scoring rows the rest: slices (views), not
    # fancy-index copies of every column (RiskModel.fit and predict_proba do not write to their inputs)
    tr = slice(0, nt)
    sc = slice(nt, nt + n_ent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = RiskModel(l2=L2, calibration=CALIBRATION, calibration_days=CALIBRATION_DAYS, level_days=LEVEL_DAYS,
                          level_prior_sd=LEVEL_PRIOR_SD, max_fit_rows=MAX_FIT_ROWS).fit(
            rows.entity[tr], rows.day[tr], rows.outcome[tr], rows.history.take(tr), rows.numeric[tr],
            rows.categorical[tr], numeric_names=rows.numeric_names, categorical_names=rows.categorical_names,
            categorical_labels=rows.categorical_labels)
    t2 = time.perf_counter()
    hist = rows.history.take(sc)
    num, cat = rows.numeric[sc], rows.categorical[sc].copy()
    channels = rows.categorical[tr, 0]
    share = np.bincount(channels[channels >= 0], minlength=len(rows.categorical_labels[0])).astype(float)
    if share.sum() == 0:
        p = model.predict_proba(hist, num, cat)
    else:
        share /= share.sum()
        p = np.zeros(n_ent)
        for c, w in enumerate(share):
            if w > 0:
                cat[:, 0] = c
                p += w * model.predict_proba(hist, num, cat)
    p = np.clip(p, 0.0, 1.0)
    if timings is not None:
        timings.update({"fit_s": t2 - t1, "score_s": time.perf_counter() - t2})
    return Scored(model, rows, np.arange(nt, nt + n_ent), p, policy.grade(p),
                  sorted({str(w.message) for w in caught}))


def reasons_of(scored: Scored, ent, city_names: dict[str, str] | None = None) -> list[list]:
    """Each enterprise's reasons in words (``city_names``: code → name, so that a reason says
    "所在城市：深圳" rather than a code)."""
    model, rows = scored.model, scored.rows
    shrunk = model.prior_.posterior_mean(rows.counts["prior_failures"], rows.counts["prior_known"])
    ctx = {"shrunk": shrunk, "prior_mean": model.prior_.prior_mean_, "top_items": rows.top_items,
           "size": ent["size"].fill_null("").to_list(),
           "city": [(city_names or {}).get(c, c) for c in ent["city_code"].fill_null("").to_list()],
           "ccc": [CCC_LEVELS[k] for k in rows.counts["ccc"]]}
    return explain(_contributions(model, rows, scored.scored), scored.probability, rows.counts, ctx)


def grade_frames(frames: GradingFrames, as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY,
                 city_names: dict[str, str] | None = None) -> GradingRun:
    """Grades with their reasons for every enterprise of ``frames.enterprises``."""
    ent = frames.enterprises
    scored = score_frames(frames, as_of, policy)
    model = scored.model
    reasons = reasons_of(scored, ent, city_names)
    out = [EnterpriseGrade(int(e), u, nm, d or "", float(pi), str(g), r) for e, u, nm, d, pi, g, r in zip(
        ent["enterprise_id"].to_list(), ent["uscc"].to_list(), ent["name"].to_list(), ent["district"].to_list(),
        scored.probability, scored.grades, reasons)]
    out.sort(key=lambda g: (-g.probability, g.uscc))
    return GradingRun(as_of=as_of, policy_version=policy.version, grades=out, training_rows=model.n_train_,
                      positives=model.n_positive_, calibration=model.calibration_,
                      prior={"alpha": round(model.prior_.alpha_, 4), "beta": round(model.prior_.beta_, 4),
                             "mean": round(model.prior_.prior_mean_, 4)},
                      warnings=scored.warnings)


def _contributions(model: RiskModel, rows, sc: np.ndarray) -> dict[str, np.ndarray]:
    """Per factor, each scored enterprise's calibrated log-odds relative to the average enterprise."""
    if model.mode_ != "regression":
        return {}
    hist = rows.history.take(sc)
    x = np.hstack([rows.numeric[sc], model._history_columns(hist)])
    design = model.encoder_.transform(x, rows.categorical[sc])
    slope = getattr(model.calibrator_, "a_", 1.0) if model.calibrator_ is not None else 1.0
    reg = model.regression_
    out: dict[str, np.ndarray] = {}
    z = design.dense - design.dense.mean(axis=0)
    for j, name in enumerate(design.dense_names):
        f = factor_of(name)
        if f is None:
            continue
        out[f] = out.get(f, 0.0) + slope * reg.coef_[j] * z[:, j]
    for j, name in enumerate(model.encoder_.categorical_names_):
        f = CATEGORICAL_FACTOR.get(name)
        if f is None:
            continue
        v = reg.level_coef_[j][design.codes[:, j]]
        out[f] = slope * (v - v.mean())
    return {k: np.asarray(v, dtype=float) * np.ones(sc.size) for k, v in out.items()}


def _same(stored: RiskGrade, g: EnterpriseGrade) -> bool:
    return (abs(stored.probability - round(g.probability, 6)) < 5e-7 and stored.grade == g.grade
            and stored.reasons == g.reasons)


def grade_enterprises(session: Session, as_of: dt.date, policy: GradingPolicy = DEFAULT_POLICY,
                      actor: str = ACTOR) -> GradingRun:
    """Compute the grades as of ``as_of`` and store them (insert / update with audit / unchanged)."""
    run = compute_grades(session, as_of, policy)
    existing = repository.grades_at(session, as_of, policy.version)
    new, changes = [], []
    for g in run.grades:
        old = existing.get(g.enterprise_id)
        if old is None:
            new.append(RiskGrade(enterprise_id=g.enterprise_id, as_of=as_of, policy_version=policy.version,
                                 probability=round(g.probability, 6), grade=g.grade, reasons=g.reasons))
        elif _same(old, g):
            run.unchanged += 1
        else:
            before = {"probability": old.probability, "grade": old.grade}
            old.probability, old.grade, old.reasons = round(g.probability, 6), g.grade, g.reasons
            changes.append((f"{g.uscc}/{as_of.isoformat()}/{policy.version}", before,
                            {"probability": old.probability, "grade": old.grade}))
    repository.add_grades(session, new)
    run.inserted, run.updated = len(new), len(changes)
    if new:
        record(session, actor=actor, action="grade", entity="risk_grade", key=f"{as_of.isoformat()}/{policy.version}",
               after={"inserted": len(new), "distribution": run.distribution(), "training_rows": run.training_rows},
               note="risk grades computed and stored")
    if changes:
        record_many(session, actor=actor, action="update", entity="risk_grade", changes=changes,
                    note="re-grading the same as-of date changed these grades")
    session.flush()
    return run


def enterprise_card(session: Session, uscc: str, scope, policy: GradingPolicy = DEFAULT_POLICY) -> dict:
    """One enterprise's risk card: its grade history (newest first) with reasons, and the alerts of
    its own series (newest first). Outside the caller's scope it answers 404 exactly as for an
    unknown USCC."""
    from lingqu.exceptions import NotFound

    who = repository.enterprise_city(session, uscc)
    if who is None:
        raise NotFound(f"未找到统一社会信用代码为 {uscc} 的企业 (no such enterprise)", field="uscc")
    scope.check_enterprise(who[0], who[2])
    history = [{"as_of": a.isoformat(), "probability": p, "grade": g, "reasons": r}
               for a, p, g, r in repository.enterprise_grades(session, uscc, policy.version)]
    from lingqu.alert.service import enterprise_alerts

    return {"uscc": who[0], "name": who[1], "city_code": who[2], "district": who[3] or "",
            "policy": policy.as_dict(), "history": history, "current": history[0] if history else None,
            # what has just changed: the warnings raised on the enterprise's own series
            "alerts": enterprise_alerts(session, who[4])}
