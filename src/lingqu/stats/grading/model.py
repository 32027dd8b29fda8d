"""The risk model: shrinkage prior, history features, logistic regression and calibration together."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import expit, logit

from lingqu.stats.grading._common import GradingParameterError, GradingWarning, _binary, _positive, _whole
from lingqu.stats.grading.calibration import IsotonicCalibrator, PlattCalibrator, recalibration_in_the_large
from lingqu.stats.grading.history import History
from lingqu.stats.grading.logistic import PenalisedLogisticRegression, TabularEncoder
from lingqu.stats.grading.shrinkage import BetaBinomialShrinkage


HISTORY_NAMES = ("hist_shrunk_rate_logit", "hist_prior_known_log1p", "hist_prior_inspections_log1p",
                 "hist_failures_last_k", "hist_days_since_failure_log1p", "hist_days_since_previous_log1p")


class RiskModel:
    """Probability that an inspection finds a problem, from its features and its entity's history.

    ``fit(entity, day, y, history, numeric, categorical)`` on training rows (all outcomes known):
    1. the Beta prior of :class:`BetaBinomialShrinkage` from the entities' totals in these rows;
    2. history columns (:data:`HISTORY_NAMES`): logit of the entity's shrunk failure rate
       ``(α + earlier failures)/(α + β + earlier known)``, log counts, failures in the last k,
       log days since the last failure and since the previous inspection (missing when none);
    3. the rows are ordered by date; the last ``calibration_share`` of them (split between
       dates) is held out, the encoder and logistic regression are fitted on the rest and the
       calibrator on the held-out tail's scores. Without enough rows or both outcomes in either
       part, the calibration step is skipped (``calibration_`` says why).
    With fewer than ``min_train`` rows or fewer than 2 rows of either outcome, no regression is
    fitted and the prediction is the shrunk rate itself (``mode_ == "shrinkage"``).

    ``max_fit_rows`` (default None: every row): when the head or the tail holds more rows than
    this, the regression (with its encoder) or the calibrator is fitted on a uniform random
    sample of that many of its rows, drawn with ``numpy.random.default_rng(fit_seed)``. Why: a
    model of a few dozen coefficients is pinned down long before millions of rows (standard
    errors shrink as 1/sqrt(n); at 500,000 rows they are a few thousandths on the standardised
    scale), while the Newton passes cost time and memory in proportion to the rows. The prior,
    the history features and the head/tail split always use every row, and below the cap
    nothing changes (``fit_rows_`` records the rows used by each part).
    """

    def __init__(self, l2: float = 1.0, max_levels: int = 20, min_level_count: int = 5,
                 calibration: str = "platt", calibration_share: float = 0.2, min_calibration_rows: int = 30,
                 min_train: int = 30, calibration_days: int | None = None, level_days: int | None = None,
                 level_prior_sd: float = 0.5, max_fit_rows: int | None = None, fit_seed: int = 0) -> None:
        if calibration not in ("platt", "isotonic", "none"):
            raise GradingParameterError(f"calibration must be 'platt', 'isotonic' or 'none' (got {calibration!r})",
                                        field="calibration")
        self.l2 = _positive(l2, "l2", allow_zero=True)
        self.max_levels = _whole(max_levels, "max_levels", 1)
        self.min_level_count = _whole(min_level_count, "min_level_count", 1)
        self.calibration = calibration
        self.calibration_share = _positive(calibration_share, "calibration_share")
        if self.calibration_share >= 1:
            raise GradingParameterError("calibration_share must be between 0 and 1", field="calibration_share")
        self.min_calibration_rows = _whole(min_calibration_rows, "min_calibration_rows", 2)
        self.min_train = _whole(min_train, "min_train", 2)
        self.calibration_days = None if calibration_days is None else _whole(calibration_days, "calibration_days", 1)
        self.level_days = None if level_days is None else _whole(level_days, "level_days", 1)
        self.level_prior_sd = _positive(level_prior_sd, "level_prior_sd")
        self.max_fit_rows = None if max_fit_rows is None else _whole(max_fit_rows, "max_fit_rows", 1000)
        self.fit_seed = _whole(fit_seed, "fit_seed", 0)

    def _history_columns(self, history: History) -> np.ndarray:
        rate = self.prior_.posterior_mean(history.prior_failures, history.prior_known)
        rate = np.clip(rate, 1e-6, 1 - 1e-6)
        return np.column_stack([logit(rate), np.log1p(history.prior_known), np.log1p(history.prior_inspections),
                                history.failures_last_k, np.log1p(history.days_since_failure),
                                np.log1p(history.days_since_previous)])

    def fit(self, entity, day, y, history: History, numeric=None, categorical=None,
            numeric_names=None, categorical_names=None, categorical_labels=None) -> RiskModel:
        yy = _binary(y)
        ent = np.asarray(entity).ravel()
        d = np.asarray(day).ravel()
        n = yy.size
        if ent.size != n or d.size != n or history.prior_known.size != n:
            raise GradingParameterError("entity, day, y and history must have one value per row", field="y")
        if n == 0:
            raise GradingParameterError("y must hold at least one outcome", field="y")
        num = np.zeros((n, 0)) if numeric is None else np.asarray(numeric, dtype=float).reshape(n, -1)
        cat = np.zeros((n, 0), dtype=np.int64) if categorical is None else np.asarray(categorical).reshape(n, -1)
        if not np.issubdtype(ent.dtype, np.integer):
            ent = np.unique(ent, return_inverse=True)[1]
        trials = np.bincount(ent)
        fails = np.bincount(ent, weights=yy)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GradingWarning)
            self.prior_ = BetaBinomialShrinkage().fit(fails, trials)
        self.warnings_ = [str(w.message) for w in caught]
        self.n_train_ = int(n)
        self.n_positive_ = int(yy.sum())
        self.calibrator_ = None
        self.level_shift_ = 0.0
        self.fit_rows_ = {}
        if n < self.min_train or min(self.n_positive_, n - self.n_positive_) < 2:
            self.mode_ = "shrinkage"
            self.calibration_ = "none: too few training rows for a regression"
            return self
        self.mode_ = "regression"
        names = tuple(numeric_names or (f"x{i}" for i in range(num.shape[1]))) + HISTORY_NAMES
        if self.calibration == "none":
            split = None
        elif self.calibration_days is not None:  # the last calibration_days before the newest training day
            split = int(d.max()) - self.calibration_days + 1
        else:  # the day at that rank of the time order (a selection, not a sort)
            split = np.partition(d, int(math.floor(n * (1 - self.calibration_share))))[
                int(math.floor(n * (1 - self.calibration_share)))]
        tail = d >= split if split is not None else np.zeros(n, dtype=bool)
        n_tail, tail_pos = int(tail.sum()), int(yy[tail].sum())
        head_ok = (n - n_tail) >= self.min_train and 2 <= int(yy[~tail].sum()) <= (n - n_tail) - 2
        tail_ok = n_tail >= self.min_calibration_rows and 1 <= tail_pos <= n_tail - 1
        if self.calibration == "none":
            self.calibration_ = "none"
        elif not (head_ok and tail_ok):
            self.calibration_ = f"none: held-out tail too small ({n_tail} rows, {tail_pos} positive)"
            tail = np.zeros(n, dtype=bool)
        else:
            self.calibration_ = self.calibration
        rng = np.random.default_rng(self.fit_seed)
        head = self._fit_rows(np.flatnonzero(~tail), rng)
        tail = self._fit_rows(np.flatnonzero(tail), rng)
        self.fit_rows_ = {"regression": int(head.size), "calibration": int(tail.size)}

        def design_x(rows: np.ndarray) -> np.ndarray:  # only the rows used: history columns are row-wise
            return np.hstack([num[rows], self._history_columns(history.take(rows))])

        x = design_x(head)
        self.encoder_ = TabularEncoder(self.max_levels, self.min_level_count).fit(
            x, cat[head], names, categorical_names, categorical_labels)
        self.regression_ = PenalisedLogisticRegression(self.l2).fit(self.encoder_.transform(x, cat[head]), yy[head])
        del x
        if tail.size:
            s = self.regression_.decision_function(self.encoder_.transform(design_x(tail), cat[tail]))
            cal = PlattCalibrator() if self.calibration == "platt" else IsotonicCalibrator()
            self.calibrator_ = cal.fit(s, yy[tail])
        if self.level_days is not None:
            recent = self._fit_rows(np.flatnonzero(d >= int(d.max()) - self.level_days + 1), rng)
            if recent.size:
                self.level_shift_ = recalibration_in_the_large(
                    self._calibrated(design_x(recent), cat[recent]), yy[recent], self.level_prior_sd)
        return self

    def _calibrated(self, x: np.ndarray, cat: np.ndarray) -> np.ndarray:
        s = self.regression_.decision_function(self.encoder_.transform(x, cat))
        return expit(s) if self.calibrator_ is None else self.calibrator_.predict(s)

    def _fit_rows(self, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``rows`` (in order), or a seeded uniform sample of ``max_fit_rows`` of them (in order)."""
        if self.max_fit_rows is None or rows.size <= self.max_fit_rows:
            return rows
        return np.sort(rng.choice(rows, size=self.max_fit_rows, replace=False))

    def predict_proba(self, history: History, numeric=None, categorical=None) -> np.ndarray:
        n = history.prior_known.size
        if self.mode_ == "shrinkage":
            return self.prior_.posterior_mean(history.prior_failures, history.prior_known)
        num = np.zeros((n, 0)) if numeric is None else np.asarray(numeric, dtype=float).reshape(n, -1)
        cat = np.zeros((n, 0), dtype=np.int64) if categorical is None else np.asarray(categorical).reshape(n, -1)
        x = np.hstack([num, self._history_columns(history)])
        p = self._calibrated(x, cat)
        if self.level_shift_:
            p = expit(logit(np.clip(p, 1e-12, 1 - 1e-12)) + self.level_shift_)
        return p
