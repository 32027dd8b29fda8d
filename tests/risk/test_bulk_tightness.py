"""The margin-to-limit feature in SQL (``risk.bulk.TIGHTNESS_SQL``) equals the engine's Polars form
(``risk.features.batch_tightness``), edge cases included, and ``build_rows`` gives the same rows
from the per-batch figure as from the measured rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from lingqu.risk import bulk, features

AS_OF = dt.date(2025, 1, 1)


def _items(seed: int = 11, n: int = 4000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    limits = [">=80%", "≥ 2.5", "<=0.3", "≤ 10", "±5%", " ± 1.25 ", "see standard", "", ">=-4"]
    items = ["a", "b", "c", "d"]
    df = pl.DataFrame({
        "batch_id": rng.integers(1, 600, n),
        "test_item": rng.choice(items, n),
        "limit_text": rng.choice(limits, n),
        "measured_value": rng.normal(3.0, 4.0, n),
        "passed": rng.random(n) < 0.9,
        "sampled_on": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(-30, 700, n)],
    })
    extra = pl.DataFrame({  # an item measured once (no spread), a constant item, a NaN and a missing value
        "batch_id": [700, 701, 702, 703, 704, 705],
        "test_item": ["single", "const", "const", "const", "a", "b"],
        "limit_text": [">=1", "<=5", "<=5", "<=5", ">=80%", "±5%"],
        "measured_value": [3.0, 2.0, 2.0, 2.0, float("nan"), None],
        "passed": [True] * 6,
        "sampled_on": [AS_OF - dt.timedelta(days=3)] * 6,
    })
    return pl.concat([df, extra.cast(df.schema)])


def _sql(items: pl.DataFrame) -> pl.DataFrame:
    con = bulk.connect(memory_limit="1GB", threads=1)
    con.register("item_df", items.to_arrow())
    con.execute("CREATE VIEW item AS SELECT * FROM item_df")
    bulk.tightness(con, AS_OF)
    out = bulk._pl(con.sql("SELECT * FROM bulk_tightness"))
    con.close()
    return out


def _polars(items: pl.DataFrame) -> pl.DataFrame:
    measured = items.filter((pl.col("sampled_on") < AS_OF) & pl.col("passed") & pl.col("measured_value").is_not_null())
    return features.batch_tightness(measured.select("batch_id", "test_item", "measured_value", "limit_text"))


def _compare(a: pl.DataFrame, b: pl.DataFrame) -> None:
    a, b = a.sort("batch_id"), b.sort("batch_id")
    assert a["batch_id"].to_list() == b["batch_id"].to_list()
    assert np.allclose(a["tightness"].to_numpy(), b["tightness"].to_numpy(), rtol=1e-12, atol=1e-12)


def test_sql_tightness_equals_the_polars_form():
    items = _items()
    sql, ref = _sql(items), _polars(items)
    assert ref.height > 400  # most batches have a figure
    assert 700 not in ref["batch_id"].to_list() and 701 not in ref["batch_id"].to_list()  # no spread: no figure
    _compare(sql, ref)


def test_an_infinite_value_is_dropped_like_a_nan_in_both_forms():
    clean = _items(seed=12)
    items = pl.concat([clean, clean.head(1).with_columns(pl.lit(float("inf")).alias("measured_value"),
                                                         pl.lit("b").alias("test_item"),
                                                         pl.lit(">=1").alias("limit_text"))])
    sql, ref = _sql(items), _polars(items)
    _compare(sql, ref)
    # dropped, not making item b's spread infinite (which would silence the item in every batch):
    # the figures are exactly those of the file without the row
    assert np.isfinite(ref["tightness"].to_numpy()).all()
    _compare(ref, _polars(clean))


def test_the_limit_rule_is_one():
    assert features.parse_limit("≥ 2.5") == (1, 2.5)
    assert features.parse_limit("<=0.3") == (-1, 0.3)
    assert features.parse_limit(" ± 1.25 ") == (0, 1.25)
    assert features.parse_limit("see standard") is None and features.parse_limit(None) is None


@pytest.fixture()
def frames():
    rng = np.random.default_rng(5)
    n_ent, nb = 60, 900
    ent = pl.DataFrame({"enterprise_id": np.arange(1, n_ent + 1), "uscc": [f"U{i:03d}" for i in range(n_ent)],
                        "size": rng.choice(["small", "large", ""], n_ent).tolist(),
                        "city_code": rng.choice(["440300", "440100"], n_ent).tolist(),
                        "founded": [dt.date(2010, 1, 1)] * n_ent})
    b = pl.DataFrame({"batch_id": np.arange(1, nb + 1), "enterprise_id": rng.integers(1, n_ent + 1, nb),
                      "sampled_on": [AS_OF - dt.timedelta(days=int(d)) for d in rng.integers(1, 900, nb)],
                      "channel": rng.choice(["production", "retail", "online"], nb).tolist(),
                      "passed": rng.random(nb) < 0.7})
    items = _items(seed=3, n=3000).with_columns(pl.col("batch_id") % nb + 1)
    fi = pl.DataFrame({"batch_id": b.filter(~pl.col("passed"))["batch_id"],
                       "test_item": rng.choice(["a", "b", "c"], int((~b["passed"]).sum())).tolist(),
                       "severity": rng.choice(["critical", "major"], int((~b["passed"]).sum())).tolist()})
    empty = {"complaints": pl.DataFrame({"enterprise_id": [1], "received_on": [dt.date(2024, 3, 1)]}),
             "certs": pl.DataFrame({"enterprise_id": [2], "issued_on": [dt.date(2020, 1, 1)],
                                    "expires_on": [dt.date(2026, 1, 1)], "status": ["valid"]}),
             "assistance": pl.DataFrame({"enterprise_id": [3], "started_on": [dt.date(2023, 1, 1)], "kind": ["x"]})}
    return ent, b, fi, items, empty


def test_build_rows_from_the_per_batch_figure_equals_from_the_measured_rows(frames):
    ent, b, fi, items, o = frames
    measured = items.filter((pl.col("sampled_on") < AS_OF) & pl.col("passed") & pl.col("measured_value").is_not_null())
    from_rows = features.build_rows(ent, b, fi, o["complaints"], o["certs"], o["assistance"], AS_OF, 0,
                                    measured.select("batch_id", "test_item", "measured_value", "limit_text"))
    from_sql = features.build_rows(ent, b, fi, o["complaints"], o["certs"], o["assistance"], AS_OF, 0, _sql(items))
    col = from_rows.numeric_names.index("margin_tightness")
    assert np.nanstd(from_rows.numeric[:, col]) > 0  # the feature is not constant here
    assert np.allclose(from_rows.numeric, from_sql.numeric, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert (from_rows.categorical == from_sql.categorical).all()


def test_position_is_an_inner_join_on_a_unique_key():
    keys = np.array([7, 3, 11, 0, 5])
    values = pl.Series([3, 4, 11, None, 0, 7, 12, -1])
    assert features.position(values, keys).tolist() == [1, -1, 2, -1, 3, 0, -1, -1]
    big = np.array([10**15, 3, 10**12])  # not small ids: the binary-search fallback
    assert features.position(np.array([10**12, 4, 10**15, 3]), big).tolist() == [2, -1, 0, 1]
    assert features.position(np.array([1, 2]), np.array([], dtype=np.int64)).tolist() == [-1, -1]
