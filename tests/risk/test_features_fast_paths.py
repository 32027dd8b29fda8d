"""The feature builder's fast paths give exactly what the plain forms give: the event counts of
``prior_sums`` against a loop, its sorted-input shortcut against the sort, and the one-key batch
order against Polars' three-column sort (with its fallbacks)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from lingqu.risk import features


def _events(rng, n_ev, n_ent, sort):
    e = rng.integers(0, n_ent, n_ev)
    d = rng.integers(18_000, 18_900, n_ev)
    if sort:
        o = np.lexsort((d, e))
        e, d = e[o], d[o]
    return e, d


@pytest.mark.parametrize("sort", [False, True])
def test_prior_sums_counts_equal_a_loop(sort):
    rng = np.random.default_rng(11)
    ev_e, ev_d = _events(rng, 3000, 60, sort)
    ent = np.r_[np.sort(rng.integers(0, 70, 400)), np.arange(70)]   # some entities without events
    day = np.r_[rng.integers(17_900, 19_000, 400), np.full(70, 19_100)]
    v = rng.random(ev_e.size)
    v[::17] = np.nan
    s, n_all, n_year = features.prior_sums(ent, day, [v], ev_e, ev_d, 365.0, counts=(None, 365))
    for i in range(ent.size):
        before = (ev_e == ent[i]) & (ev_d < day[i])
        assert n_all[i] == before.sum()
        assert n_year[i] == (before & (ev_d >= day[i] - 365)).sum()
        w = np.nan_to_num(v[before]) * 2.0 ** (-(day[i] - ev_d[before]) / 365.0)
        assert s[i] == pytest.approx(w.sum(), rel=1e-9, abs=1e-12)


def test_prior_sums_sorted_events_need_no_sort():
    """Events given in (entity, day) order take the no-sort path: the same sums, to the bit."""
    rng = np.random.default_rng(12)
    ev_e, ev_d = _events(rng, 2000, 40, True)
    ent, day = np.arange(40), np.full(40, 19_000)
    v = rng.random(ev_e.size)
    shuffled = rng.permutation(ev_e.size)
    got = features.prior_sums(ent, day, [v], ev_e, ev_d, 365.0, counts=(30,))
    # the stable sort of the shuffled events restores the same order only where keys are unique;
    # compare on the counts (exact) and the sums (to rounding)
    ref = features.prior_sums(ent, day, [v[shuffled]], ev_e[shuffled], ev_d[shuffled], 365.0, counts=(30,))
    assert np.array_equal(got[1], ref[1])
    assert np.allclose(got[0], ref[0], rtol=1e-12)


def _batches(rng, n, dtype=pl.Date):
    days = rng.integers(0, 400, n)
    return pl.DataFrame({"batch_id": rng.permutation(n) + 5, "_e": rng.integers(0, 50, n),
                         "sampled_on": [dt.date(2024, 1, 1) + dt.timedelta(days=int(x)) for x in days],
                         "passed": rng.random(n) < 0.8}).with_columns(pl.col("sampled_on").cast(dtype))


@pytest.mark.parametrize("dtype", [pl.Date, pl.Datetime])
def test_one_key_batch_order_is_the_three_column_sort(dtype):
    b = _batches(np.random.default_rng(13), 5000, dtype)
    assert features._by_enterprise_day(b).equals(b.sort(["_e", "sampled_on", "batch_id"]))
    assert features._by_enterprise_day(b.head(0)).height == 0
