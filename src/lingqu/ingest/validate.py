"""Columnar validation of one chunk: every field of every row, no Python loop per row.

Values with few distinct spellings (cities, dates, USCCs, verdicts, enumerations) are parsed
once per *distinct* value with the same ``lingqu.kit.normalize`` functions that forms use, and
joined back; free text and numbers are handled by Polars expressions. A row with any problem
is rejected with its line, the file's own column names and a reason per problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lingqu.ingest.specs import Column, Spec
from lingqu.kit import identifiers, normalize
from lingqu.kit.tabular import LINE, OVERFLOW

REASON = "_reason"
#: A number as people write it: optional sign, digits with optional thousands groups of three,
#: optional decimals and exponent, optional trailing percent sign.
NUMBER_PATTERN = r"^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?$"
BAD_COLUMNS = "_bad_columns"
EXTRA = "extra"


@dataclass
class Validated:
    good: pl.DataFrame  # canonical typed columns, ``_line`` and ``extra`` (JSON text)
    bad: pl.DataFrame  # ``_line``, ``_bad_columns``, ``_reason`` and the raw file columns


_ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]"
_NEEDS_SPACE_FIX = r"^\s|\s$|\s\s|[\t\r\n\v\f]"


def _clean_direct(s: pl.Series) -> pl.Series:
    """kit.normalize.clean_text, vectorised; the costly steps only run when the column needs them."""
    non_ascii = s.str.contains(r"[^\x00-\x7f]").any()
    if non_ascii:
        s = s.str.replace_all(_ZERO_WIDTH, "").str.normalize("NFKC")
    if non_ascii or s.str.contains(_NEEDS_SPACE_FIX).any():
        s = s.str.strip_chars().str.replace_all(r"\s+", " ")
    if (s == "").any():
        s = pl.select(pl.when(s == "").then(None).otherwise(s)).to_series()
    return s


def _clean_keep_form(s: pl.Series) -> pl.Series:
    """Like ``_clean_direct`` without NFKC: for text whose full-width forms are meaningful."""
    s = s.str.replace_all(_ZERO_WIDTH, "").str.strip_chars().str.replace_all(r"\s+", " ")
    return pl.select(pl.when(s == "").then(None).otherwise(s)).to_series()


def clean_column(s: pl.Series, nfkc: bool = True) -> pl.Series:
    """Clean a column; columns with few distinct values (most of a sampling sheet) are cleaned
    once per distinct value and mapped back, which is ~10× cheaper than per cell."""
    if s.null_count() == s.len():
        return s
    if not nfkc:
        return _clean_keep_form(s)
    distinct = s.unique()
    if distinct.len() * 4 < s.len():
        cleaned = _clean_direct(distinct)
        if cleaned.equals(distinct):
            return s
        return s.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String)
    return _clean_direct(s)


def _parse_distinct(values: pl.Series, parse, dtype) -> pl.DataFrame:
    """Apply ``parse`` to each distinct non-null value: (raw, value, problem)."""
    raws, out, problems = [], [], []
    for raw in values.drop_nulls().unique().to_list():
        raws.append(raw)
        try:
            out.append(parse(raw))
            problems.append(None)
        except normalize.FieldProblem as e:
            out.append(None)
            problems.append(str(e))
    return pl.DataFrame(
        {"_raw": raws, "_value": out, "_problem": problems},
        schema={"_raw": pl.String, "_value": dtype, "_problem": pl.String},
    )


def _uscc(raw: str) -> str:
    code = raw.upper().replace(" ", "")
    problem = identifiers.uscc_problem(code)
    if problem:
        raise normalize.FieldProblem(problem)
    return code


_PARSERS = {
    "uscc": (_uscc, pl.String),
    "city": (normalize.city_code, pl.String),
    "date": (normalize.parse_date, pl.Date),
    "verdict": (normalize.parse_verdict, pl.Boolean),
}


def _required_problem(col: Column) -> str:
    return f"必填项为空 (required value is empty)"


def validate_chunk(frame: pl.DataFrame, spec: Spec, mapping: dict[str, str], extras: list[str]) -> Validated:
    """Validate a chunk whose columns are the file's (``mapping``: file column → canonical)."""
    file_name = {canon: f for f, canon in mapping.items()}
    raw_cols = [c for c in frame.columns if c not in (LINE, OVERFLOW)]
    df = frame.with_columns(
        [clean_column(frame[f], spec.column(canon).nfkc).alias(canon) for f, canon in mapping.items()]
        + [pl.lit(None, dtype=pl.String).alias(c.name) for c in spec.columns if c.name not in file_name]
    )
    errs: list[pl.Expr] = []
    values: list[pl.Expr] = []
    joins: list[tuple[str, pl.DataFrame, list[str]]] = []
    for col in spec.columns:
        c = pl.col(col.name)
        err_name = f"_e_{col.name}"
        label = file_name.get(col.name, col.name)
        missing = pl.when(c.is_null()).then(pl.lit(_required_problem(col))) if col.required else None
        if col.kind in _PARSERS or col.kind in ("choice", "custom"):
            if col.kind == "choice":
                parse, dtype = (lambda v, _c=col: normalize.parse_choice(v, _c.name, _c.choices)), pl.String
            elif col.kind == "custom":
                parse, dtype = col.parse, pl.String
            else:
                parse, dtype = _PARSERS[col.kind]
            table = _parse_distinct(df[col.name], parse, dtype).rename(
                {"_raw": col.name, "_value": f"_v_{col.name}", "_problem": f"_p_{col.name}"}
            )
            joins.append((col.name, table, [col.name]))
            value = pl.col(f"_v_{col.name}")
            problem = pl.col(f"_p_{col.name}")
        elif col.kind == "district":
            value, problem = None, None  # resolved after the city, below
        elif col.kind in ("number", "int"):
            # The rules of kit.normalize.parse_number, as one vectorised expression (a sampling
            # file has ~1 M distinct measured values: per-value Python would dominate the import).
            txt = c.str.replace_all("\u2212", "-").str.replace_all("，", ",")
            well_formed = txt.str.contains(NUMBER_PATTERN)
            num = txt.str.replace_all(",", "").str.strip_suffix("%").cast(pl.Float64, strict=False)
            finite = num.is_finite()
            problem = pl.when(c.is_not_null() & (~well_formed | num.is_null() | ~finite)).then(pl.lit("不是有效数字 (not a number)"))
            if col.kind == "int":
                problem = problem.when(c.is_not_null() & (num != num.round(0))).then(pl.lit("应为整数 (must be a whole number)"))
                if col.minimum is not None:
                    problem = problem.when(c.is_not_null() & (num < col.minimum)).then(
                        pl.lit(f"不能小于 {col.minimum} (must be at least {col.minimum})")
                    )
                value = num.cast(pl.Int64, strict=False)
            else:
                value = num
            problem = problem.otherwise(None)
        else:  # text
            value = c
            problem = pl.when(c.str.len_chars() > col.max_len).then(
                pl.lit(f"超过 {col.max_len} 个字符 (longer than {col.max_len} characters)")
            )
        if problem is not None or missing is not None:
            parts = [p for p in (missing, problem) if p is not None]
            expr = parts[0] if len(parts) == 1 else pl.coalesce(parts)
            errs.append(pl.when(expr.is_not_null()).then(pl.lit(f"{label}: ") + expr).alias(err_name))
        if value is not None:
            values.append(value.alias(f"_out_{col.name}"))

    for name, table, on in joins:
        df = df.join(table, on=on, how="left", maintain_order="left")
    df = df.with_columns(errs + values)

    district_cols = [col for col in spec.columns if col.kind == "district"]
    if district_cols:
        df = _resolve_districts(df, district_cols[0], file_name.get(district_cols[0].name, district_cols[0].name))

    err_cols = [c for c in df.columns if c.startswith("_e_")]
    overflow = pl.when(pl.col(OVERFLOW)).then(pl.lit("该行字段数多于表头 (the row has more fields than the header)"))
    df = df.with_columns(
        pl.concat_str([overflow, *[pl.col(c) for c in err_cols]], separator="; ", ignore_nulls=True).alias(REASON),
        pl.concat_str(
            [pl.when(pl.col(OVERFLOW)).then(pl.lit("(整行 whole row)"))]
            + [pl.when(pl.col(c).is_not_null()).then(pl.lit(file_name.get(c[3:], c[3:]))) for c in err_cols],
            separator="|", ignore_nulls=True,
        ).alias(BAD_COLUMNS),
    )
    is_bad = pl.col(REASON).str.len_chars() > 0
    bad = df.filter(is_bad).select([LINE, BAD_COLUMNS, REASON, *raw_cols])
    good = df.filter(~is_bad)
    extra = (
        pl.struct([pl.col(f) for f in extras]).struct.json_encode() if extras else pl.lit("{}")
    ).alias(EXTRA)
    good = good.select(
        [LINE]
        + [pl.col(f"_out_{c.name}").alias(c.name) for c in spec.columns if f"_out_{c.name}" in good.columns]
        + [extra]
    )
    return Validated(good=good, bad=bad)


def _resolve_districts(df: pl.DataFrame, col: Column, label: str) -> pl.DataFrame:
    """Districts depend on the city: parse each distinct (city, district) pair once."""
    city_out = "_out_city"
    pairs = df.select(pl.col(city_out), pl.col(col.name)).filter(pl.col(col.name).is_not_null()).unique()
    rows = []
    for city_code, raw in pairs.iter_rows():
        if city_code is None:
            rows.append((city_code, raw, None, None))  # the city's own error is reported
            continue
        try:
            rows.append((city_code, raw, normalize.district_name(city_code, raw), None))
        except normalize.FieldProblem as e:
            rows.append((city_code, raw, None, str(e)))
    table = pl.DataFrame(
        rows, schema={city_out: pl.String, col.name: pl.String, "_dv": pl.String, "_dp": pl.String}, orient="row"
    )
    df = df.join(table, on=[city_out, col.name], how="left", maintain_order="left", nulls_equal=False)
    return df.with_columns(
        pl.coalesce(pl.col("_dv"), pl.lit("")).alias(f"_out_{col.name}"),
        pl.when(pl.col("_dp").is_not_null()).then(pl.lit(f"{label}: ") + pl.col("_dp")).alias(f"_e_{col.name}"),
    ).drop("_dv", "_dp")
