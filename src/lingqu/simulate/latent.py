"""The hidden quality of each enterprise and how it moves (ground truth, never exported as such).

An enterprise's *latent logit* on day ``t`` is

    eta(t) = cluster mean + size effect + enterprise effect        (the base logit)
             + drift[month(t)]                                      (slow AR(1) drift)
             + jump * [t >= deterioration day]                      (injected deterioration)
             - sum_k effect_k * clip((t - start_k) / ramp_k, 0, 1)   (assistance, ramped)

and its *failure propensity* is ``sigmoid(eta)``: the probability that a production-channel
batch fails in a year whose market offset is zero. A sampled batch fails with probability
``sigmoid(eta + year offset + channel effect)``.

All arrays cover one block of enterprises; days are integers (days since 1970-01-01).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lingqu.simulate import calibration as cal

NEVER = np.iinfo(np.int64).max // 4  # a day that never comes


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def month_index(days: np.ndarray, start_year: int) -> np.ndarray:
    months = np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - (start_year - 1970) * 12


@dataclass
class Latent:
    cluster_mean: np.ndarray
    size_effect: np.ndarray
    enterprise_effect: np.ndarray
    drift: np.ndarray  # (n, months)
    det_day: np.ndarray  # NEVER when no deterioration
    jump: np.ndarray  # 0 when no deterioration
    assist_start: np.ndarray  # (n, 2), NEVER when absent
    assist_effect: np.ndarray  # (n, 2)
    assist_ramp: np.ndarray  # (n, 2)
    assist_kind: np.ndarray  # (n, 2) index into calibration.ASSIST_KINDS
    start_year: int

    @property
    def base(self) -> np.ndarray:
        return self.cluster_mean + self.size_effect + self.enterprise_effect

    def logit_at(self, ent: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Latent logit of enterprises ``ent`` (block-local indices) on ``days``."""
        m = np.clip(month_index(days, self.start_year), 0, self.drift.shape[1] - 1)
        eta = self.base[ent] + self.drift[ent, m] + np.where(days >= self.det_day[ent], self.jump[ent], 0.0)
        for k in range(self.assist_start.shape[1]):
            start = self.assist_start[ent, k]
            frac = np.clip((days - start) / self.assist_ramp[ent, k], 0.0, 1.0)
            eta = eta - self.assist_effect[ent, k] * np.where(start < NEVER, frac, 0.0)
        return eta


def simulate_latent(
    rng: np.random.Generator,
    cluster_mean: np.ndarray,
    size_effect: np.ndarray,
    founded: np.ndarray,
    start_day: int,
    end_day: int,
    start_year: int,
    months: int,
) -> Latent:
    """Draw the latent paths of one block (a fixed sequence of draws: deterministic per block)."""
    n = len(cluster_mean)
    effect = rng.normal(0.0, cal.ENTERPRISE_SD, n)
    drift = np.empty((n, months))
    drift[:, 0] = rng.normal(0.0, cal.DRIFT_SD / np.sqrt(1 - cal.DRIFT_PHI**2), n)
    shocks = rng.normal(0.0, cal.DRIFT_SD, (n, months))
    for m in range(1, months):
        drift[:, m] = cal.DRIFT_PHI * drift[:, m - 1] + shocks[:, m]

    # injected deteriorations
    lo, hi = start_day + cal.DETERIORATION_MARGIN_DAYS[0], end_day - cal.DETERIORATION_MARGIN_DAYS[1]
    det = rng.random(n) < cal.DETERIORATION_SHARE
    det_day = rng.integers(lo, max(hi, lo + 1), n)
    det_day = np.maximum(det_day, founded + 180)
    det &= det_day <= hi
    det_day = np.where(det, det_day, NEVER)
    jump = np.where(det, rng.uniform(*cal.DETERIORATION_JUMP, n), 0.0)

    # assistance: after a deterioration (targeted) or for poor enterprises (screened)
    p_base = 1.0 / (1.0 + np.exp(-(cluster_mean + size_effect + effect)))
    u_assist = rng.random(n)
    targeted = det & (u_assist < cal.ASSIST_AFTER_DETERIORATION)
    delay = rng.integers(cal.ASSIST_DELAY_DAYS[0], cal.ASSIST_DELAY_DAYS[1] + 1, n)
    screened = ~det & (u_assist < np.clip(cal.ASSIST_BASE + cal.ASSIST_SLOPE * p_base, 0, cal.ASSIST_MAX))
    any_day = rng.integers(start_day + 90, end_day - 60, n)
    any_day = np.maximum(any_day, founded + 180)
    start1 = np.where(targeted, np.where(det, det_day, 0) + delay, np.where(screened, any_day, NEVER))
    start1 = np.where(start1 <= end_day - 30, start1, NEVER)
    effect1 = np.where(targeted, rng.uniform(*cal.ASSIST_EFFECT_AFTER_DETERIORATION, n), rng.uniform(*cal.ASSIST_EFFECT, n))
    kind1 = rng.choice(len(cal.ASSIST_KINDS), n, p=cal.FIRST_ASSIST_KIND_SHARE)

    follow = (start1 < NEVER) & (rng.random(n) < cal.FOLLOW_UP_SHARE)
    start2 = start1 + rng.integers(cal.FOLLOW_UP_DELAY_DAYS[0], cal.FOLLOW_UP_DELAY_DAYS[1] + 1, n)
    follow &= start2 <= end_day - 1
    start2 = np.where(follow, start2, NEVER)
    effect2 = rng.uniform(*cal.FOLLOW_UP_EFFECT, n)
    kind2 = 1 + rng.integers(0, 2, n)  # training or testing

    has1 = start1 < NEVER
    return Latent(
        cluster_mean=cluster_mean, size_effect=size_effect, enterprise_effect=effect, drift=drift,
        det_day=det_day, jump=jump,
        assist_start=np.stack([start1, start2], axis=1),
        assist_effect=np.stack([np.where(has1, effect1, 0.0), np.where(follow, effect2, 0.0)], axis=1),
        assist_ramp=np.stack([np.full(n, float(cal.ASSIST_RAMP_DAYS)), np.full(n, float(cal.FOLLOW_UP_RAMP_DAYS))], axis=1),
        assist_kind=np.stack([kind1, kind2], axis=1),
        start_year=start_year,
    )
