"""From scores to calibrated probabilities: Platt, isotonic, and the recent market level."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, logit

from lingqu.stats.grading._common import GradingParameterError, _binary, _positive


class PlattCalibrator:
    """``P(y=1 | s) = 1 / (1 + exp(−(a·s + b)))`` fitted by maximum likelihood (Platt 1999).

    The slope is constrained to ``a >= 0`` so that calibration never reverses the model's order
    (like isotonic regression, which is non-decreasing); when the held-out rows show no positive
    association, ``a = 0`` and every score is the held-out rate.

    With ``smooth=True`` the 0/1 targets are replaced by Platt's ``(N₊ + 1)/(N₊ + 2)`` and
    ``1/(N₋ + 2)``, which keeps a small calibration set from producing probabilities of 0 or 1.
    """

    def __init__(self, smooth: bool = True) -> None:
        self.smooth = bool(smooth)

    def fit(self, score: ArrayLike, y: ArrayLike) -> PlattCalibrator:
        s = np.asarray(score, dtype=float).ravel()
        yy = _binary(y)
        if s.size != yy.size or s.size == 0 or not np.all(np.isfinite(s)):
            raise GradingParameterError("score must be finite numbers, one per outcome", field="score")
        n_pos = yy.sum()
        n_neg = yy.size - n_pos
        t = np.where(yy == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2)) if self.smooth else yy

        # Newton's method on the two parameters (the objective is convex)
        ab = np.array([0.0, math.log((n_pos + 1) / (n_neg + 1))])  # Platt's start: a = 0
        z = np.column_stack([s, np.ones_like(s)])

        def loss(v):
            eta = z @ v
            return float(np.mean(np.logaddexp(0.0, eta) - t * eta))

        value = loss(ab)
        for _ in range(100):
            mu = expit(z @ ab)
            g = np.einsum("ij,i->j", z, mu - t) / s.size  # sums of products, not a threaded BLAS call
            h = np.einsum("ij,ik->jk", z * (mu * (1 - mu))[:, None], z) / s.size + 1e-12 * np.eye(2)
            step = np.linalg.lstsq(h, g, rcond=None)[0]
            dec = float(g @ step)
            if dec / 2 <= 1e-14:
                break
            lr = 1.0
            while (new := loss(ab - lr * step)) > value - 0.25 * lr * dec and lr > 1e-10:
                lr /= 2
            if new > value:
                break
            ab, value = ab - lr * step, new
        if ab[0] < 0:  # a calibration map must keep the model's order: the optimum under a >= 0 has a = 0
            ab = np.array([0.0, float(logit(np.clip(t.mean(), 1e-12, 1 - 1e-12)))])
        self.a_, self.b_ = float(ab[0]), float(ab[1])
        return self

    def predict(self, score: ArrayLike) -> np.ndarray:
        return expit(self.a_ * np.asarray(score, dtype=float) + self.b_)


def pool_adjacent_violators(y: ArrayLike, weight: ArrayLike | None = None) -> np.ndarray:
    """The non-decreasing sequence closest to ``y`` in weighted least squares (PAV algorithm).

    Works on blocks, not rows: each step merges a violating pair of adjacent blocks.
    """
    v = np.asarray(y, dtype=float).ravel()
    w = np.ones_like(v) if weight is None else np.asarray(weight, dtype=float).ravel()
    vals, wts, sizes = [], [], []
    for yi, wi in zip(v.tolist(), w.tolist()):
        vals.append(yi)
        wts.append(wi)
        sizes.append(1)
        while len(vals) > 1 and vals[-2] > vals[-1]:
            w2 = wts[-2] + wts[-1]
            merged = (vals[-2] * wts[-2] + vals[-1] * wts[-1]) / w2
            size = sizes[-2] + sizes[-1]
            del vals[-1], wts[-1], sizes[-1]
            vals[-1], wts[-1], sizes[-1] = merged, w2, size
    return np.repeat(np.array(vals), np.array(sizes, dtype=np.int64))


class IsotonicCalibrator:
    """A non-decreasing step function of the score fitted by pool-adjacent-violators
    (Zadrozny & Elkan 2002). Ties in the score are pooled first; predictions between fitted
    scores are interpolated linearly and clipped at the ends."""

    def fit(self, score: ArrayLike, y: ArrayLike) -> IsotonicCalibrator:
        s = np.asarray(score, dtype=float).ravel()
        yy = _binary(y)
        if s.size != yy.size or s.size == 0 or not np.all(np.isfinite(s)):
            raise GradingParameterError("score must be finite numbers, one per outcome", field="score")
        xs, inv, cnt = np.unique(s, return_inverse=True, return_counts=True)
        means = np.bincount(inv, weights=yy) / cnt
        self.x_ = xs
        self.y_ = pool_adjacent_violators(means, cnt)
        return self

    def predict(self, score: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(score, dtype=float), self.x_, self.y_)


# --- the risk model -------------------------------------------------------------------------------


def recalibration_in_the_large(probability: ArrayLike, y: ArrayLike, prior_sd: float = 0.5) -> float:
    """The shift ``δ`` of the log-odds that best fits recent outcomes: maximum a posteriori of
    ``logit P(y=1) = logit(p) + δ`` with the prediction as offset and a normal prior ``δ ~ N(0, prior_sd²)``.

    Why: a model fitted on years of history predicts that history's average market level. When the
    whole market improves or worsens (a new mandatory certification, a campaign), every probability is
    off by the same log-odds; refitting the intercept alone on the most recent outcomes
    ("recalibration in the large", Steyerberg 2019, ch. 20; Janssen et al. 2008) moves the level and
    keeps the model's ordering and spread. The prior keeps a small recent window from moving it far:
    with ``m`` recent rows at rate ``r`` the data's information is ``m·r(1−r)``, against ``1/prior_sd²``.
    """
    pp = np.clip(np.asarray(probability, dtype=float).ravel(), 1e-12, 1 - 1e-12)
    yy = _binary(y)
    if pp.size != yy.size:
        raise GradingParameterError("probability and y must have one value per row", field="y")
    prec = 1.0 / _positive(prior_sd, "prior_sd") ** 2
    eta, delta = logit(pp), 0.0
    for _ in range(50):  # Newton on a strictly concave function of one variable
        mu = expit(eta + delta)
        step = (float(np.sum(yy - mu)) - prec * delta) / (float(np.sum(mu * (1 - mu))) + prec)
        delta += step
        if abs(step) < 1e-10:
            break
    return float(delta)
