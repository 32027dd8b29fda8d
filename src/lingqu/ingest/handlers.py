"""How each kind's validated rows become records: natural keys, links, inserts and updates.

A handler receives the validated rows of one chunk and returns per-row outcomes plus the rows it
had to reject for reasons that need the database or earlier chunks (duplicates, an unknown
enterprise, a batch whose details contradict an earlier row).

Choice (documented in docs/import-formats.md): a sampling row whose USCC names no known
enterprise *creates* it from the row's name, city and district, marked ``source = sampling``.
Sampling sheets routinely reach the regulator before the registry extract does; rejecting those
rows would lose real results, while a created enterprise is visible and is completed by a later
``lingqu import enterprises`` of the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from sqlalchemy.orm import Session

from lingqu.audit.service import record_many
from lingqu.ingest import repository as repo
from lingqu.kit.tabular import LINE

STATUS = "_status"  # inserted | updated | unchanged


@dataclass
class Outcome:
    rows: pl.DataFrame  # _line, _status
    rejected: pl.DataFrame  # _line, _bad_columns, _reason
    created_enterprises: int = 0


def rejected_frame(lines: pl.Series | list, column: str, reason: str | pl.Expr) -> pl.DataFrame:
    df = pl.DataFrame({LINE: lines}, schema={LINE: pl.Int64})
    r = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
    return df.with_columns(pl.lit(column).alias("_bad_columns"), r.alias("_reason"))


EMPTY_REJECTS = pl.DataFrame(schema={LINE: pl.Int64, "_bad_columns": pl.String, "_reason": pl.String})


@dataclass
class ImportState:
    """What one import run remembers across chunks (bounded: a hash and a line per key)."""

    actor: str
    seen_keys: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"_k": pl.UInt64, "_first": pl.Int64}))
    batch_first: pl.DataFrame | None = None
    affected_batches: set[int] = field(default_factory=set)
    new_batches: set[int] = field(default_factory=set)
    #: per new batch: items and failed items inserted so far (its rows may span chunks)
    new_batch_counts: list[pl.DataFrame] = field(default_factory=list)


def drop_duplicates(df: pl.DataFrame, key: list[str], state: ImportState, label: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Reject rows whose natural key already appeared earlier in the file (in any chunk)."""
    hashed = df.with_columns(pl.struct(key).hash(seed=7).alias("_k"))
    first_in_chunk = hashed.group_by("_k", maintain_order=True).agg(pl.col(LINE).first().alias("_first_c"))
    hashed = hashed.join(first_in_chunk, on="_k", how="left").join(state.seen_keys, on="_k", how="left")
    first = pl.coalesce("_first", "_first_c")
    dup = hashed.filter(first != pl.col(LINE))
    rejected = dup.select(
        LINE, pl.lit(label).alias("_bad_columns"),
        pl.format("与第 {} 行重复 (duplicate of line {})", first, first).alias("_reason"),
    )
    keep = hashed.filter(first == pl.col(LINE))
    state.seen_keys = pl.concat([state.seen_keys, keep.select("_k", pl.col(LINE).alias("_first"))])
    return keep.drop("_k", "_first", "_first_c"), rejected


def upsert(
    session: Session, state: ImportState, table_name: str, rows: pl.DataFrame, key: list[str], values: list[str],
    *, touch: str | None = None, with_ids: bool = False,
) -> pl.DataFrame:
    """Insert new records, update changed ones (audited), leave equal ones.

    Returns ``_line`` and ``_status`` per row; with ``with_ids`` also the record's ``id`` (new
    records get ids reserved before the insert, so no second lookup is needed).
    """
    tbl = repo.table(table_name)
    new = repo.canonical(tbl, rows.select([LINE, *key, *values]))
    existing = repo.fetch_existing(session, table_name, new.select(key), values)
    joined = new.join(existing, on=key, how="left", suffix="_old")
    is_new = pl.col("id").is_null()
    changed_expr = pl.any_horizontal([pl.col(v).ne_missing(pl.col(f"{v}_old")) for v in values])
    if with_ids:
        n_new = joined.select(is_new.sum()).item()
        if n_new:
            ids = pl.Series("_new_id", repo.reserve_ids(session, table_name, n_new), dtype=pl.Int64)
            joined = joined.with_columns(
                pl.when(is_new).then(is_new.cum_sum() - 1).alias("_k")
            ).join(ids.to_frame().with_row_index("_k").with_columns(pl.col("_k").cast(pl.Int64)), on="_k", how="left")
            joined = joined.with_columns(pl.coalesce("id", "_new_id").alias("id"), is_new.alias("_is_new")).drop("_k", "_new_id")
        else:
            joined = joined.with_columns(is_new.alias("_is_new"))
        is_new = pl.col("_is_new")
    inserted = joined.filter(is_new)
    changed = joined.filter(~is_new & changed_expr)
    repo.insert_frame(session, table_name, inserted.select([*(["id"] if with_ids else []), *key, *values]))
    if not changed.is_empty():
        repo.update_rows(session, table_name, changed.select(["id", *values]), touch=touch)
        _audit_changes(session, state, table_name, changed, key, values)
    return joined.select(
        LINE,
        pl.when(is_new).then(pl.lit("inserted")).when(changed_expr).then(pl.lit("updated"))
        .otherwise(pl.lit("unchanged")).alias(STATUS),
        *([pl.col("id")] if with_ids else []),
    )


def _audit_changes(session, state, table_name, changed: pl.DataFrame, key, values) -> None:
    entries = []
    for row in changed.iter_rows(named=True):
        diff = [v for v in values if row[v] != row[f"{v}_old"]]
        entries.append((
            "/".join(str(row[k]) for k in key),
            {v: row[f"{v}_old"] for v in diff},
            {v: row[v] for v in diff},
        ))
    record_many(session, actor=state.actor, action="update", entity=table_name, changes=entries, note="import")


# --- the kinds ----------------------------------------------------------------------------


def enterprises(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
    df, dups = drop_duplicates(df, ["uscc"], state, "uscc")
    rows = df.select(
        LINE, "uscc", "name", pl.col("city").alias("city_code"), pl.col("district").fill_null(""),
        pl.col("cluster").fill_null("other"), pl.col("address").fill_null(""), "founded",
        pl.col("size").fill_null(""), pl.lit("registry").alias("source"), "extra",
    )
    status = upsert(session, state, "enterprise", rows, ["uscc"],
                    ["name", "city_code", "district", "cluster", "address", "founded", "size", "source", "extra"],
                    touch="updated_at")
    return Outcome(status, dups)


def institutions(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
    df = df.with_columns(pl.col("city").alias("city_code"))
    df, dups = drop_duplicates(df, ["name", "city_code"], state, "name|city")
    rows = df.select(
        LINE, "name", "city_code", "kind", pl.col("accreditation_no").fill_null(""), pl.col("scope").fill_null(""),
        "capacity_per_month", "turnaround_days", "extra",
    )
    status = upsert(session, state, "institution", rows, ["name", "city_code"],
                    ["kind", "accreditation_no", "scope", "capacity_per_month", "turnaround_days", "extra"])
    return Outcome(status, dups)


def _link_enterprises(session: Session, df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Attach ``enterprise_id`` by USCC; rows naming an unregistered enterprise are rejected."""
    known = repo.fetch_existing(session, "enterprise", df.select("uscc").unique(), [])
    linked = df.join(known.select(pl.col("id").alias("enterprise_id"), "uscc"), on="uscc", how="left")
    missing = linked.filter(pl.col("enterprise_id").is_null())
    rejected = rejected_frame(
        missing[LINE], "uscc",
        pl.lit("企业未登记，请先导入企业名录 (enterprise not registered: import it with `lingqu import enterprises` first)"),
    )
    return linked.filter(pl.col("enterprise_id").is_not_null()), rejected


def _owned_by_enterprise(table_name: str, key: str, cols: list[str], defaults: dict):
    def handler(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
        df, dups = drop_duplicates(df, [key], state, key)
        df, unknown = _link_enterprises(session, df)
        rows = df.select(
            LINE, pl.col(key).alias(cols[0]), "enterprise_id",
            *[pl.col(src).fill_null(defaults[src]).alias(dst) if src in defaults else pl.col(src).alias(dst)
              for src, dst in zip(defaults.get("_sources", []), cols[1:])],
            "extra",
        )
        status = upsert(session, state, table_name, rows, [cols[0]], ["enterprise_id", *cols[1:], "extra"])
        return Outcome(status, pl.concat([dups, unknown]))

    return handler


complaints = _owned_by_enterprise(
    "complaint", "complaint_id", ["complaint_no", "received_on", "channel", "category", "description"],
    {"_sources": ["received_on", "channel", "category", "description"], "channel": "", "category": "", "description": ""},
)
certificates = _owned_by_enterprise(
    "certificate", "certificate_no",
    ["certificate_no", "kind", "product_name", "model", "standard_code", "issued_on", "expires_on", "status"],
    {"_sources": ["kind", "product_name", "model", "standard_code", "issued_on", "expires_on", "status"],
     "kind": "CCC", "product_name": "", "model": "", "standard_code": "", "status": "valid"},
)
assistance = _owned_by_enterprise(
    "assistance", "assistance_id", ["assistance_no", "started_on", "kind", "provider"],
    {"_sources": ["started_on", "kind", "provider"], "kind": "", "provider": ""},
)


# --- standards and products ------------------------------------------------------------------

STANDARD_VALUES = [
    "title_zh", "title_en", "kind", "status", "issued", "effective", "withdrawn", "replaces", "replaced_by", "adopts",
    "categories", "domain", "source", "verification",
]


def _standard_row_problems(df: pl.DataFrame) -> pl.DataFrame:
    """Rows whose fields are each valid but contradict each other: ``_line``, columns, reason."""
    from lingqu.standard.dataset import kind_mismatch

    mismatch = pl.struct("kind", "code").map_elements(lambda r: kind_mismatch(r["kind"], r["code"]), return_dtype=pl.String)
    own = pl.col("code")
    checks: list[tuple[str, pl.Expr, pl.Expr | str]] = [
        ("kind|code", mismatch.is_not_null(), mismatch),
        ("title_zh|title_en", pl.col("title_zh").is_null() & pl.col("title_en").is_null(),
         "中文和英文名称都为空 (give at least one title)"),
        ("issued|effective", pl.col("issued") > pl.col("effective"),
         pl.format("发布日期 {} 晚于实施日期 {} (issued after effective)", pl.col("issued"), pl.col("effective"))),
        ("withdrawn", pl.col("withdrawn") < pl.col("effective"),
         pl.format("废止日期 {} 早于实施日期 {} (withdrawn before it took effect)", pl.col("withdrawn"), pl.col("effective"))),
        ("status|withdrawn", pl.col("withdrawn").is_not_null() & pl.col("status").is_in(["current", "upcoming"]),
         "有废止日期但状态为现行或即将实施 (a withdrawal date is given but the status is current or upcoming)"),
        ("status|effective", (pl.col("status") == "upcoming") & pl.col("effective").is_null(),
         "即将实施的标准须有实施日期 (an upcoming edition needs its effective date)"),
        ("replaces", pl.col("replaces").fill_null("").str.split(";").list.contains(own),
         "代替标准中含本标准自身 (an edition cannot replace itself)"),
        ("replaced_by", pl.col("replaced_by").fill_null("").str.split(";").list.contains(own),
         "被代替标准中含本标准自身 (an edition cannot be replaced by itself)"),
    ]
    parts = [
        df.filter(cond.fill_null(False)).select(
            LINE, pl.lit(cols).alias("_bad_columns"), (reason if isinstance(reason, pl.Expr) else pl.lit(reason)).alias("_reason"),
        )
        for cols, cond, reason in checks
    ]
    bad = pl.concat(parts) if parts else EMPTY_REJECTS
    if bad.is_empty():
        return EMPTY_REJECTS
    return bad.group_by(LINE, maintain_order=True).agg(
        pl.col("_bad_columns").str.join("|"), pl.col("_reason").str.join("; "),
    ).select(LINE, "_bad_columns", "_reason")


def standards(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
    """Editions of standards by code; applicability links are refreshed for every row written."""
    from lingqu.standard import repository as standard_repo

    df, dups = drop_duplicates(df, ["code"], state, "code")
    bad = _standard_row_problems(df)
    df = df.join(bad.select(LINE), on=LINE, how="anti")
    rows = df.select(
        LINE, "code", pl.col("title_zh").fill_null(""), pl.col("title_en").fill_null(""), "kind", "status", "issued", "effective", "withdrawn",
        *[pl.col(c).fill_null("") for c in ("replaces", "replaced_by", "adopts", "categories")],
        pl.col("domain").fill_null("general"), "source", pl.col("verification").fill_null(""),
    )
    status = upsert(session, state, "standard", rows, ["code"], STANDARD_VALUES, with_ids=True)
    written = status.filter(pl.col(STATUS) != "unchanged").join(rows.select(LINE, "categories"), on=LINE)
    standard_repo.replace_categories(session, written.select("id", "categories"))
    return Outcome(status.select(LINE, STATUS), pl.concat([dups, bad]))


def products(session: Session, df: pl.DataFrame, state: ImportState) -> Outcome:
    df = df.with_columns(pl.col("model").fill_null(""))
    df, dups = drop_duplicates(df, ["uscc", "name", "model"], state, "uscc|name|model")
    df, unknown = _link_enterprises(session, df)
    rows = df.select(LINE, "enterprise_id", "name", "model", pl.col("brand").fill_null(""), "category", "extra")
    status = upsert(session, state, "product", rows, ["enterprise_id", "name", "model"], ["brand", "category", "extra"])
    return Outcome(status, pl.concat([dups, unknown]))
