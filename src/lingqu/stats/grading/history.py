"""Per-inspection history of the same entity from strictly earlier dates only (no leakage)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lingqu.stats.grading._common import GradingParameterError, _whole


@dataclass(frozen=True)
class History:
    """History of each inspection's entity before the inspection's date (arrays in input order).

    ``days_since_failure`` / ``days_since_previous`` are NaN when there was no earlier failure /
    no earlier inspection.
    """

    prior_inspections: np.ndarray
    prior_known: np.ndarray
    prior_failures: np.ndarray
    failures_last_k: np.ndarray
    days_since_failure: np.ndarray
    days_since_previous: np.ndarray
    last_k: int

    def take(self, index: np.ndarray) -> History:
        return History(*(getattr(self, f)[index] for f in HISTORY_FIELDS), last_k=self.last_k)


HISTORY_FIELDS = ("prior_inspections", "prior_known", "prior_failures", "failures_last_k",
                  "days_since_failure", "days_since_previous")


def _entity_day_order(ent: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``np.lexsort((d, ent))``: rows by entity, then day, ties in input order.

    Computed as a stable argsort of one integer key ``entity · span + day`` when it fits in 62
    bits: NumPy's stable sort of integers is a timsort, which runs in linear time over input made
    of a few sorted runs (the feature builder's batch rows sorted by enterprise and date, then one
    scoring row per enterprise), where a lexsort always does two full sorts."""
    d0, d1 = int(d.min()), int(d.max())
    span = d1 - d0 + 1
    if ent.size and int(ent.min()) >= 0 and (int(ent.max()) + 1) * span < (1 << 62):
        return np.argsort(ent.astype(np.int64) * span + (d.astype(np.int64) - d0), kind="stable")
    return np.lexsort((d, ent))


class HistoryFeatures:
    """Per-inspection history of its entity computed from strictly earlier dates only.

    ``transform(entity, day, outcome)``: ``entity`` any labels (integer codes are fastest), ``day``
    whole days (e.g. days since 1970-01-01), ``outcome`` 1/0 or NaN for not known. Only outcomes
    of rows with ``day < this row's day`` are used, so rows on the same date never see each
    other's outcomes and a row's features never depend on anything on or after its date.
    Vectorised: one sort, cumulative sums and index arithmetic, no loop over rows.
    """

    def __init__(self, last_k: int = 3) -> None:
        self.last_k = _whole(last_k, "last_k", 1)

    def transform(self, entity: ArrayLike, day: ArrayLike, outcome: ArrayLike) -> History:
        return self.transform_many(entity, day, [outcome])[0]

    def transform_many(self, entity: ArrayLike, day: ArrayLike, outcomes: list,
                       failures_only: bool | list[bool] = False) -> list[History | np.ndarray]:
        """:meth:`transform` for several outcome columns of the same rows (e.g. "any failure",
        "failed item X", "critical failure"): the rows are sorted and grouped once and only the
        cumulative sums are per outcome, which at millions of rows saves a sort per column.
        Each result is exactly what :meth:`transform` gives for that column alone; with
        ``failures_only`` (one flag, or one per outcome) just its ``prior_failures`` array (what a
        count feature needs), without the other five columns' passes."""
        ent = np.asarray(entity).ravel()
        d = np.asarray(day).ravel()
        n = ent.size
        ys = [np.asarray(o, dtype=float).ravel() for o in outcomes]
        if d.size != n or any(y.size != n for y in ys):
            raise GradingParameterError("entity, day and outcome must have the same length", field="day")
        if not np.issubdtype(d.dtype, np.integer):
            if not np.all(np.isfinite(d.astype(float))) or np.any(d != np.floor(d)):
                raise GradingParameterError("day must hold whole numbers of days", field="day")
            d = d.astype(np.int64)
        for y in ys:
            if np.any(~np.isnan(y) & (y != 0) & (y != 1)):
                raise GradingParameterError("outcome must be 0, 1 or NaN (not known)", field="outcome")
        if not np.issubdtype(ent.dtype, np.integer):
            ent = np.unique(ent, return_inverse=True)[1]
        if n == 0:
            z = np.zeros(0)
            return [z if failures_only is True or (failures_only is not False and failures_only[i]) else
                    History(z, z, z, z, z, z, self.last_k) for i in range(len(ys))]
        order = _entity_day_order(ent, d)
        e, ds = ent[order], d[order].astype(np.int64)
        new_ent = np.r_[True, e[1:] != e[:-1]]
        new_grp = new_ent | np.r_[True, ds[1:] != ds[:-1]]
        idx = np.arange(n)
        ent_start = np.maximum.accumulate(np.where(new_ent, idx, 0))
        grp_first = np.maximum.accumulate(np.where(new_grp, idx, 0))
        inv = np.empty(n, dtype=np.int64)
        inv[order] = idx
        # outcome-free columns: shared by every result
        has_prev = grp_first > ent_start
        prev_row = np.where(has_prev, grp_first - 1, 0)
        prior_n = (grp_first - ent_start).astype(float)[inv]
        since_prev = np.where(has_prev, (ds - ds[prev_row]).astype(float), np.nan)[inv]
        dn = ds - ds.min() + 1
        big = int(dn.max()) + 2
        erank = np.cumsum(new_ent, dtype=np.int64) - 1

        def before_group(x: np.ndarray) -> np.ndarray:
            c = np.r_[0, np.cumsum(x, dtype=np.int64)]
            return c[grp_first] - c[ent_start]

        only = [failures_only] * len(ys) if isinstance(failures_only, bool) else list(failures_only)
        if len(only) != len(ys):
            raise GradingParameterError("failures_only must be one flag or one per outcome", field="failures_only")
        out = []
        for y, just_failures in zip(ys, only):
            ys_ = y[order]
            known = ~np.isnan(ys_)
            fail = known & (ys_ == 1)
            prior_fail = before_group(fail)
            if just_failures:
                out.append(prior_fail.astype(float)[inv])
                continue
            prior_known = before_group(known)
            # failures among the last k known inspections: positions in the sequence of known rows
            known_pos = np.r_[0, np.cumsum(known, dtype=np.int64)]
            fail_along_known = np.r_[0, np.cumsum(fail[known], dtype=np.int64)]
            hi = known_pos[grp_first]
            lo = hi - np.minimum(prior_known, self.last_k)
            last_k = fail_along_known[hi] - fail_along_known[lo]
            # last failure date strictly before the group: running max with a per-entity offset
            marked = erank * big + np.where(fail, dn, 0)
            running = np.maximum.accumulate(marked)
            last_fail = np.where(has_prev, running[prev_row] - erank * big, 0)
            since_fail = np.where(last_fail > 0, (dn - last_fail).astype(float), np.nan)
            out.append(History(prior_n, prior_known.astype(float)[inv], prior_fail.astype(float)[inv],
                               last_k.astype(float)[inv], since_fail[inv], since_prev, last_k=self.last_k))
        return out
