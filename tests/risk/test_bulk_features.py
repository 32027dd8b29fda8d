"""``risk.bulk_features`` (the grading rows as one SQL window query) against the engine's feature
builder (``features.build_rows``) on random small warehouses full of edge cases: batches of one
enterprise on the same day, complaints and assistance on batch days, certificates without dates,
expiring before they were issued, suspended or revoked before or after the enterprise's first
failure, statuses changing on a row's own day. Every column must agree (the recency sums within
rounding). The demo world's comparison is in ``test_bulk.py``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from lingqu.risk import bulk, bulk_features
from lingqu.risk.features import build_rows

D0 = dt.date(2024, 1, 1)


def _date(rng, n, days, null_share=0.0):
    """``n`` dates drawn from the day numbers ``days`` (some None)."""
    out = [D0 + dt.timedelta(days=int(d)) for d in rng.choice(days, n)]
    return [None if rng.random() < null_share else d for d in out]


def _warehouse(path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # few distinct days, each also one year (365 days) later: ties within a day and events exactly
    # on the edge of the one-year window
    base = rng.integers(0, 440, 60)
    days = np.r_[base, base + 365, base + 364, base + 366]
    n_ent = 40
    ent = pl.DataFrame({"enterprise_id": np.arange(1, n_ent + 1), "uscc": [f"91440300{seed:02d}{i:08d}" for i in
                                                                          rng.permutation(n_ent)],
                        "name": [f"企业{i}" for i in range(n_ent)], "cluster": ["power_bank"] * n_ent,
                        "size": rng.choice(["small", "medium", "large", ""], n_ent).tolist(),
                        "city_code": rng.choice(["440300", "440100", "441900"], n_ent).tolist(),
                        "district": [""] * n_ent, "founded": _date(rng, n_ent, np.arange(4000), 0.2)})
    ent = ent.with_columns(pl.col("founded").cast(pl.Date) - pl.duration(days=4000))
    n_b = 600
    b_ent = rng.integers(1, n_ent + 1, n_b)
    b_day = _date(rng, n_b, days)
    rows = []
    for bid in range(n_b):
        for item in ("外观及标识", "转换效率", "过充保护", "跌落"):
            passed = bool(rng.random() > 0.12)
            rows.append((bid + 1, int(b_ent[bid]), b_day[bid], "440300", "power_bank",
                         str(rng.choice(["production", "circulation", "online"])), item, passed,
                         "" if passed else str(rng.choice(["critical", "major", "minor"])),
                         float(rng.normal(85, 5)), "≥80%"))
    item = pl.DataFrame(rows, orient="row", schema={
        "batch_id": pl.Int64, "enterprise_id": pl.Int64, "sampled_on": pl.Date, "city_code": pl.String,
        "cluster": pl.String, "channel": pl.String, "test_item": pl.String, "passed": pl.Boolean,
        "severity": pl.String, "measured_value": pl.Float64, "limit_text": pl.String})
    n_c = 150
    complaint = pl.DataFrame({"complaint_id": np.arange(n_c), "enterprise_id": rng.integers(1, n_ent + 1, n_c),
                              "received_on": _date(rng, n_c, days)})
    n_cert = 70
    certificate = pl.DataFrame({"enterprise_id": rng.integers(1, n_ent + 1, n_cert), "kind": ["CCC"] * n_cert,
                                "issued_on": _date(rng, n_cert, days, 0.15), "expires_on": _date(rng, n_cert, days + 200, 0.15),
                                "status": rng.choice(["valid", "suspended", "revoked", "expired", None],
                                                     n_cert).tolist()},
                               schema_overrides={"issued_on": pl.Date, "expires_on": pl.Date})
    assistance = pl.DataFrame({"enterprise_id": rng.integers(1, n_ent + 1, 12), "started_on": _date(rng, 12, days),
                               "kind": ["diagnosis"] * 12})
    path.mkdir()
    for name, frame in (("enterprise", ent), ("item", item), ("complaint", complaint),
                        ("certificate", certificate), ("assistance", assistance)):
        frame.write_parquet(path / f"{name}.parquet")


@pytest.mark.parametrize("seed", range(6))
def test_sql_rows_equal_the_feature_builder_on_edge_cases(tmp_path, seed):
    _warehouse(tmp_path / "wh", seed)
    con = bulk.connect(memory_limit="512MB", threads=1)
    try:
        bulk.attach(con, tmp_path / "wh")
        bulk.batches(con)
        for as_of in (D0 + dt.timedelta(days=200), D0 + dt.timedelta(days=500), D0 + dt.timedelta(days=900)):
            f = bulk.grading_inputs(con, as_of)
            a = build_rows(f["enterprises"], f["batches"], f["failed_items"], f["complaints"], f["certificates"],
                           f["assistance"], as_of, 0, f["measured"])
            b = bulk_features.assemble(bulk.grading_inputs(con, as_of, "sql", reasons=True)["sql"], as_of)
            assert a.n_train == b.n_train > 0 and a.top_items == b.top_items
            assert a.categorical_labels == b.categorical_labels
            assert np.array_equal(a.entity, b.entity) and np.array_equal(a.day, b.day)
            assert np.array_equal(a.categorical, b.categorical), (as_of, np.flatnonzero(
                (a.categorical != b.categorical).any(axis=1))[:5])
            for name in ("prior_inspections", "prior_failures", "failures_last_k", "days_since_failure",
                         "days_since_previous"):
                assert np.array_equal(getattr(a.history, name), getattr(b.history, name), equal_nan=True), name
            assert np.allclose(a.numeric, b.numeric, rtol=1e-12, atol=1e-12, equal_nan=True), (
                [n for j, n in enumerate(a.numeric_names) if not np.allclose(
                    a.numeric[:, j], b.numeric[:, j], rtol=1e-12, atol=1e-12, equal_nan=True)])
            assert list(a.counts["last_k_items"]) == b.counts["last_k_items"]
            for name in ("complaints_12m", "complaints_all", "batches_12m", "assisted"):
                assert np.array_equal(a.counts[name], b.counts[name]), name
    finally:
        con.close()


def test_every_ccc_state_occurs_in_the_edge_cases(tmp_path):
    """The random warehouses do reach every state (else the comparison above proves little)."""
    seen = set()
    for seed in range(6):
        _warehouse(tmp_path / f"wh{seed}", seed)
        con = bulk.connect(memory_limit="512MB", threads=1)
        try:
            bulk.attach(con, tmp_path / f"wh{seed}")
            bulk.batches(con)
            b = bulk_features.assemble(bulk.grading_inputs(con, D0 + dt.timedelta(days=900), "sql")["sql"],
                                       D0 + dt.timedelta(days=900))
            seen |= set(np.unique(b.categorical[:, 2]).tolist())
        finally:
            con.close()
    assert seen == {0, 1, 2, 3, 4}
