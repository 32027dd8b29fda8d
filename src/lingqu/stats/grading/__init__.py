"""Risk grading: the probability that an inspection finds a problem, and its grade A–D.

The pieces, each usable alone (methods and references in ``docs/methods/risk-backtest.md``;
one module each, all re-exported here):

- :class:`BetaBinomialShrinkage` — empirical Bayes for failure rates. Each entity's failure
  probability is taken to be drawn from a Beta(α, β) prior shared by its peers; α, β are fitted
  over the entities by maximising the beta-binomial marginal likelihood (method-of-moments start;
  Kleinman 1973, Efron & Morris 1975, Casella 1985). An entity with ``k`` failures in ``n``
  inspections then gets the posterior mean ``(α + k) / (α + β + n)``: an enterprise with one
  batch is pulled almost all the way to its peers, one with fifty batches mostly keeps its own
  rate. With fewer than ``min_groups`` entities the prior is not estimable; the documented
  fallback is a prior of strength ``fallback_strength`` (pseudo-inspections) centred on the
  pooled rate ``(K + ½) / (N + 1)``, with a :class:`GradingWarning`.
- :class:`HistoryFeatures` — per inspection, from the *strictly earlier dates* of the same entity
  only: number of earlier inspections, earlier inspections with a known outcome, earlier
  failures, failures in the last ``k`` known inspections, days since the last failure and since
  the previous inspection. Inspections on the same date never see each other's outcomes.
- :class:`TabularEncoder` and :class:`PenalisedLogisticRegression` — an L2-penalised logistic
  regression fitted with L-BFGS on NumPy arrays. Numeric columns are standardised, a missing value
  becomes the mean plus a missing-indicator column; categorical columns (integer codes, −1 =
  missing) keep their ``max_levels`` most frequent levels and pool the rest in "other". The
  one-hot part is never materialised: a level's weight is looked up by code, which is the same
  model at a fraction of the memory.
- :class:`PlattCalibrator` and :class:`IsotonicCalibrator` — map a score to a calibrated
  probability (Platt 1999 with his target smoothing; pool-adjacent-violators isotonic
  regression, Zadrozny & Elkan 2002).
- :class:`RiskModel` — the above together: shrinkage prior and history features, the logistic
  model fitted on the earlier part of the training rows and the calibrator on the time-ordered
  held-out tail.
- :class:`GradingPolicy` — a versioned mapping from probability to grade A (低) / B (一般) /
  C (较高) / D (高) with the suggested sampling ratio and frequency of each grade.

Parameters are checked up front; a bad value raises :class:`GradingParameterError` (a
``lingqu.exceptions.ValidationError`` and a ``ValueError``) naming the parameter.
"""

from __future__ import annotations

from lingqu.stats.grading._common import GradingParameterError, GradingWarning, _binary, _positive, _whole  # noqa: F401
from lingqu.stats.grading.shrinkage import BetaBinomialShrinkage  # noqa: F401
from lingqu.stats.grading.history import HISTORY_FIELDS, History, HistoryFeatures, _entity_day_order  # noqa: F401
from lingqu.stats.grading.logistic import Design, PenalisedLogisticRegression, TabularEncoder, _as_design  # noqa: F401
from lingqu.stats.grading.calibration import IsotonicCalibrator, PlattCalibrator, pool_adjacent_violators, recalibration_in_the_large  # noqa: F401
from lingqu.stats.grading.model import HISTORY_NAMES, RiskModel  # noqa: F401
from lingqu.stats.grading.policy import DEFAULT_POLICY, GRADES, GradeRule, GradingPolicy  # noqa: F401
