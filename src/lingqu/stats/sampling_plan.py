"""Risk-weighted supervision sampling (双随机, risk-weighted): inclusion probabilities and the draw.

Pure functions (NumPy only); methods and references in ``docs/methods/sampling-plan.md``.

- :func:`ratio_weight` — the weight of a grade from its published sampling ratio
  (``"<= 5%"`` → 0.025, ``"5%-20%"`` → 0.125: the midpoint of the range), so the plan follows
  the grading policy's frequency per grade (``reference/credit_risk_grades.csv``).
- :func:`inclusion_probabilities` — ``πᵢ = min(1, max(π_min, c·wᵢ))`` with ``c`` found
  iteratively so that ``Σ πᵢ = n`` (the budget): units capped at 1 or held at the floor are
  fixed and ``c`` is re-solved over the rest until nothing changes (Tillé 2006, §2.10 and
  Algorithm 2.1; Brewer & Hanif 1983). The floor keeps every unit drawable.
- :func:`systematic_draw` — randomised systematic πps sampling (Goodman & Kish 1950; Hartley &
  Rao 1962; Tillé 2006 §7.2): units in a random order from the seeded generator, one uniform
  start ``u``, and unit ``i`` is selected when a point of ``u, u+1, …, u+n−1`` falls in its
  interval of the cumulated πs. Each unit's inclusion probability is exactly ``πᵢ`` and the
  sample size is exactly ``n``.
- :func:`allocate` — proportional allocation of the budget over strata (largest remainders).
- :func:`draw_plan` — all of it with a seed: ``Generator(PCG64(seed))`` over units in the
  caller's order (sort by a stable key such as the USCC first), so the same seed and the same
  inputs give the same list. Expected problems found: ``Σ πᵢ pᵢ`` against ``n · mean(p)`` for a
  uniform random draw of the same size.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lingqu.exceptions import ValidationError


class SamplingPlanParameterError(ValidationError, ValueError):
    """A parameter of a sampling-plan routine is out of its domain."""


_RANGE = re.compile(r"^\s*(?:(<=|<|>=|>)\s*)?(\d+(?:\.\d+)?)\s*%?\s*(?:-\s*(\d+(?:\.\d+)?)\s*%)?\s*$")


def ratio_weight(text: str) -> float:
    """Midpoint of a published sampling ratio: ``"<= 5%"`` → 0.025, ``"5%-20%"`` → 0.125,
    ``"61%-100%"`` → 0.805, ``"> 80%"`` → 0.9."""
    m = _RANGE.match(text or "")
    if not m:
        raise SamplingPlanParameterError(f"sampling ratio {text!r} is not a percentage or a range", field="sampling_ratio")
    op, a, b = m.group(1), float(m.group(2)) / 100, m.group(3)
    if b is not None:
        return (a + float(b) / 100) / 2
    if op in ("<=", "<"):
        return a / 2
    if op in (">=", ">"):
        return (a + 1) / 2
    return a


def _check_weights(weights: ArrayLike) -> np.ndarray:
    w = np.asarray(weights, dtype=float).ravel()
    if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise SamplingPlanParameterError("weights must be one finite number >= 0 per unit", field="weights")
    return w


def inclusion_probabilities(weights: ArrayLike, budget: int, floor: float = 0.0, *, max_iter: int = 1000) -> np.ndarray:
    """``πᵢ ∝ wᵢ`` with ``π_min ≤ πᵢ ≤ 1`` and ``Σ πᵢ = budget`` (iterative capping)."""
    w = _check_weights(weights)
    n_units = w.size
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or not 0 <= budget <= n_units:
        raise SamplingPlanParameterError(f"budget must be a whole number between 0 and the number of units "
                                         f"{n_units} (got {budget!r})", field="budget")
    if not isinstance(floor, (int, float)) or not 0 <= floor <= 1 or not math.isfinite(floor):
        raise SamplingPlanParameterError(f"floor must be a probability in [0, 1] (got {floor!r})", field="floor")
    if floor * n_units > budget + 1e-9:
        raise SamplingPlanParameterError(f"floor {floor:g} × {n_units} units = {floor * n_units:.1f} exceeds the budget "
                                         f"{budget}; lower the floor or raise the budget", field="floor")
    if budget == 0:
        return np.zeros(n_units)
    if budget == n_units:
        return np.ones(n_units)
    if w.sum() == 0:
        w = np.ones(n_units)
    capped = np.zeros(n_units, dtype=bool)
    floored = np.zeros(n_units, dtype=bool)
    pi = np.full(n_units, budget / n_units)
    for _ in range(max_iter):
        free = ~capped & ~floored
        rest = budget - capped.sum() - floor * floored.sum()
        wf = w[free].sum()
        c = rest / wf if wf > 0 else 0.0
        pi = np.where(capped, 1.0, np.where(floored, floor, c * w))
        if wf == 0:  # every free unit has weight 0: spread what is left evenly
            pi[free] = rest / max(free.sum(), 1)
        new_cap = capped | (pi > 1)
        new_floor = floored | (pi < floor)
        if np.array_equal(new_cap, capped) and np.array_equal(new_floor, floored):
            break
        capped, floored = new_cap, new_floor
    pi = np.clip(pi, floor, 1.0)
    return pi * 1.0


def systematic_draw(pi: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """Indices (sorted) of a randomised systematic πps sample; ``Σ πᵢ`` should be a whole number."""
    p = np.asarray(pi, dtype=float).ravel()
    if np.any(~np.isfinite(p)) or np.any(p < -1e-12) or np.any(p > 1 + 1e-12):
        raise SamplingPlanParameterError("pi must hold probabilities in [0, 1]", field="pi")
    order = rng.permutation(p.size)
    u = rng.random()
    cum = np.cumsum(p[order])
    lo = np.r_[0.0, cum[:-1]]
    eps = 1e-9  # cumulated floating error must not add or drop a unit at an integer boundary
    hits = np.ceil(cum - u - eps) - np.ceil(lo - u - eps)
    chosen = order[hits >= 1]
    return np.sort(chosen)


def allocate(budget: int, sizes: ArrayLike) -> np.ndarray:
    """Proportional allocation ``n_h ≈ n · N_h / N`` in whole numbers (largest remainders), ``n_h ≤ N_h``."""
    s = np.asarray(sizes, dtype=np.int64).ravel()
    if s.size == 0 or np.any(s < 0) or budget > s.sum():
        raise SamplingPlanParameterError("budget must not exceed the number of units over all strata", field="budget")
    exact = budget * s / s.sum()
    out = np.floor(exact).astype(np.int64)
    rem = budget - out.sum()
    order = np.lexsort((np.arange(s.size), -(exact - out)))
    for h in order:
        if rem == 0:
            break
        if out[h] < s[h]:
            out[h] += 1
            rem -= 1
    return out


@dataclass(frozen=True)
class PlanDraw:
    """A drawn plan: ``selected`` unit indices (sorted), each unit's ``pi``, and what to expect."""

    selected: np.ndarray
    pi: np.ndarray
    expected_failures: float
    expected_failures_uniform: float
    budget: int
    seed: int


def draw_plan(weights: ArrayLike, probability: ArrayLike, budget: int, seed: int, floor: float = 0.0,
              strata: ArrayLike | None = None) -> PlanDraw:
    """Draw ``budget`` units with πᵢ ∝ weights (floor ``floor``), optionally within strata.

    ``probability`` is each unit's probability that its sampled batch fails (for the expected
    numbers only). Units must come in a stable order (e.g. sorted by USCC); with ``strata`` the
    budget is allocated proportionally to stratum sizes and strata are drawn in sorted order of
    their labels from one generator.
    """
    w = _check_weights(weights)
    p = np.asarray(probability, dtype=float).ravel()
    if p.size != w.size or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise SamplingPlanParameterError("probability must be one probability per unit", field="probability")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SamplingPlanParameterError(f"seed must be a whole number >= 0 (got {seed!r})", field="seed")
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    pi = np.zeros(w.size)
    chosen = []
    if strata is None:
        pi = inclusion_probabilities(w, budget, floor)
        chosen.append(systematic_draw(pi, rng))
    else:
        labels = np.asarray(strata).ravel()
        if labels.size != w.size:
            raise SamplingPlanParameterError("strata must give one label per unit", field="strata")
        names, codes = np.unique(labels, return_inverse=True)
        sizes = np.bincount(codes, minlength=names.size)
        if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or not 0 <= budget <= w.size:
            raise SamplingPlanParameterError(f"budget must be a whole number between 0 and {w.size}", field="budget")
        alloc = allocate(int(budget), sizes)
        for h in range(names.size):
            idx = np.flatnonzero(codes == h)
            f = min(floor, alloc[h] / idx.size)
            pi[idx] = inclusion_probabilities(w[idx], int(alloc[h]), f)
            chosen.append(idx[systematic_draw(pi[idx], rng)])
    selected = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
    return PlanDraw(selected=selected, pi=pi, expected_failures=float(pi @ p),
                    expected_failures_uniform=float(budget * p.mean()), budget=int(budget), seed=int(seed))
