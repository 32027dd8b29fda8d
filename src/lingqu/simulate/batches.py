"""Supervision sampling of the power-bank enterprises of one block, vectorised.

Per enterprise and year: 1 + Binomial(5, r) batches (r grows with the failure propensity), on
working days, each of one of the enterprise's models, in one channel. A batch fails with
probability sigmoid(latent logit + year offset + channel effect), where the year offset is
solved per block and year so that the block's *expected* pass rate of that year equals
``calibration.TARGET_PASS_RATE`` (what is left is binomial noise); a failing batch fails
1 + Poisson(.) items chosen by the enterprise's own item profile (a Dirichlet draw around the
published weights) with the Gumbel-top-k trick; a passing batch passes every item. Measured
values are drawn on the right side of each limit, closer to it for worse enterprises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lingqu.simulate import calibration as cal
from lingqu.simulate.catalogue import edition_at, sampling_items
from lingqu.simulate.enterprises import PB, Block
from lingqu.simulate.institutions import INSTITUTIONS
from lingqu.simulate.latent import sigmoid
from lingqu.simulate.names import CITIES

SAMPLING_COLUMNS = (
    "batch_id", "uscc", "enterprise_name", "product_name", "brand", "model", "cluster", "sampled_on", "city",
    "district", "channel", "lab", "standard_code", "test_item", "verdict", "measured_value", "unit", "limit",
    "severity",
)
BATCH_TRUTH_COLUMNS = (
    "batch_id", "uscc", "sampled_on", "channel", "latent_logit", "year_offset", "channel_effect",
    "failure_probability", "failed", "failed_items",
)
VERDICTS = ("合格", "不合格")
SEVERITIES = ("", "critical", "major", "minor")
LOCAL_LAB_SHARE = 0.75


def _lab_tables() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    labs = [i for i in INSTITUTIONS if i.samples_power_banks]
    names = [i.name for i in labs]
    local = [[j for j, i in enumerate(labs) if i.city == c.name] for c in CITIES]
    width = max(len(x) for x in local)
    table = np.array([x + [x[0]] * (width - len(x)) for x in local], dtype=np.int64)
    counts = np.array([len(x) for x in local], dtype=np.int64)
    provincial = np.array([j for j, i in enumerate(labs) if i.provincial], dtype=np.int64)
    return names, table, counts, provincial


LAB_NAMES, _LAB_TABLE, _LAB_COUNT, _PROVINCIAL = _lab_tables()


@dataclass
class SamplingOutput:
    rows: pl.DataFrame  # sampling.csv rows
    truth: pl.DataFrame  # truth/batches.csv rows
    critical_fail_day: np.ndarray  # per block model: first day a critical item failed (or huge)
    profile: np.ndarray  # (block.n, items) each enterprise's share of item failures


def _strings(values, idx: np.ndarray) -> pl.Series:
    return pl.Series(values=list(values), dtype=pl.String).gather(np.asarray(idx, dtype=np.int64))


def _working_day(days: np.ndarray, ystart: np.ndarray, yend: np.ndarray) -> np.ndarray:
    """Saturday → Friday, Sunday → Monday, without leaving the year (then Monday / Friday)."""
    weekday = (days + 3) % 7  # Monday = 0
    shift = np.where(weekday == 5, -1, np.where(weekday == 6, 1, 0))
    moved = days + shift
    return np.where((moved < ystart) | (moved >= yend), days - 2 * shift, moved)


def solve_offset(logits: np.ndarray, fail_rate: float) -> float:
    """The offset g with mean(sigmoid(logits + g)) = fail_rate (bisection; the mean rises with g)."""
    lo, hi = -12.0, 12.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if sigmoid(logits + mid).mean() < fail_rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def simulate_sampling(
    rng: np.random.Generator, block: Block, years: list[int], year_counters: dict[int, int], id_width: int
) -> SamplingOutput:
    items = sampling_items()
    n_items = len(items)
    pb = np.flatnonzero(block.cluster == PB)
    lat = block.latent
    p_base = sigmoid(lat.base[pb])
    rate = np.clip(cal.RATE_BASE + cal.RATE_SLOPE * p_base, cal.RATE_MIN, cal.RATE_MAX)
    n_years = len(years)
    counts = 1 + rng.binomial(5, np.repeat(rate, n_years).reshape(len(pb), n_years))
    ent = np.repeat(np.repeat(pb, n_years), counts.ravel())
    year = np.repeat(np.tile(np.asarray(years), len(pb)), counts.ravel())
    ystart = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    ylen = (year - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) - ystart
    day = _working_day(ystart + (rng.random(len(ent)) * ylen).astype(np.int64), ystart, ystart + ylen)
    u = rng.random((len(ent), 6))  # channel, model, lab, lab choice, failure, extra items
    keep = day >= block.founded[ent] + cal.FIRST_SAMPLING_AFTER_FOUNDING_DAYS
    order = np.lexsort((day[keep], ent[keep]))
    ent, year, day, u = ent[keep][order], year[keep][order], day[keep][order], u[keep][order]
    nb = len(ent)

    channel = np.minimum(np.searchsorted(np.cumsum(cal.CHANNEL_SHARE), u[:, 0], side="right"), 2)
    model = block.model_offset[ent] + (u[:, 1] * block.model_count[ent]).astype(np.int64)
    city = block.city[ent]
    local = _LAB_TABLE[city, (u[:, 2] * _LAB_COUNT[city]).astype(np.int64)]
    provincial = _PROVINCIAL[(u[:, 2] * len(_PROVINCIAL)).astype(np.int64)]
    lab = np.where(u[:, 3] < LOCAL_LAB_SHARE, local, provincial)

    eta = lat.logit_at(ent, day)
    channel_effect = np.asarray(cal.CHANNEL_EFFECT)[channel]
    year_offset = np.zeros(nb)
    for i, y in enumerate(years):
        sel = year == y
        if y in cal.TARGET_PASS_RATE and sel.any():
            year_offset[sel] = solve_offset(eta[sel] + channel_effect[sel], 1.0 - cal.TARGET_PASS_RATE[y])
        else:
            year_offset[sel] = cal.YEAR_OFFSET.get(y, cal.DEFAULT_YEAR_OFFSET)
    prob = sigmoid(eta + year_offset + channel_effect)
    failed = u[:, 4] < prob

    # which items fail: Gumbel-top-k over the enterprise's item profile
    weights = np.array([it.weight for it in items])
    profile = rng.gamma(cal.ITEM_PROFILE_CONCENTRATION * weights / weights.sum(), size=(block.n, n_items))
    profile /= profile.sum(1, keepdims=True)
    log_mult = np.zeros((3, n_items))
    for c, mult in cal.CHANNEL_ITEM_MULTIPLIER.items():
        for name, m in mult.items():
            log_mult[cal.CHANNELS.index(c), [it.name for it in items].index(name)] = np.log(m)
    gumbel = rng.gumbel(size=(nb, n_items))
    n_extra = rng.poisson(cal.EXTRA_FAILS_BASE + cal.EXTRA_FAILS_SLOPE * prob)
    k = np.minimum(1 + n_extra, cal.MAX_FAILING_ITEMS)
    keys = np.log(np.maximum(profile[ent], 1e-300)) + log_mult[channel] + gumbel
    kth = -np.sort(-keys, axis=1)[np.arange(nb), k - 1]
    fail = (keys >= kth[:, None]) & failed[:, None]

    # measured values (efficiency %, capacity % of rated, output voltage deviation %)
    scale = np.clip(1.25 - prob, 0.25, 1.25)
    mv = np.full((nb, n_items), np.nan)
    draws = rng.random((nb, 3))
    g = rng.gamma(2.0, 1.0, (nb, 2))
    vn = rng.normal(0.0, 1.0, nb)
    for j, it in enumerate(items):
        f = fail[:, j]
        if it.kind == "efficiency":
            mv[:, j] = np.where(f, 80.0 - 0.5 - 9.5 * draws[:, 0], np.minimum(80.0 + 2.6 * scale * g[:, 0], 94.5))
        elif it.kind == "capacity":
            mv[:, j] = np.where(f, 100.0 - 1.0 - 34.0 * draws[:, 1], np.minimum(100.0 + 2.2 * scale * g[:, 1], 112.0))
        elif it.kind == "voltage":
            sign = np.where(draws[:, 2] < 0.5, -1.0, 1.0)
            bad = sign * (5.3 + 6.7 * np.abs(np.tanh(vn)))
            good = np.clip(vn * (1.0 + 1.2 * (1.25 - scale)), -4.9, 4.9)
            mv[:, j] = np.where(f, bad, good)
    mv = np.round(mv, 1)

    # identifiers: PB{year}-{sequence within the year}, numbered in writing order
    seq = np.zeros(nb, dtype=np.int64)
    for y in years:
        sel = np.flatnonzero(year == y)
        seq[sel] = year_counters[y] + 1 + np.arange(len(sel))
        year_counters[y] += len(sel)
    batch_id = pl.format("PB{}-{}", pl.Series(year), pl.Series(seq).cast(pl.String).str.zfill(id_width))
    batch_id = pl.select(batch_id).to_series()
    dates = pl.Series(day.astype(np.int32)).cast(pl.Date)

    uscc = _strings(block.uscc, ent)
    batches = pl.DataFrame({
        "batch_id": batch_id, "uscc": uscc, "enterprise_name": _strings(block.name, ent),
        "product_name": _strings(block.model_product, model), "brand": _strings(block.model_brand, model),
        "model": _strings(block.model_name, model), "cluster": pl.repeat("power_bank", nb, eager=True),
        "sampled_on": dates, "city": _strings([c.name for c in CITIES], city),
        "district": _strings(block.district, ent), "channel": _strings(cal.CHANNELS, channel),
        "lab": _strings(LAB_NAMES, lab),
    })
    rep = np.repeat(np.arange(nb), n_items)
    item_idx = np.tile(np.arange(n_items), nb)
    code_names: list[str] = []
    code_idx = np.empty((nb, n_items), dtype=np.int64)
    for j, it in enumerate(items):
        base = len(code_names)
        code_names.extend(c for _, c in it.chain)
        code_idx[:, j] = base + edition_at(it.chain, day)
    sev = np.array([SEVERITIES.index(it.severity) for it in items])
    rows = batches.gather(rep).with_columns(
        standard_code=_strings(code_names, code_idx.ravel()),
        test_item=_strings([it.name for it in items], item_idx),
        verdict=_strings(VERDICTS, fail.ravel().astype(np.int64)),
        measured_value=pl.Series(mv.ravel(), nan_to_null=True),
        unit=_strings([it.unit for it in items], item_idx),
        limit=_strings([it.limit for it in items], item_idx),
        severity=_strings(SEVERITIES, np.where(fail, sev[None, :], 0).ravel()),
    )
    truth = pl.DataFrame({
        "batch_id": batch_id, "uscc": uscc, "sampled_on": dates, "channel": batches["channel"],
        "latent_logit": eta, "year_offset": year_offset, "channel_effect": channel_effect,
        "failure_probability": prob, "failed": failed.astype(np.int8), "failed_items": fail.sum(1).astype(np.int16),
    })

    critical = np.array([it.severity == "critical" for it in items])
    crit_batch = (fail & critical[None, :]).any(1)
    first_crit = np.full(len(block.model_owner), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_crit, model[crit_batch], day[crit_batch])
    return SamplingOutput(rows=rows, truth=truth, critical_fail_day=first_crit, profile=profile)
