"""Change detection for failure rates and counts: CUSUM, EWMA and a Poisson surge test.

Pure NumPy/SciPy (DESIGN.md §3, §4). Every detector is *resumable*: it takes the previous state
and new observations and returns the new state, so a service can keep one state per series and
update it as results arrive instead of recomputing from the start.

- Risk-adjusted Bernoulli CUSUM (Steiner, Cook, Farewell & Treasure 2000; Reynolds & Stoumbos
  1999 for the unadjusted form). For observation ``y_t`` (1 = failure) with expected failure
  probability ``p_t`` and the odds ratio ``R`` to detect, the log-likelihood-ratio weight is

      W_t = y_t log R - log(1 - p_t + R p_t)

  and ``S_t = max(0, S_{t-1} + W_t)``; a signal when ``S_t >= h``, after which ``S`` restarts at 0.
  The threshold ``h`` for an in-control average run length ARL0 comes from a Markov-chain
  approximation (Brook & Evans 1972) at a design probability ``p0``, checked by simulation.
- Normal CUSUM ARL by Siegmund's (1985) approximation (for the published-table checks).
- EWMA of standardised residuals ``e_t = (y_t - p_t) / sqrt(p_t (1 - p_t))``:
  ``z_t = lam e_t + (1 - lam) z_{t-1}``, upper limit ``L sqrt(lam / (2 - lam))`` (asymptotic
  variance); ``L`` for ARL0 by seeded simulation (normal data: Lucas & Saccucci 1990).
- Poisson surge: a count's upper-tail probability under a gamma-Poisson shrunk baseline.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
from scipy.special import pdtrc

from lingqu.exceptions import ValidationError

__all__ = [
    "ControlChartWarning", "CusumState", "EwmaState", "BernoulliCusum", "cusum_weights", "cusum_update",
    "cusum_arl_markov", "cusum_threshold", "run_length_simulation", "normal_cusum_arl_siegmund",
    "normal_cusum_arl_two_sided", "ewma_update", "ewma_limit", "ewma_arl_markov", "ewma_arl_simulation", "SurgeTest",
    "poisson_surge", "shrunk_rate",
]


class ControlChartWarning(UserWarning):
    """A statistical caveat (an approximation or a target that cannot be met exactly)."""


# --- parameter checks ----------------------------------------------------------------------------------

def _prob(value, name: str, *, open_interval: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number (got {value!r})", field=name) from None
    if not (0.0 < v < 1.0) if open_interval else not (0.0 <= v <= 1.0):
        raise ValidationError(f"{name} must be strictly between 0 and 1 (got {v})", field=name)
    return v


def _positive(value, name: str, *, above: float = 0.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number (got {value!r})", field=name) from None
    if not math.isfinite(v) or v <= above:
        raise ValidationError(f"{name} must be greater than {above:g} (got {v})", field=name)
    return v


# --- Bernoulli CUSUM -----------------------------------------------------------------------------------

def cusum_weights(y, p, odds_ratio: float) -> np.ndarray:
    """Steiner et al. (2000) log-likelihood-ratio weights ``y log R - log(1 - p + R p)``."""
    r = _positive(odds_ratio, "odds_ratio")
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if np.any((p <= 0) | (p >= 1)):
        raise ValidationError("p must be strictly between 0 and 1 for every observation", field="p")
    return y * math.log(r) - np.log1p((r - 1.0) * p)


@dataclass(frozen=True)
class SeriesState:
    """State of one monitored series: the statistic, observations seen and signals raised.
    Stored as JSON between scans, so that each scan resumes where the last one stopped."""

    statistic: float = 0.0
    n: int = 0
    signals: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None):
        return cls(**d) if d else cls()


class CusumState(SeriesState):
    """State of one CUSUM series."""


@dataclass(frozen=True)
class CusumStep:
    """The result of feeding observations: new state, the statistic after each one, signal flags."""

    state: CusumState
    path: np.ndarray
    signal: np.ndarray = field(repr=False)


def _run(state: SeriesState, values: np.ndarray, step, limit: float, restart: bool) -> CusumStep:
    """Feed ``values`` one by one through ``step(statistic, value)``; signal when the statistic
    reaches ``limit`` (and restart at 0 if asked). Shared by the CUSUM and the EWMA, which differ
    only in their recursion. Sequential by nature: each value depends on the one before."""
    stat, n, k = state.statistic, state.n, state.signals
    path = np.empty(len(values))
    sig = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        stat = step(stat, v)
        path[i] = stat
        n += 1
        if stat >= limit:
            sig[i] = True
            k += 1
            if restart:
                stat = 0.0
    return CusumStep(type(state)(float(stat), n, k), path, sig)


def cusum_update(state: CusumState, weights, h: float, *, restart: bool = True) -> CusumStep:
    """Feed weights ``W_t``: ``S_t = max(0, S_{t-1} + W_t)``; signal at ``S_t >= h`` (then restart at 0)."""
    h = _positive(h, "h")
    w = np.asarray(weights, dtype=float)
    return _run(state, w, lambda stat, wi: max(0.0, stat + wi), h, restart)


def _check_arl(arl0) -> float:
    return _positive(arl0, "arl0", above=1.0)


def cusum_arl_markov(h: float, p: float, odds_ratio: float, *, p_design: float | None = None,
                     states: int | None = None) -> float:
    """ARL of the Bernoulli CUSUM (threshold ``h``, weights built at ``p_design``) when the true
    failure probability is ``p``: Markov-chain approximation of Brook & Evans (1972).

    State ``i`` stands for the value ``i * h / m``; the two possible weights move it to the nearest
    grid value (or absorb it when the value reaches ``h``) and ``ARL = [(I - Q)^-1 1]_0``. The grid
    resolves the smaller step at least 20 times (sparse solve, so fine grids are cheap).
    """
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve

    h = _positive(h, "h")
    p = _prob(p, "p")
    r = _positive(odds_ratio, "odds_ratio")
    pd = p if p_design is None else _prob(p_design, "p_design")
    up = math.log(r) - math.log1p((r - 1) * pd)
    down = -math.log1p((r - 1) * pd)
    m = states or int(min(40000, max(200, math.ceil(20 * h / min(abs(up), abs(down))))))
    width = h / m
    values = np.arange(m) * width
    rows, cols, data = [], [], []
    for step, prob in ((up, p), (down, 1 - p)):
        target = np.maximum(0.0, values + step)
        keep = target < h
        idx = np.minimum(np.rint(target / width).astype(int), m - 1)
        rows.append(np.arange(m)[keep]); cols.append(idx[keep]); data.append(np.full(keep.sum(), prob))
    q = csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))), shape=(m, m))
    arl = spsolve((identity(m, format="csr") - q).tocsc(), np.ones(m))
    return float(arl[0])


@lru_cache(maxsize=512)
def _threshold_markov(arl0: float, p0: float, r: float) -> float:
    lo, hi = 1e-3, 1.0
    while cusum_arl_markov(hi, p0, r) < arl0:
        hi *= 2
        if hi > 200:
            raise ValidationError(f"arl0 {arl0} cannot be reached (threshold above 200)", field="arl0")
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if cusum_arl_markov(mid, p0, r) < arl0:
            lo = mid
        else:
            hi = mid
    return round(hi, 6)


def cusum_threshold(arl0: float, p0: float, odds_ratio: float, method: str = "markov", *, seed: int = 20240601,
                    replications: int = 4000) -> float:
    """Threshold ``h`` giving in-control ARL ``arl0`` for the Bernoulli CUSUM at failure probability ``p0``.

    ``method="markov"`` (default): bisection on the Markov-chain ARL. ``method="simulation"``:
    bisection on the seeded simulated ARL (common random numbers). The run-length distribution is
    discrete, so not every ARL0 is attainable exactly; the smallest ``h`` reaching it is returned.
    """
    arl0 = _check_arl(arl0)
    p0 = _prob(p0, "p0")
    r = _positive(odds_ratio, "odds_ratio")
    if r == 1.0:
        raise ValidationError("odds_ratio must differ from 1 (the shift to detect)", field="odds_ratio")
    if method == "markov":
        return _threshold_markov(float(arl0), float(p0), float(r))
    if method == "simulation":
        lo, hi = 1e-3, max(1.0, 1.5 * _threshold_markov(float(arl0), float(p0), float(r)))
        for _ in range(25):
            mid = 0.5 * (lo + hi)
            arl = run_length_simulation(mid, p0, r, replications=replications, seed=seed).mean()
            lo, hi = (mid, hi) if arl < arl0 else (lo, mid)
        return round(hi, 6)
    raise ValidationError(f"method must be 'markov' or 'simulation' (got {method!r})", field="method")


def run_length_simulation(h: float, p: float, odds_ratio: float, *, p_design: float | None = None,
                          replications: int = 2000, seed: int = 0, max_length: int = 1_000_000) -> np.ndarray:
    """Simulated run lengths of the Bernoulli CUSUM (all replications advance together, vectorised)."""
    h = _positive(h, "h")
    p = _prob(p, "p")
    r = _positive(odds_ratio, "odds_ratio")
    pd = p if p_design is None else _prob(p_design, "p_design")
    up = math.log(r) - math.log1p((r - 1) * pd)
    down = -math.log1p((r - 1) * pd)
    rng = np.random.default_rng(seed)
    s = np.zeros(replications)
    length = np.zeros(replications, dtype=np.int64)
    alive = np.ones(replications, dtype=bool)
    t = 0
    while alive.any() and t < max_length:
        t += 1
        y = rng.random(replications) < p
        s = np.where(alive, np.maximum(0.0, s + np.where(y, up, down)), s)
        hit = alive & (s >= h)
        length[hit] = t
        alive &= ~hit
    if alive.any():
        warnings.warn(f"{alive.sum()} replications did not signal within {max_length}", ControlChartWarning,
                      stacklevel=2)
        length[alive] = max_length
    return length


class BernoulliCusum:
    """Risk-adjusted Bernoulli CUSUM as an estimator-style object.

    ``fit(y, p)`` runs the chart over a series; fitted attributes: ``threshold_``, ``path_``,
    ``signals_`` (indices), ``state_`` (a :class:`CusumState` to resume from).
    """

    def __init__(self, odds_ratio: float = 2.0, arl0: float = 200.0, p0: float = 0.3, method: str = "markov"):
        self.odds_ratio = _positive(odds_ratio, "odds_ratio")
        self.arl0 = _check_arl(arl0)
        self.p0 = _prob(p0, "p0")
        self.method = method

    def fit(self, y, p, state: CusumState | None = None) -> BernoulliCusum:
        self.threshold_ = cusum_threshold(self.arl0, self.p0, self.odds_ratio, self.method)
        step = cusum_update(state or CusumState(), cusum_weights(y, p, self.odds_ratio), self.threshold_)
        self.path_, self.signals_, self.state_ = step.path, np.flatnonzero(step.signal), step.state
        return self


# --- normal CUSUM: Siegmund's approximation ------------------------------------------------------------

def normal_cusum_arl_siegmund(k: float, h: float, shift: float = 0.0) -> float:
    """One-sided (upper) normal CUSUM ARL by Siegmund's (1985) approximation, in sigma units:

    ``ARL = (exp(-2 D b) + 2 D b - 1) / (2 D^2)`` with ``D = shift - k`` and ``b = h + 1.166``
    (``b^2`` when ``D = 0``).
    """
    k = float(k)
    h = _positive(h, "h")
    d = float(shift) - k
    b = h + 1.166
    if abs(d) < 1e-12:
        return b * b
    return (math.exp(-2 * d * b) + 2 * d * b - 1) / (2 * d * d)


def normal_cusum_arl_two_sided(k: float, h: float, shift: float = 0.0) -> float:
    """Two-sided tabular CUSUM: ``1/ARL = 1/ARL+ + 1/ARL-`` (the lower side sees ``-shift``)."""
    up = normal_cusum_arl_siegmund(k, h, shift)
    down = normal_cusum_arl_siegmund(k, h, -shift)
    return 1.0 / (1.0 / up + 1.0 / down)


# --- EWMA ----------------------------------------------------------------------------------------------

class EwmaState(SeriesState):
    """State of one EWMA series."""


def _check_lam(lam) -> float:
    lam = _positive(lam, "lam")
    if lam > 1:
        raise ValidationError(f"lam must be in (0, 1] (got {lam})", field="lam")
    return lam


def ewma_update(state: EwmaState, residuals, lam: float, limit_l: float, *, restart: bool = True) -> CusumStep:
    """Feed standardised residuals: ``z_t = lam e_t + (1 - lam) z_{t-1}``; signal when
    ``z_t >= L sqrt(lam / (2 - lam))`` (upper side: failures above expectation), then restart at 0."""
    lam = _check_lam(lam)
    ucl = _positive(limit_l, "limit_l") * math.sqrt(lam / (2 - lam))
    e = np.asarray(residuals, dtype=float)
    return _run(state, e, lambda stat, ei: lam * ei + (1 - lam) * stat, ucl, restart)


def ewma_arl_simulation(lam: float, limit_l: float, *, p: float | None = None, shift: float = 0.0,
                        two_sided: bool = False, replications: int = 2000, seed: int = 0,
                        max_length: int = 200_000) -> np.ndarray:
    """Simulated run lengths of an EWMA with asymptotic limits ``+-L sqrt(lam/(2-lam))``.

    ``p=None``: N(shift, 1) observations (Lucas & Saccucci's setting). Otherwise standardised
    Bernoulli(p) residuals (upper side only), the chart used on failure rates.
    """
    lam = _check_lam(lam)
    ucl = _positive(limit_l, "limit_l") * math.sqrt(lam / (2 - lam))
    rng = np.random.default_rng(seed)
    if p is not None:
        p = _prob(p, "p")
        hi_r, lo_r = (1 - p) / math.sqrt(p * (1 - p)), -p / math.sqrt(p * (1 - p))
    z = np.zeros(replications)
    length = np.zeros(replications, dtype=np.int64)
    alive = np.ones(replications, dtype=bool)
    t = 0
    while alive.any() and t < max_length:
        t += 1
        if p is None:
            x = rng.standard_normal(replications) + shift
        else:
            x = np.where(rng.random(replications) < p, hi_r, lo_r)
        z = np.where(alive, lam * x + (1 - lam) * z, z)
        hit = alive & ((z >= ucl) | ((z <= -ucl) if two_sided else False))
        length[hit] = t
        alive &= ~hit
    length[alive] = max_length
    return length


def ewma_arl_markov(lam: float, limit_l: float, p: float, *, p_true: float | None = None, states: int = 300) -> float:
    """ARL of the upper EWMA on standardised Bernoulli(p) residuals (restart at 0), by a Markov chain
    on a grid over [min residual, UCL) (the approach of Lucas & Saccucci 1990 for normal data).
    ``p_true`` is the actual failure probability (default ``p``: in control)."""
    lam = _check_lam(lam)
    p = _prob(p, "p")
    pt = p if p_true is None else _prob(p_true, "p_true")
    ucl = _positive(limit_l, "limit_l") * math.sqrt(lam / (2 - lam))
    sd = math.sqrt(p * (1 - p))
    hi_r, lo_r = (1 - p) / sd, -p / sd
    lo = min(lo_r, 0.0) - 1e-9
    m = int(states)
    width = (ucl - lo) / m
    centers = lo + (np.arange(m) + 0.5) * width
    q = np.zeros((m, m))
    for resid, prob in ((hi_r, pt), (lo_r, 1 - pt)):
        target = lam * resid + (1 - lam) * centers
        idx = np.clip(np.floor((target - lo) / width).astype(int), 0, None)
        inside = (target < ucl) & (idx < m)
        q[np.arange(m)[inside], idx[inside]] += prob
    arl = np.linalg.solve(np.eye(m) - q, np.ones(m))
    start = int(np.clip(np.floor((0.0 - lo) / width), 0, m - 1))
    return float(arl[start])


@lru_cache(maxsize=256)
def _ewma_limit(arl0: float, lam: float, p: float) -> float:
    # the statistic can never exceed the largest residual, so L above that is never reached
    def arl(l_: float) -> float:  # ill-conditioned solves at huge ARLs count as 'beyond any target'
        v = ewma_arl_markov(lam, l_, p)
        return v if math.isfinite(v) and 0 < v < 1e12 else math.inf

    lo, hi = 0.05, 0.999 * ((1 - p) / math.sqrt(p * (1 - p))) / math.sqrt(lam / (2 - lam))
    if arl(hi) < arl0:
        raise ValidationError(f"arl0 {arl0} cannot be reached with lam={lam} at p={p}", field="arl0")
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if arl(mid) < arl0 else (lo, mid)
    return round(hi, 5)


def ewma_limit(arl0: float, lam: float, p: float) -> float:
    """Limit width ``L`` giving in-control ARL ``arl0`` for the upper EWMA of standardised Bernoulli(p)
    residuals: bisection on the Markov-chain ARL (verified by :func:`ewma_arl_simulation`). The
    residuals are skewed for small ``p``, so ``L`` differs from the normal-theory value of Lucas &
    Saccucci (1990)."""
    return _ewma_limit(float(_check_arl(arl0)), float(_check_lam(lam)), float(_prob(p, "p")))


# --- Poisson surge -------------------------------------------------------------------------------------

def shrunk_rate(count: float, exposure: float, peer_rate: float, prior_exposure: float = 12.0) -> float:
    """Gamma-Poisson posterior mean rate: ``(peer_rate * m + count) / (m + exposure)``, the series' own
    rate shrunk toward its peers' with a prior worth ``m = prior_exposure`` units of exposure."""
    if count < 0 or exposure < 0:
        raise ValidationError("count and exposure must be 0 or more", field="count")
    peer_rate = _positive(peer_rate, "peer_rate")
    m = _positive(prior_exposure, "prior_exposure")
    return (peer_rate * m + count) / (m + exposure)


@dataclass(frozen=True)
class SurgeTest:
    count: int
    expected: float
    p_value: float
    alpha: float
    surge: bool

    def to_dict(self) -> dict:
        return asdict(self)


def poisson_surge(count: int, expected: float, alpha: float = 1e-3, min_count: int = 2) -> SurgeTest:
    """Upper-tail Poisson test: ``P(X >= count | expected)``; a surge when below ``alpha`` and
    ``count >= min_count``. Run over many enterprise-months, ``alpha`` is a per-test level: about
    ``alpha`` x tests false flags are expected (Bonferroni: divide by the number of tests for a
    family-wise level; Benjamini-Hochberg for a false-discovery rate)."""
    if int(count) != count or count < 0:
        raise ValidationError(f"count must be a whole number >= 0 (got {count!r})", field="count")
    expected = _positive(expected, "expected")
    alpha = _prob(alpha, "alpha")
    # P(X >= count) = P(X > count - 1): the Poisson survival function, which is what
    # scipy.stats.poisson.sf evaluates (pdtrc); called directly, scipy.stats (a third of a second
    # to import) stays out of every command that scans
    pv = float(pdtrc(int(count) - 1, expected)) if count > 0 else 1.0
    return SurgeTest(int(count), float(expected), pv, alpha, bool(pv < alpha and count >= min_count))
