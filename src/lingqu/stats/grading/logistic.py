"""Tabular encoding and the L2-penalised logistic regression of the risk model."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, sparse
from scipy.special import expit, logit

from lingqu.stats.grading._common import GradingParameterError, GradingWarning, _binary, _positive, _whole


@dataclass(frozen=True)
class Design:
    """A model matrix: ``dense`` (standardised numerics and indicators) and ``codes`` (one column
    per categorical feature, level index ``0 .. n_levels−1``), equivalent to the full one-hot."""

    dense: np.ndarray
    codes: np.ndarray
    n_levels: tuple[int, ...]
    dense_names: tuple[str, ...] = ()
    level_names: tuple[tuple[str, ...], ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.dense.shape[0])

    def one_hot(self) -> np.ndarray:
        """The explicit dense matrix (for tests and small data)."""
        blocks = [self.dense]
        for j, k in enumerate(self.n_levels):
            blocks.append(np.eye(k)[self.codes[:, j]])
        return np.hstack(blocks) if blocks else np.zeros((0, 0))


class TabularEncoder:
    """Standardise numerics (missing → mean + indicator); cap categorical levels ("other", "missing").

    ``fit(numeric, categorical)``: ``numeric`` a float array ``(n, p)`` with NaN for missing,
    ``categorical`` an integer array ``(n, q)`` of level codes with −1 for missing. Levels seen at
    least ``min_level_count`` times, at most ``max_levels`` of the most frequent, keep their own
    weight; the rest, and levels first seen after fitting, share "other".
    """

    def __init__(self, max_levels: int = 20, min_level_count: int = 5) -> None:
        self.max_levels = _whole(max_levels, "max_levels", 1)
        self.min_level_count = _whole(min_level_count, "min_level_count", 1)

    @staticmethod
    def _arrays(numeric, categorical) -> tuple[np.ndarray, np.ndarray]:
        x = np.asarray(numeric, dtype=float)
        c = np.asarray(categorical)
        if x.ndim != 2 or c.ndim != 2 or x.shape[0] != c.shape[0]:
            raise GradingParameterError("numeric and categorical must be 2-D with the same number of rows",
                                        field="numeric")
        if c.size and not np.issubdtype(c.dtype, np.integer):
            raise GradingParameterError("categorical must hold integer level codes (-1 = missing)", field="categorical")
        return x, c.astype(np.int64)

    def fit(self, numeric, categorical, numeric_names=None, categorical_names=None,
            categorical_labels=None) -> TabularEncoder:
        x, c = self._arrays(numeric, categorical)
        self.numeric_names_ = tuple(numeric_names or (f"x{i}" for i in range(x.shape[1])))
        self.categorical_names_ = tuple(categorical_names or (f"c{j}" for j in range(c.shape[1])))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0) if x.shape[0] else np.zeros(x.shape[1])
            sd = np.nanstd(x, axis=0) if x.shape[0] else np.ones(x.shape[1])
        self.mean_ = np.where(np.isfinite(mean), mean, 0.0)
        constant = ~np.isfinite(sd) | (sd <= 1e-9 * np.maximum(1.0, np.abs(self.mean_)))  # float noise is not spread
        self.scale_ = np.where(constant, 1.0, sd)
        self.missing_indicator_ = np.isnan(x).any(axis=0)
        self.level_maps_, names = [], []
        for j in range(c.shape[1]):
            col = c[:, j]
            counts = np.bincount(col[col >= 0]) if np.any(col >= 0) else np.zeros(0, dtype=np.int64)
            ranked = np.argsort(-counts, kind="stable")
            kept = [int(v) for v in ranked[: self.max_levels] if counts[v] >= self.min_level_count]
            mapping = np.full(counts.size, len(kept), dtype=np.int64)  # default: "other"
            mapping[kept] = np.arange(len(kept))
            self.level_maps_.append(mapping)
            labels = categorical_labels[j] if categorical_labels else None
            names.append(tuple(str(labels[v]) if labels is not None else str(v) for v in kept) + ("(other)", "(missing)"))
        self.level_names_ = tuple(names)
        self.n_levels_ = tuple(len(m) for m in names)
        return self

    def transform(self, numeric, categorical) -> Design:
        x, c = self._arrays(numeric, categorical)
        z = (x - self.mean_) / self.scale_
        miss = np.isnan(z)
        z[miss] = 0.0
        dense = np.hstack([z, miss[:, self.missing_indicator_].astype(float)])
        names = self.numeric_names_ + tuple(f"{n} (missing)" for n, m in zip(self.numeric_names_, self.missing_indicator_) if m)
        codes = np.empty(c.shape, dtype=np.int64)
        for j, mapping in enumerate(self.level_maps_):
            col = c[:, j]
            other, missing = self.n_levels_[j] - 2, self.n_levels_[j] - 1
            in_range = (col >= 0) & (col < mapping.size)
            codes[:, j] = np.where(col < 0, missing, other)
            codes[in_range, j] = mapping[col[in_range]]
        return Design(dense=dense, codes=codes, n_levels=self.n_levels_, dense_names=names,
                      level_names=self.level_names_)


def _as_design(X) -> Design:
    if isinstance(X, Design):
        return X
    a = np.asarray(X, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or not np.all(np.isfinite(a)):
        raise GradingParameterError("X must be a 2-D array of finite numbers (or a Design)", field="X")
    return Design(dense=a, codes=np.zeros((a.shape[0], 0), dtype=np.int64), n_levels=())


# --- logistic regression --------------------------------------------------------------------------

class PenalisedLogisticRegression:
    """Logistic regression with an L2 penalty on every weight but the intercept.

    Minimises ``Σᵢ [log(1 + e^{ηᵢ}) − yᵢ ηᵢ] + (l2/2)·‖w‖²`` (a Normal(0, 1/l2) prior on the
    weights; ``l2=0`` is maximum likelihood) by Newton's method (iteratively reweighted least
    squares) with a backtracking line search; the Hessian's categorical blocks come from a sparse
    one-hot matrix, so each iteration costs a few passes over the rows. It stops when half the
    Newton decrement ``gᵀH⁻¹g/2`` (an estimate of the distance to the optimum of the mean loss)
    falls below ``tol``. ``predict_proba`` returns the probability of ``y = 1`` as a 1-D array.
    """

    def __init__(self, l2: float = 1.0, max_iter: int = 100, tol: float = 1e-14) -> None:
        self.l2 = _positive(l2, "l2", allow_zero=True)
        self.max_iter = _whole(max_iter, "max_iter", 1)
        self.tol = _positive(tol, "tol")

    def _unpack(self, theta: np.ndarray, p: int, n_levels: tuple[int, ...]):
        b, w = theta[0], theta[1:1 + p]
        out, at = [], 1 + p
        for k in n_levels:
            out.append(theta[at:at + k])
            at += k
        return b, w, out

    @staticmethod
    def _eta(design: Design, b: float, w: np.ndarray, lw: list[np.ndarray]) -> np.ndarray:
        eta = design.dense @ w + b if w.size else np.full(design.n_rows, float(b))
        for j, v in enumerate(lw):
            eta += v[design.codes[:, j]]
        return eta

    def fit(self, X, y: ArrayLike) -> PenalisedLogisticRegression:
        design = _as_design(X)
        yy = _binary(y)
        if yy.size != design.n_rows:
            raise GradingParameterError(f"y must have one outcome per row of X (got {yy.size}, want {design.n_rows})",
                                        field="y")
        if yy.size == 0:
            raise GradingParameterError("y must hold at least one outcome", field="y")
        n, p, nl = yy.size, design.dense.shape[1], tuple(design.n_levels)
        lam = self.l2 / n  # objective divided by n: the same minimiser, scale-free tolerances
        k = 1 + p + sum(nl)
        ridge = np.full(k, lam)
        ridge[0] = 0.0
        dense1 = np.hstack([np.ones((n, 1)), design.dense])
        onehot = None
        if nl:
            offsets = np.cumsum((0,) + nl[:-1])
            cols = (design.codes + offsets).ravel()
            rows = np.repeat(np.arange(n), len(nl))
            onehot = sparse.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, sum(nl)))
            # the one-hot block of X'WX is a table of weight sums per pair of levels: a bincount of the
            # pair's joint code (the diagonal blocks are diagonal), cheaper than a sparse product
            pairs = {(a, c): design.codes[:, a] * nl[c] + design.codes[:, c]
                     for a in range(len(nl)) for c in range(a + 1, len(nl))}

        def objective(theta):
            eta = self._eta(design, *self._unpack(theta, p, nl))
            return float(np.sum(np.logaddexp(0.0, eta) - yy * eta)) / n + 0.5 * float(ridge @ theta ** 2), eta

        theta = np.zeros(k)
        rate = min(max(yy.mean(), 0.5 / n), 1 - 0.5 / n)
        theta[0] = logit(rate)
        value, eta = objective(theta)
        self.converged_ = False
        it = 0
        for it in range(1, self.max_iter + 1):
            mu = expit(eta)
            r = (mu - yy) / n
            wt = mu * (1 - mu) / n
            wd = dense1 * wt[:, None]
            # X'r and X'WX of a tall, narrow X as plain sums of products (np.einsum), not BLAS: a threaded
            # BLAS product of this shape gains nothing on a few cores and, on a shared machine, its
            # threads wait on each other (measured 10x slower than this at 500,000 rows under load)
            g = np.concatenate([np.einsum("ij,i->j", dense1, r)] + ([onehot.T @ r] if onehot is not None else [])) \
                + ridge * theta
            hess = np.empty((k, k))
            hess[:1 + p, :1 + p] = np.einsum("ij,ik->jk", dense1, wd)
            if onehot is not None:
                cross = np.asarray(onehot.T @ wd)
                hess[1 + p:, :1 + p] = cross
                hess[:1 + p, 1 + p:] = cross.T
                block = np.zeros((sum(nl), sum(nl)))
                for a, ka in enumerate(nl):
                    sa = slice(offsets[a], offsets[a] + ka)
                    block[sa, sa] = np.diag(np.bincount(design.codes[:, a], weights=wt, minlength=ka))
                    for c in range(a + 1, len(nl)):
                        sc = slice(offsets[c], offsets[c] + nl[c])
                        block[sa, sc] = np.bincount(pairs[a, c], weights=wt, minlength=ka * nl[c]).reshape(ka, nl[c])
                        block[sc, sa] = block[sa, sc].T
                hess[1 + p:, 1 + p:] = block
            hess[np.diag_indices(k)] += ridge
            try:
                step = linalg.solve(hess, g, assume_a="pos")
            except (linalg.LinAlgError, ValueError):
                step = linalg.lstsq(hess, g)[0]
            decrement = float(g @ step)
            if decrement / 2 <= self.tol:
                self.converged_ = True
                break
            t = 1.0
            while True:
                new_value, new_eta = objective(theta - t * step)
                if new_value <= value - 0.25 * t * decrement or t < 1e-10:
                    break
                t /= 2
            if new_value > value:  # no descent left at machine precision
                self.converged_ = decrement / 2 <= 1e-10
                break
            theta, value, eta = theta - t * step, new_value, new_eta
        b, w, lw = self._unpack(theta, p, nl)
        self.intercept_ = float(b)
        self.coef_ = w.copy()
        self.level_coef_ = [v.copy() for v in lw]
        self.n_iter_ = int(it)
        if not self.converged_:
            warnings.warn(f"PenalisedLogisticRegression: no convergence in {self.max_iter} Newton steps "
                          "(perfectly separated data? raise l2)", GradingWarning, stacklevel=2)
        return self

    def decision_function(self, X) -> np.ndarray:
        design = _as_design(X)
        return self._eta(design, self.intercept_, self.coef_, self.level_coef_)

    def predict_proba(self, X) -> np.ndarray:
        return expit(self.decision_function(X))
