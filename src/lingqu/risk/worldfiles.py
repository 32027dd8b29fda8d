"""Grading inputs read straight from a demo world's *public* files (no database).

The benchmark ``bench/risk_quality.py`` grades 20 generated worlds; loading each through the
importers would take minutes and measure the importers, not the model. This module builds the
same columnar frames ``lingqu.risk.repository`` returns, from ``enterprises.csv``,
``sampling.csv``, ``complaints.csv``, ``certificates.csv`` and ``assistance.csv`` only, with
every record dated on or after the as-of date dropped. It never opens ``truth/``: the engine
must see only what a regulator's records hold (the evaluation code reads the truth itself).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from lingqu.risk.service import GradingFrames

PUBLIC_FILES = ("enterprises.csv", "sampling.csv", "complaints.csv", "certificates.csv", "assistance.csv")


def _read(directory: Path, name: str) -> pl.DataFrame:
    if Path(name).parts[0] == "truth":  # belt and braces: the engine never reads the hidden truth
        raise ValueError("the ground truth is not an input of the engine")
    return pl.read_csv(directory / name, infer_schema_length=0)


def world_frames(directory: str | Path, as_of: dt.date) -> GradingFrames:
    """Frames of the enterprises of the sampled clusters and of everything dated before ``as_of``."""
    d = Path(directory)
    cut = as_of.isoformat()
    ent = _read(d, "enterprises.csv").sort("uscc").with_row_index("enterprise_id").with_columns(
        pl.col("enterprise_id").cast(pl.Int64))
    ids = ent.select("uscc", "enterprise_id")
    s = _read(d, "sampling.csv").filter(pl.col("sampled_on") < cut)
    clusters = set(s["cluster"].unique().to_list())
    ent = ent.filter(pl.col("cluster").is_in(sorted(clusters)))
    codes = s.select("batch_id").unique(maintain_order=True).with_row_index("_bid").with_columns(
        pl.col("_bid").cast(pl.Int64))
    s = s.join(codes, on="batch_id").join(ids, on="uscc")
    batches = (s.group_by("_bid").agg(pl.col("enterprise_id").first(), pl.col("sampled_on").first(),
                                      pl.col("channel").first(), (pl.col("verdict") == "合格").all().alias("passed"))
               .select(pl.col("_bid").alias("batch_id"), "enterprise_id",
                       pl.col("sampled_on").str.to_date(), "channel", "passed").sort("batch_id"))
    items = (s.filter(pl.col("verdict") == "不合格")
             .select(pl.col("_bid").alias("batch_id"), "test_item",
                     pl.when(pl.col("severity") == "").then(None).otherwise(pl.col("severity")).alias("severity")))

    measured = (s.filter((pl.col("verdict") == "合格") & (pl.col("measured_value") != ""))
                .select(pl.col("_bid").alias("batch_id"), "test_item",
                        pl.col("measured_value").cast(pl.Float64), pl.col("limit").fill_null("").alias("limit_text")))

    def dated(name: str, col: str, keep: tuple[str, ...]) -> pl.DataFrame:
        f = _read(d, name).join(ids, on="uscc")
        f = f.filter(pl.col(col).is_null() | (pl.col(col) < cut))
        return f.select("enterprise_id", *[pl.col(c).str.to_date() if c.endswith("_on") else pl.col(c) for c in keep])

    complaints = dated("complaints.csv", "received_on", ("received_on",))
    certs = dated("certificates.csv", "issued_on", ("issued_on", "expires_on", "status", "kind"))
    certs = certs.filter(pl.col("kind") == "CCC").drop("kind")
    assistance = dated("assistance.csv", "started_on", ("started_on", "kind"))
    enterprises = ent.select("enterprise_id", "uscc", "name", "cluster", pl.col("size"),
                             pl.col("city").alias("city_code"), pl.col("district"),
                             pl.col("founded").str.to_date())
    return GradingFrames(enterprises, batches, items, complaints, certs, assistance, measured)
