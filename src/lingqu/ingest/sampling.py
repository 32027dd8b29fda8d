"""Sampling rows: one per test-item result, grouped into batches by ``batch_id``.

Per chunk: reject duplicate (batch, item) keys and rows whose batch details contradict the first
row of that batch in the file; register unknown enterprises from the row (see handlers.py for
why); upsert batches, then results; remember which batches changed so that their pass/fail
outcome is recomputed once at the end of the import.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy.orm import Session

from lingqu.ingest import repository as repo
from lingqu.ingest.handlers import STATUS, ImportState, Outcome, drop_duplicates, rejected_frame, upsert
from lingqu.kit.tabular import LINE

#: Columns that describe the batch (the same on every row of a batch).
BATCH_ATTRS = ["uscc", "product_name", "brand", "model", "cluster", "sampled_on", "city", "district", "channel", "lab"]
RESULT_VALUES = ["standard_code", "passed", "measured_value", "unit", "limit_text", "severity", "extra"]


def sampling(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
    df, dups = drop_duplicates(df, ["batch_id", "test_item"], state, "batch_id|test_item")
    df = df.with_columns(
        [pl.col(c).fill_null("") for c in ("product_name", "brand", "model", "channel", "lab", "district")]
        + [pl.col("cluster").fill_null("power_bank")]
    )
    df, conflicts = _consistent_batches(df, state)
    df, created, unknown = _enterprises(session, df)
    batch_ids = _batches(session, df, state)
    status = _results(session, df, batch_ids, state)
    # A row whose result is unchanged but whose batch details were updated counts as updated.
    status = status.join(batch_ids, on=LINE, how="left").select(
        LINE,
        pl.when((pl.col(STATUS) == "unchanged") & (pl.col("_batch_status") == "updated"))
        .then(pl.lit("updated")).otherwise(pl.col(STATUS)).alias(STATUS),
    )
    return Outcome(status, pl.concat([dups, conflicts, unknown]), created_enterprises=created)


def _consistent_batches(df: pl.DataFrame, state: ImportState) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every row of a batch must repeat the first row's batch details (anywhere in the file)."""
    firsts = df.group_by("batch_id", maintain_order=True).agg(pl.col(LINE).first().alias("_bline"), *[pl.col(a).first() for a in BATCH_ATTRS])
    if state.batch_first is not None:
        firsts = firsts.join(state.batch_first.select("batch_id"), on="batch_id", how="anti")
        state.batch_first = pl.concat([state.batch_first, firsts])
    else:
        state.batch_first = firsts
    ref = state.batch_first.rename({a: f"{a}_first" for a in BATCH_ATTRS})
    joined = df.join(ref, on="batch_id", how="left")
    differs = [pl.when(pl.col(a).ne_missing(pl.col(f"{a}_first"))).then(pl.lit(a)) for a in BATCH_ATTRS]
    joined = joined.with_columns(pl.concat_str(differs, separator="|", ignore_nulls=True).alias("_diff"))
    bad = joined.filter(pl.col("_diff") != "")
    rejected = bad.select(
        LINE, pl.col("_diff").alias("_bad_columns"),
        pl.format("同一抽样编号的批次信息与第 {} 行不一致：{} (batch details differ from line {})",
                  pl.col("_bline"), pl.col("_diff"), pl.col("_bline")).alias("_reason"),
    )
    good = joined.filter(pl.col("_diff") == "").drop([f"{a}_first" for a in BATCH_ATTRS] + ["_diff"])
    return good, rejected


def _enterprises(session: Session, df: pl.DataFrame) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    known = repo.fetch_existing(session, "enterprise", df.select("uscc").unique(), [])
    df = df.join(known.select(pl.col("id").alias("enterprise_id"), "uscc"), on="uscc", how="left")
    unknown = df.filter(pl.col("enterprise_id").is_null())
    to_create = (
        unknown.filter(pl.col("enterprise_name").is_not_null())
        .group_by("uscc", maintain_order=True)
        .agg(pl.col("enterprise_name").first().alias("name"), pl.col("city").first().alias("city_code"),
             pl.col("district").first(), pl.col("cluster").first())
        .with_columns(pl.lit("").alias("address"), pl.lit("").alias("size"), pl.lit("sampling").alias("source"),
                      pl.lit("{}").alias("extra"))
    )
    # Rejected only when no row of the file's chunk names the enterprise: one named row suffices.
    nameless = unknown.join(to_create.select("uscc"), on="uscc", how="anti")
    rejected = rejected_frame(
        nameless[LINE], "enterprise_name",
        "企业未登记且该行没有企业名称，无法登记 (unknown enterprise and no enterprise_name to register it)",
    )
    repo.insert_frame(session, "enterprise", to_create)
    if not to_create.is_empty():
        created = repo.fetch_existing(session, "enterprise", to_create.select("uscc"), [])
        ids = created.select(pl.col("id").alias("_new_id"), "uscc")
        df = df.join(ids, on="uscc", how="left").with_columns(pl.coalesce("enterprise_id", "_new_id").alias("enterprise_id")).drop("_new_id")
    df = df.filter(pl.col("enterprise_id").is_not_null())
    return df, to_create.height, rejected


def _batches(session: Session, df: pl.DataFrame, state: ImportState) -> pl.DataFrame:
    """Upsert each batch from its first row in this chunk; returns (_line, _batch_status, _batch_pk) per row."""
    firsts = df.group_by("batch_id", maintain_order=True).first()
    rows = firsts.select(
        LINE, pl.col("batch_id").alias("batch_no"), "enterprise_id", "product_name", "brand", "model", "cluster",
        "sampled_on", pl.col("city").alias("city_code"), "district", "channel", "lab",
    )
    values = ["enterprise_id", "product_name", "brand", "model", "cluster", "sampled_on", "city_code", "district", "channel", "lab"]
    status = upsert(session, state, "batch", rows, ["batch_no"], values, with_ids=True)
    status = status.join(rows.select(LINE, "batch_no"), on=LINE)
    state.new_batches.update(status.filter(pl.col(STATUS) == "inserted")["id"].to_list())
    state.affected_batches.update(status.filter(pl.col(STATUS) == "updated")["id"].to_list())
    per_batch = status.select(pl.col("batch_no").alias("batch_id"), pl.col("id").alias("_batch_pk"), pl.col(STATUS).alias("_batch_status"))
    return df.join(per_batch, on="batch_id", how="left").select(LINE, "_batch_status", "_batch_pk")


def _results(session: Session, df: pl.DataFrame, batch_ids: pl.DataFrame, state: ImportState) -> pl.DataFrame:
    rows = df.join(batch_ids.select(LINE, "_batch_pk"), on=LINE).select(
        LINE, pl.col("_batch_pk").alias("batch_id"), "test_item", pl.col("standard_code").fill_null(""),
        pl.col("verdict").alias("passed"), "measured_value", pl.col("unit").fill_null(""),
        pl.col("limit").fill_null("").alias("limit_text"), pl.col("severity").fill_null(""), "extra",
    )
    is_fresh = pl.col("batch_id").is_in(pl.Series(list(state.new_batches), dtype=pl.Int64).implode())
    fresh = rows.filter(is_fresh)
    old = rows.filter(~is_fresh)
    # Results of batches created by this import cannot exist yet: insert without looking up, and
    # count their items here rather than asking the database again at the end.
    tbl = repo.table("test_result")
    repo.insert_frame(session, "test_result", repo.canonical(tbl, fresh.drop(LINE)))
    state.new_batch_counts.append(
        fresh.group_by("batch_id").agg(pl.len().alias("n"), (~pl.col("passed")).sum().alias("f"))
    )
    out = [fresh.select(LINE, pl.lit("inserted").alias(STATUS))]
    if not old.is_empty():
        status = upsert(session, state, "test_result", old, ["batch_id", "test_item"], RESULT_VALUES)
        changed_lines = status.filter(pl.col(STATUS) != "unchanged").select(LINE)
        state.affected_batches.update(old.join(changed_lines, on=LINE)["batch_id"].to_list())
        out.append(status)
    return pl.concat(out)


def finish(session: Session, state: ImportState) -> None:
    """Pass/fail of every batch this import created or changed (a batch passes only if every item passes)."""
    if state.new_batch_counts:
        counts = (
            pl.concat(state.new_batch_counts).group_by("batch_id").agg(pl.col("n").sum(), pl.col("f").sum())
            .select(pl.col("batch_id").alias("id"), pl.col("n").alias("item_count"), pl.col("f").alias("failed_count"),
                    (pl.col("f") == 0).cast(pl.Int64).alias("passed"))
        )
        repo.set_batch_outcomes(session, counts)
    repo.recompute_batch_outcomes(session, sorted(state.affected_batches - state.new_batches))
