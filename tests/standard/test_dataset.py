"""The standards dataset: the shipped file keeps every seed fact, ``lingqu import standards`` checks
every field and row, re-importing changes nothing, and the export re-imports with zero changes."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa

from lingqu.db.engine import unit_of_work
from lingqu.ingest.service import StrictRejected, import_file
from lingqu.standard import catalog, dataset
from lingqu.standard.numbers import split_codes

from .kb import row, write_standards

DATA = resources.files("lingqu") / "data"
#: the seed's free-text statuses and the vocabulary word each stands for
SEED_STATUS = {
    "current": "current", "superseded": "superseded", "current (international)": "current",
    "no longer applies to power banks from 2025-08-15": "superseded",
    "current (not withdrawn; newer GB/T 42062-2022 exists)": "current",
}


def _csv(name):
    with (DATA / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _shipped_count() -> int:
    from lingqu.reference.service import standards_files

    return sum(len(list(csv.DictReader(p.open(encoding="utf-8-sig")))) for p in standards_files())


def _import(db_url, path, tmp_path, strict=False):
    rejects = tmp_path / "rejects.csv"
    with unit_of_work(db_url) as s:
        report = import_file(s, "standards", path, rejects=rejects, strict=strict, actor="test")
    with rejects.open(encoding="utf-8-sig", newline="") as f:
        return report, list(csv.reader(f))[1:]


def test_every_seed_row_is_in_the_dataset_with_its_facts():
    """standards_seed.csv (the shared seed) stays the shipped copy; standards.csv carries each of
    its rows with the same facts, statuses normalised to the four-word vocabulary."""
    data = {r["code"]: r for r in _csv("standards.csv")}
    assert list(_csv("standards.csv")[0]) == list(dataset.HEADER)
    seed = _csv("standards_seed.csv")
    assert len(seed) == 33
    for r in seed:
        d = data[r["code"]]
        for col in ("title_zh", "title_en", "issued", "effective", "adopts", "source"):
            assert d[col] == r[col], (r["code"], col)
        # confirmed neighbours may be added to a chain (DATA.md), never removed
        assert set(split_codes(r["replaces"])) <= set(split_codes(d["replaces"])), r["code"]
        assert set(split_codes(r["replaced_by"])) <= set(split_codes(d["replaced_by"])), r["code"]
        newer = set(split_codes(d["replaced_by"])) - set(split_codes(r["replaced_by"]))
        assert d["status"] == SEED_STATUS[r["status"]] or (d["status"] == "superseded" and newer), r["code"]
        assert r["status"] == d["status"] or r["status"] in d["verification"] or newer, r["code"]
        assert r["verification"] in d["verification"]
        assert d["categories"], r["code"]


def test_statuses_of_the_free_text_seed_rows_are_normalised():
    data = {r["code"]: r for r in _csv("standards.csv")}
    assert data["CNCA-C09-01:2023"]["status"] == "superseded"
    assert data["CNCA-C09-01:2023"]["replaced_by"] == "CNCA-C09-02:2025"
    assert data["YY/T 0316-2016"]["status"] == "current" and "newer GB/T 42062-2022" in data["YY/T 0316-2016"]["verification"]
    # the seed said "current (international)"; ISO 2859-1:2026 (published 2026-01-22) has replaced it since
    assert data["ISO 2859-1:1999"]["status"] == "superseded" and data["ISO 2859-1:1999"]["replaced_by"] == "ISO 2859-1:2026"
    assert "current (international)" in data["ISO 2859-1:1999"]["verification"]


def test_every_source_id_of_the_dataset_has_a_url():
    for r in _csv("standards.csv"):
        links = dataset.source_links(r["source"])
        assert links and all(link["url"].startswith("http") for link in links), r["code"]
    # S24 is the wetuji page on GB 4943.1-2022 (../shared/reference/SOURCES.md)
    assert dataset.source_links("S24")[0]["url"] == "https://wetuji.com/guifan/gb4943-1-2022.html"


def test_shipped_standards_have_no_rejected_rows(tmp_path):
    from lingqu.reference.service import init_database

    report = init_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert report.rejected == []
    assert report.inserted["standard"] == _shipped_count()


def test_init_loads_the_dataset_with_applicability(db_url):
    with unit_of_work(db_url) as s:
        n = s.execute(sa.text("SELECT COUNT(*) FROM standard")).scalar()
        kinds = dict(s.execute(sa.text("SELECT code, kind FROM standard")).all())
        cats = {c for (c,) in s.execute(sa.text(
            "SELECT category_code FROM standard_category sc JOIN standard st ON st.id = sc.standard_id "
            "WHERE st.code = 'GB/T 2828.1-2012'"))}
    assert n == _shipped_count()
    assert kinds["CNCA-C09-02:2025"] == "CCC_rule" and kinds["YY/T 0287-2017"] == "YY/T" and kinds["ISO 2859-1:1999"] == "ISO"
    # a cluster name expands to every category of the cluster
    assert {"PB", "LIB", "ADP", "ITE", "MD07", "IVD"} <= cats and len(cats) == len(dataset.product_categories())


def test_bad_rows_are_rejected_with_line_column_and_reason(db_url, tmp_path):
    path = write_standards(tmp_path / "bad.csv", [
        row(code="GB/T 99001-2024"),                                   # line 2: good
        row(code="GB/T 99002-2024", issued="2024-13-01"),              # 3: no such date
        row(code="GB/T 99003-2024", kind="GBX/TT"),                    # 4: unknown kind
        row(code="GB/T 99004-2024", status="valid-ish"),               # 5: unknown status
        row(code="GB/T 99005-2024", categories="PB;XYZ"),              # 6: unknown category
        row(code="GB/T 99006-2024", issued="2024-08-01", effective="2024-07-01"),  # 7: issued after effective
        row(code="99007-2024"),                                        # 8: malformed code
        row(code="GB 99008-2024", kind="GB/T"),                        # 9: prefix vs kind
        row(code="GB/T 99009-2024", source="somewhere"),               # 10: source neither S-id nor URL
        row(code="GB/T 99001-2024"),                                   # 11: duplicate of line 2
        row(code="GB/T 99010-2024", status="upcoming", effective=""),  # 12: upcoming without date
        row(code="GB/T 99011-2024", status="current", withdrawn="2025-01-01"),  # 13: withdrawn but current
        row(code="GB/T 99012-2024", replaces="GB/T 99012-2024"),       # 14: replaces itself
        row(code="GB/T 99013-2024", source="S999"),                    # 15: unknown source id
    ])
    report, rejects = _import(db_url, path, tmp_path)
    assert (report.read, report.imported, report.rejected) == (14, 1, 13)
    by_line = {int(r[0]): (r[1], r[2]) for r in rejects}
    assert sorted(by_line) == list(range(3, 16))
    assert by_line[3][0] == "issued" and "no such date" in by_line[3][1]
    assert by_line[4][0] == "kind" and "unknown kind" in by_line[4][1]
    assert by_line[5][0] == "status"
    assert by_line[6][0] == "categories" and "XYZ" in by_line[6][1]
    assert by_line[7][0] == "issued|effective" and "issued after effective" in by_line[7][1]
    assert by_line[8][0] == "code" and "malformed code" in by_line[8][1]
    assert by_line[9][0] == "kind|code" and "does not match kind" in by_line[9][1]
    assert by_line[10][0] == "source"
    assert "duplicate of line 2" in by_line[11][1]
    assert "upcoming" in by_line[12][1]
    assert "withdrawal date" in by_line[13][1]
    assert "replace itself" in by_line[14][1]
    assert "unknown source id" in by_line[15][1]


def test_strict_import_writes_nothing_when_a_row_is_bad(db_url, tmp_path):
    path = write_standards(tmp_path / "s.csv", [row(), row(code="GB/T 99002-2024", effective="someday")])
    with pytest.raises(StrictRejected):
        _import(db_url, path, tmp_path, strict=True)
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT COUNT(*) FROM standard WHERE code LIKE 'GB/T 9900%'")).scalar() == 0


def test_reimport_is_unchanged_and_updates_are_audited(db_url, tmp_path):
    path = write_standards(tmp_path / "s.csv", [row(), row(code="GB/T 99002-2024", categories="medical_device")])
    report, _ = _import(db_url, path, tmp_path)
    assert (report.inserted, report.updated) == (2, 0)
    report, _ = _import(db_url, path, tmp_path)
    assert (report.imported, report.unchanged) == (0, 2)
    write_standards(path, [row(title_en="Test standard, corrected"), row(code="GB/T 99002-2024", categories="MD07")])
    report, _ = _import(db_url, path, tmp_path)
    assert (report.updated, report.unchanged) == (2, 0)
    with unit_of_work(db_url) as s:
        audit = s.execute(sa.text("SELECT entity_key, CAST(after AS TEXT) FROM audit_log WHERE entity = 'standard' AND action = 'update'")).all()
        links = [c for (c,) in s.execute(sa.text(
            "SELECT category_code FROM standard_category sc JOIN standard st ON st.id = sc.standard_id WHERE st.code = 'GB/T 99002-2024'"))]
    assert {k for k, _ in audit} == {"GB/T 99001-2024", "GB/T 99002-2024"}
    assert any("corrected" in a for _, a in audit)
    assert links == ["MD07"]  # applicability links follow the update


def test_chinese_headers_and_spellings_are_understood(db_url, tmp_path):
    path = tmp_path / "zh.csv"
    path.write_text(
        "标准编号,标准名称,类型,状态,发布日期,实施日期,适用产品类别,来源\n"
        "gb/t99020—2024,测试（全角括号保留）,GB/T,现行,2024年1月2日,2024/7/1,移动电源、07,https://example.org/a\n",
        encoding="utf-8")
    report, rejects = _import(db_url, path, tmp_path)
    assert report.imported == 1, rejects
    with unit_of_work(db_url) as s:
        r = s.execute(sa.text("SELECT code, title_zh, status, effective, categories FROM standard WHERE code = 'GB/T 99020-2024'")).one()
    assert r[1] == "测试（全角括号保留）" and r[2] == "current" and str(r[3]) == "2024-07-01" and r[4] == "PB;MD07"


def test_export_reimports_with_zero_changes(db_url, tmp_path):
    extra = write_standards(tmp_path / "extra.csv", [row(), row(code="GB/T 99002-2024", status="superseded",
                                                            replaced_by="GB/T 99001-2024", withdrawn="2025-01-01")])
    _import(db_url, extra, tmp_path)
    out = tmp_path / "export.csv"
    with unit_of_work(db_url) as s:
        n = catalog.export(s, out)
    report, rejects = _import(db_url, out, tmp_path)
    assert rejects == []
    assert (report.read, report.imported, report.unchanged, report.rejected) == (n, 0, n, 0)
    assert n == _shipped_count() + 2


def test_docs_example_imports_without_rejects(db_url, tmp_path):
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "standards.csv"
    report, rejects = _import(db_url, example, tmp_path)
    assert rejects == [] and report.imported == report.read > 0


@pytest.mark.parametrize("raw, canonical", [
    ("gb/t16886.1—2011", "GB/T 16886.1-2011"), ("ISO 2859-1:1999/Amd 1:2011", "ISO 2859-1:1999/Amd 1:2011"),
    ("IEC 60601-1:2005+A1:2012", "IEC 60601-1:2005+A1:2012"), ("ISO/IEC Guide 65:1996", "ISO/IEC Guide 65:1996"),
    ("CNAS-CL01:2018", "CNAS-CL01:2018"), ("cnca-c09-02:2025", "CNCA-C09-02:2025"), ("国务院令第739号", "国务院令第739号"),
])
def test_codes_are_read_as_printed_in_canonical_spacing(raw, canonical):
    assert dataset.parse_code(raw) == canonical


@pytest.mark.parametrize("raw", ["99007-2024", "GB", "GB 9706.1-2020; GB 9706.1-2007", "GB/T abc", ""])
def test_malformed_codes_are_refused(raw):
    from lingqu.kit.normalize import FieldProblem

    with pytest.raises(FieldProblem):
        dataset.parse_code(raw)
