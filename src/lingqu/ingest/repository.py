"""All SQL of bulk imports, columnar: frames in, frames out.

Inserts go through the driver's fastest path (SQLite ``executemany``, PostgreSQL ``COPY``) on the
session's own connection, so they are part of the import's single transaction: a crash or a
kill rolls all of it back. Lookups of existing records use a typed temporary key table joined
to the target (no ``IN`` lists with a million parameters).

Values are compared in a canonical form (dates as ISO text, booleans as 0/1, JSON as its text):
``fetch_existing`` returns that form and ``canonical`` turns new values into it.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingqu.db.base import Base, load_all_models


def table(name: str) -> sa.Table:
    load_all_models()
    return Base.metadata.tables[name]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _q(session: Session, name: str) -> str:
    return session.get_bind().dialect.identifier_preparer.quote(name)


def _raw(session: Session):
    return session.connection().connection.driver_connection


def _kind(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, sa.JSON):
        return "json"
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, (sa.Integer, sa.Float)):
        return "number"
    return "text"


def canonical(tbl: sa.Table, df: pl.DataFrame) -> pl.DataFrame:
    """New values in the form ``fetch_existing`` returns, for comparison and insertion."""
    exprs = []
    for c in df.columns:
        if c not in tbl.c:
            continue
        kind = _kind(tbl.c[c])
        if kind == "date":
            exprs.append(pl.col(c).cast(pl.Date).dt.to_string("%Y-%m-%d").alias(c))
        elif kind == "bool":
            exprs.append(pl.col(c).cast(pl.Int64).alias(c))
        elif kind == "text" and not tbl.c[c].nullable:
            exprs.append(pl.col(c).fill_null("").alias(c))
    return df.with_columns(exprs) if exprs else df


def insert_frame(session: Session, table_name: str, df: pl.DataFrame) -> None:
    """Insert every row of ``df`` (columns named as the table's) in the session's transaction."""
    if df.is_empty():
        return
    df = _with_defaults(table_name, df)
    cols = df.columns
    collist = ", ".join(_q(session, c) for c in cols)
    if _dialect(session) == "postgresql":
        tbl = Base.metadata.tables.get(table_name)
        text_cols = [c for c in cols if tbl is None or _kind(tbl.c[c]) in ("text",)] if tbl is not None else []
        force = f", FORCE_NOT_NULL ({', '.join(_q(session, c) for c in text_cols)})" if text_cols else ""
        data = df.with_columns([pl.col(c).cast(pl.Boolean) for c in cols if tbl is not None and _kind(tbl.c[c]) == "bool"])
        with _raw(session).cursor() as cur:
            with cur.copy(f"COPY {_q(session, table_name)} ({collist}) FROM STDIN (FORMAT csv{force})") as cp:
                cp.write(data.write_csv(include_header=False))
    else:
        marks = ", ".join("?" * len(cols))
        _raw(session).executemany(f"INSERT INTO {_q(session, table_name)} ({collist}) VALUES ({marks})", df.iter_rows())


def _with_defaults(table_name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Add the model's Python-side defaults for columns the frame lacks (raw inserts bypass the ORM)."""
    load_all_models()
    tbl = Base.metadata.tables.get(table_name)
    if tbl is None:
        return df
    extra = []
    for col in tbl.columns:
        if col.name in df.columns or col.default is None or col.primary_key:
            continue
        if col.default.is_scalar:
            extra.append(pl.lit(col.default.arg).alias(col.name))
        elif _kind(col) == "json":
            extra.append(pl.lit("{}").alias(col.name))
    return df.with_columns(extra) if extra else df


def update_rows(session: Session, table_name: str, df: pl.DataFrame, touch: str | None = None) -> None:
    """``UPDATE table SET cols WHERE id = ?`` for each row of ``df`` (which has an ``id`` column)."""
    if df.is_empty():
        return
    cols = [c for c in df.columns if c != "id"]
    mark = "%s" if _dialect(session) == "postgresql" else "?"
    sets = ", ".join(f"{_q(session, c)} = {mark}" for c in cols)
    if touch:
        sets += f", {_q(session, touch)} = CURRENT_TIMESTAMP"
    sql = f"UPDATE {_q(session, table_name)} SET {sets} WHERE id = {mark}"
    rows = df.select([*cols, "id"]).rows()
    if _dialect(session) == "postgresql":
        tbl = Base.metadata.tables[table_name]
        bools = [i for i, c in enumerate(cols) if _kind(tbl.c[c]) == "bool"]
        if bools:
            rows = [tuple(bool(v) if i in bools and v is not None else v for i, v in enumerate(r)) for r in rows]
        with _raw(session).cursor() as cur:
            cur.executemany(sql, rows)
    else:
        _raw(session).executemany(sql, rows)


def reserve_ids(session: Session, table_name: str, n: int) -> list[int]:
    """``n`` fresh primary keys for ``table_name``, taken before inserting.

    PostgreSQL: from the column's sequence (safe with concurrent writers). SQLite: above the
    current maximum; a concurrent writer cannot interleave, because SQLite refuses the write of a
    transaction whose snapshot another writer has moved past (the import then fails whole).
    """
    conn = session.connection()
    if _dialect(session) == "postgresql":
        rows = conn.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{table_name}', 'id')) FROM generate_series(1, {int(n)})"
        ).fetchall()
        return sorted(r[0] for r in rows)
    start = conn.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {_q(session, table_name)}").scalar()
    return list(range(start, start + n))


def set_batch_outcomes(session: Session, outcomes: pl.DataFrame) -> None:
    """Write ``item_count``, ``failed_count`` and ``passed`` computed for batches created by this import."""
    update_rows(session, "batch", outcomes.select("id", "item_count", "failed_count", "passed"))


def _select_expr(session: Session, tbl: sa.Table, col: str, alias: str = "t") -> str:
    kind = _kind(tbl.c[col])
    ref = f"{alias}.{_q(session, col)}"
    if kind in ("json", "date"):
        return f"CAST({ref} AS TEXT)"
    if kind == "bool":
        return f"CAST({ref} AS INTEGER)"
    return ref


def fetch_existing(session: Session, table_name: str, keys: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Rows of ``table_name`` whose key columns match a row of ``keys``: ``id``, keys, ``columns``."""
    tbl = table(table_name)
    key_cols = keys.columns
    out_cols = ["id", *key_cols, *[c for c in columns if c not in key_cols]]
    schema = {c: _polars_type(tbl.c[c]) for c in out_cols}
    if keys.is_empty():
        return pl.DataFrame(schema=schema)
    tmp = f"lq_keys_{table_name}_{'_'.join(key_cols)}"
    colsql = ", ".join(_q(session, c) for c in key_cols)
    conn = session.connection()
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {tmp} AS SELECT {colsql} FROM {_q(session, table_name)} WHERE 1 = 0"
    )
    conn.exec_driver_sql(f"DELETE FROM {tmp}")
    insert_frame(session, tmp, canonical(tbl, keys.unique()))
    on = " AND ".join(f"t.{_q(session, c)} = k.{_q(session, c)}" for c in key_cols)
    select = ", ".join(f"{_select_expr(session, tbl, c)}" for c in out_cols)
    rows = conn.exec_driver_sql(f"SELECT {select} FROM {_q(session, table_name)} t JOIN {tmp} k ON {on}").fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")


def _polars_type(col: sa.Column):
    kind = _kind(col)
    if kind == "number":
        return pl.Float64 if isinstance(col.type, sa.Float) else pl.Int64
    if kind == "bool":
        return pl.Int64
    return pl.String


def recompute_batch_outcomes(session: Session, batch_ids: list[int]) -> None:
    """A batch passes only if every item passes: refresh ``passed``, ``item_count``, ``failed_count``."""
    if not batch_ids:
        return
    conn = session.connection()
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS lq_batch_ids (id INTEGER PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM lq_batch_ids")
    insert_frame(session, "lq_batch_ids", pl.DataFrame({"id": sorted(set(batch_ids))}, schema={"id": pl.Int64}))
    conn.exec_driver_sql(
        """
        UPDATE batch SET
          item_count = (SELECT COUNT(*) FROM test_result r WHERE r.batch_id = batch.id),
          failed_count = (SELECT COUNT(*) FROM test_result r WHERE r.batch_id = batch.id AND NOT r.passed),
          passed = (SELECT CASE WHEN COUNT(*) = 0 THEN NULL
                                WHEN SUM(CASE WHEN r.passed THEN 0 ELSE 1 END) = 0 THEN TRUE ELSE FALSE END
                    FROM test_result r WHERE r.batch_id = batch.id)
        WHERE id IN (SELECT id FROM lq_batch_ids)
        """
    )
