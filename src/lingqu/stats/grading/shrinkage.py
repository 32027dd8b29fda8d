"""Empirical-Bayes shrinkage of failure rates toward the peers' (beta-binomial marginal likelihood)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize
from scipy.special import betaln, expit, logit

from lingqu.stats.grading._common import GradingParameterError, GradingWarning, _positive, _whole


class BetaBinomialShrinkage:
    """Beta(α, β) prior over entities' failure probabilities, fitted by marginal likelihood.

    ``method="marginal-likelihood"`` (default) maximises
    ``Σᵢ [ln B(α + kᵢ, β + nᵢ − kᵢ) − ln B(α, β)]`` over the mean ``μ = α/(α + β)`` and the
    strength ``s = α + β`` (bounded to ``[min_strength, max_strength]``; reaching
    ``max_strength`` means the entities do not differ more than chance: complete pooling).
    ``method="moments"`` uses the moment estimator: with ``p̂ᵢ = kᵢ/nᵢ``, ``m`` and ``v`` their
    mean and variance and ``h`` the mean of ``1/nᵢ``, the intra-class correlation
    ``ρ = (v / (m(1 − m)) − h) / (1 − h)`` and ``s = 1/ρ − 1``.
    Entities with ``n = 0`` carry no information and are ignored.
    """

    def __init__(self, method: str = "marginal-likelihood", min_groups: int = 5, fallback_strength: float = 10.0,
                 min_strength: float = 0.05, max_strength: float = 1e4) -> None:
        if method not in ("marginal-likelihood", "moments"):
            raise GradingParameterError(f"method must be 'marginal-likelihood' or 'moments' (got {method!r})",
                                        field="method")
        self.method = method
        self.min_groups = _whole(min_groups, "min_groups", 2)
        self.fallback_strength = _positive(fallback_strength, "fallback_strength")
        self.min_strength = _positive(min_strength, "min_strength")
        self.max_strength = _positive(max_strength, "max_strength")
        if self.min_strength >= self.max_strength:
            raise GradingParameterError("min_strength must be below max_strength", field="min_strength")

    def fit(self, failures: ArrayLike, trials: ArrayLike) -> BetaBinomialShrinkage:
        k = np.asarray(failures, dtype=float).ravel()
        n = np.asarray(trials, dtype=float).ravel()
        if k.shape != n.shape:
            raise GradingParameterError("failures and trials must have the same length", field="failures")
        if np.any(~np.isfinite(k)) or np.any(~np.isfinite(n)) or np.any(k < 0) or np.any(k > n):
            raise GradingParameterError("failures must be whole numbers between 0 and trials", field="failures")
        keep = n > 0
        k, n = k[keep], n[keep]
        self.n_groups_ = int(k.size)
        pooled = (k.sum() + 0.5) / (n.sum() + 1.0)
        if self.n_groups_ < self.min_groups:
            warnings.warn(f"BetaBinomialShrinkage: {self.n_groups_} entities with inspections (< min_groups="
                          f"{self.min_groups}); using a prior of strength {self.fallback_strength:g} centred on the "
                          f"pooled rate {pooled:.4f}", GradingWarning, stacklevel=2)
            self._set(pooled, self.fallback_strength, "fallback")
            return self
        mean, strength = self._moments(k, n)
        if self.method == "moments":
            self._set(mean, strength, "moments")
            return self
        # aggregate identical (k, n) pairs: the likelihood only needs each distinct pair once
        ki, ni = k.astype(np.int64), n.astype(np.int64)
        key, weight = np.unique(ni * (int(ki.max()) + 1) + ki, return_counts=True)
        kk, nn = (key % (int(ki.max()) + 1)).astype(float), (key // (int(ki.max()) + 1)).astype(float)
        w = weight.astype(float)

        def nll(theta: np.ndarray) -> float:
            mu, s = expit(theta[0]), math.exp(theta[1])
            a, b = mu * s, (1 - mu) * s
            return -float(np.sum(w * (betaln(a + kk, b + nn - kk) - betaln(a, b))))

        m0 = min(max(mean, 1e-4), 1 - 1e-4)
        start = np.array([logit(m0), math.log(min(max(strength, self.min_strength), self.max_strength))])
        bounds = [(-12.0, 12.0), (math.log(self.min_strength), math.log(self.max_strength))]
        res = optimize.minimize(nll, start, method="Nelder-Mead", bounds=bounds,
                                options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 2000})
        self._set(float(expit(res.x[0])), float(math.exp(res.x[1])), "marginal-likelihood")
        self.converged_ = bool(res.success)
        return self

    def _moments(self, k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
        p = k / n
        m = float(p.mean())
        if m <= 0.0 or m >= 1.0:
            return (k.sum() + 0.5) / (n.sum() + 1.0), self.max_strength
        v = float(p.var(ddof=1)) if p.size > 1 else 0.0
        h = float(np.mean(1.0 / n))
        rho = (v / (m * (1 - m)) - h) / (1 - h) if h < 1 else 0.0
        s = 1.0 / rho - 1.0 if rho > 0 else self.max_strength
        return m, float(min(max(s, self.min_strength), self.max_strength))

    def _set(self, mean: float, strength: float, how: str) -> None:
        self.prior_mean_ = float(mean)
        self.strength_ = float(strength)
        self.alpha_ = self.prior_mean_ * self.strength_
        self.beta_ = (1 - self.prior_mean_) * self.strength_
        self.method_ = how
        self.converged_ = True

    def posterior_mean(self, failures: ArrayLike, trials: ArrayLike) -> np.ndarray:
        """``(α + k) / (α + β + n)`` per entity (or per inspection, with its earlier counts)."""
        k = np.asarray(failures, dtype=float)
        n = np.asarray(trials, dtype=float)
        return (self.alpha_ + k) / (self.alpha_ + self.beta_ + n)
