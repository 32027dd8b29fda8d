"""Fuzz: valid files corrupted in many ways never crash the importer and never lose a row.

For every corrupted file: read = imported + unchanged + rejected, and every rejected line is
in the rejects file, once. Runs on every backend.
"""

from __future__ import annotations

import csv

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lingqu.db.engine import get_sessionmaker
from lingqu.exceptions import UnusableFile
from lingqu.ingest.service import import_file

from .files import BYD, HUAWEI, SAMPLING_HEADER, ZTE, sampling_row

BASE_ROWS = [
    sampling_row(f"B{b}", uscc, item, verdict, value)
    for b, uscc in enumerate([HUAWEI, BYD, ZTE, HUAWEI])
    for item, verdict, value in [("转换效率", "合格", "85.2"), ("输出电压", "不合格", "6.1"), ("过充电保护", "合格", "")]
]

JUNK = st.sampled_from(["", " ", "不合格?", "２０２４年１月", "9144", "\u200b", "NaN", "1e999", '"', "a,b", "\n", "合格", "x" * 300, "深圳市", "天河区", "2024-13-01"])


@st.composite
def corrupted(draw):
    rows = [list(r) for r in BASE_ROWS]
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["cell", "drop_cell", "add_cell", "dup_row", "blank_line", "swap"]))
        i = draw(st.integers(0, len(rows) - 1))
        if op == "cell":
            if rows[i]:
                rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(JUNK)
        elif op == "drop_cell" and len(rows[i]) > 1:
            rows[i].pop(draw(st.integers(0, len(rows[i]) - 1)))
        elif op == "add_cell":
            rows[i].append(draw(JUNK))
        elif op == "dup_row":
            rows.insert(i, list(rows[i]))
        elif op == "blank_line":
            rows.insert(i, [])
        elif op == "swap":
            j = draw(st.integers(0, len(rows) - 1))
            rows[i], rows[j] = rows[j], rows[i]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return rows, encoding


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=corrupted())
def test_corrupted_files_lose_nothing(case, db_url, tmp_path_factory):
    """Each example imports inside a transaction that is rolled back, so the examples are
    independent and the test runs on every backend."""
    rows, encoding = case
    d = tmp_path_factory.mktemp("fuzz")
    path = d / "s.csv"
    with path.open("w", encoding=encoding, newline="", errors="replace") as f:
        w = csv.writer(f)
        w.writerow(SAMPLING_HEADER)
        for r in rows:
            w.writerow(r)
    rejects = d / "rejects.csv"
    session = get_sessionmaker(db_url)()
    try:
        report = import_file(session, "sampling", path, rejects=rejects)
    except UnusableFile:
        return  # a file-level problem: nothing written, reported as such (exit 2)
    finally:
        session.rollback()
        session.close()
    assert report.read == report.imported + report.unchanged + report.rejected
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        listed = [int(r["行号 line"]) for r in csv.DictReader(f)]
    assert len(listed) == report.rejected
    assert len(set(listed)) == len(listed)  # one line per rejected row
    non_blank = sum(1 for r in rows if any(str(c).strip() for c in r))
    assert report.read >= non_blank - sum(1 for r in rows for c in r if "\n" in str(c))
