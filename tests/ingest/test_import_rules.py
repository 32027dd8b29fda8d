"""Import rules: every rejection reason, encodings, idempotency, updates with audit, strict mode."""

from __future__ import annotations

import sqlalchemy as sa

from lingqu.audit.service import verify
from lingqu.db.engine import unit_of_work
from lingqu.ingest.service import StrictRejected

from .files import BYD, ENTERPRISE_HEADER, HUAWEI, SAMPLING_HEADER, ZTE, sampling_row, write_csv


def scalar(db_url, sql):
    with unit_of_work(db_url) as s:
        return s.execute(sa.text(sql)).scalar()


def test_people_spellings_are_normalised(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [
        [HUAWEI, " 华为技术有限公司 ", "深圳市", "龙岗", "other", "深圳市龙岗区坂田", "1987年9月15日", "大型"],
        [BYD, "比亚迪股份有限公司", "Shenzhen", "坪山区", "其他", "", "1995/2/10", "large"],
        ["９１４４０３００２７９３９８７３Ｘ７", "中兴通讯股份有限公司", "深圳", "南山区", "", "", "1997-11-11", ""],
    ])
    report, rejects = run_import("enterprises", f)
    assert (report.read, report.imported, report.rejected) == (3, 3, 0), rejects
    with unit_of_work(db_url) as s:
        rows = s.execute(sa.text("SELECT uscc, name, city_code, district, size, founded FROM enterprise ORDER BY uscc")).all()
    by = {r[0]: r for r in rows}
    assert by[HUAWEI][1:5] == ("华为技术有限公司", "440300", "龙岗区", "large")
    assert str(by[HUAWEI][5]) == "1987-09-15"
    assert str(by[BYD][5]) == "1995-02-10"
    assert ZTE in by  # full-width digits and letters normalised


def test_each_rejection_reason_names_line_column_and_reason(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [
        [HUAWEI, "华为技术有限公司", "深圳", "龙岗区", "other", "", "1987-09-15", ""],      # line 2 ok
        ["914403001922038210", "校验位错误", "深圳", "", "", "", "", ""],                  # 3 check char
        [BYD, "", "深圳", "", "", "", "", ""],                                               # 4 name required
        [ZTE, "中兴", "北京", "", "", "", "", ""],                                          # 5 unknown city
        ["91440300100012316L", "平安", "深圳", "天河区", "", "", "", ""],                  # 6 district of Guangzhou
        ["91330100716105852F", "阿里", "深圳", "", "", "", "2025-02-30", ""],              # 7 impossible date
        ["91110108558521630L", "小米", "深圳", "", "shipbuilding", "", "", ""],           # 8 bad enumeration
        [HUAWEI, "华为重复", "深圳", "", "", "", "", ""],                                   # 9 duplicate of 2
    ])
    report, rejects = run_import("enterprises", f)
    assert (report.read, report.imported, report.rejected) == (8, 1, 7)
    by_line = {int(r["行号 line"]): r for r in rejects}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert by_line[3]["列 column"] == "uscc" and "校验位" in by_line[3]["原因 reason"]
    assert by_line[4]["列 column"] == "name" and "必填" in by_line[4]["原因 reason"]
    assert by_line[5]["列 column"] == "city" and "北京" in by_line[5]["原因 reason"]
    assert by_line[6]["列 column"] == "district" and "天河" in by_line[6]["原因 reason"]
    assert by_line[7]["列 column"] == "founded"
    assert by_line[8]["列 column"] == "cluster"
    assert "第 2 行重复" in by_line[9]["原因 reason"]
    # the original row is kept in the rejects file so it can be fixed and re-imported
    assert by_line[5]["name"] == "中兴" and by_line[5]["city"] == "北京"


def test_chinese_headers_and_extra_columns_are_kept(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "e.csv", ["统一社会信用代码", "企业名称", "城市", "区县", "备注"], [[HUAWEI, "华为技术有限公司", "深圳", "龙岗区", "重点企业"]])
    report, _ = run_import("enterprises", f)
    assert report.imported == 1 and report.extra_columns == ["备注"]
    assert "重点企业" in scalar(db_url, "SELECT CAST(extra AS TEXT) FROM enterprise")


def test_gb18030_and_bom_files_import_identically(db_url, tmp_path, run_import):
    rows = [[HUAWEI, "华为技术有限公司", "深圳", "龙岗区", "other", "", "", ""]]
    gb = write_csv(tmp_path / "gb.csv", ENTERPRISE_HEADER, rows, encoding="gb18030")
    bom = write_csv(tmp_path / "bom.csv", ENTERPRISE_HEADER, rows, encoding="utf-8-sig")
    r1, _ = run_import("enterprises", gb)
    assert r1.encoding == "gb18030" and r1.imported == 1
    r2, _ = run_import("enterprises", bom)
    assert r2.encoding == "utf-8-sig" and (r2.imported, r2.unchanged) == (0, 1)
    assert scalar(db_url, "SELECT name FROM enterprise") == "华为技术有限公司"


def test_xlsx_with_dates_and_numbers(db_url, tmp_path, run_import):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "企业名称", "城市", "成立日期"])
    ws.append([HUAWEI, "华为技术有限公司", "深圳", dt.datetime(1987, 9, 15)])
    ws.append([BYD, "比亚迪股份有限公司", "深圳", "1995年2月10日"])
    ws.append(["bad", "坏代码", "深圳", None])
    path = tmp_path / "e.xlsx"
    wb.save(path)
    report, rejects = run_import("enterprises", path)
    assert (report.read, report.imported, report.rejected) == (3, 2, 1)
    assert rejects[0]["行号 line"] == "4"


def test_reimport_changes_nothing_and_a_changed_value_is_an_audited_update(db_url, tmp_path, run_import):
    rows = [sampling_row("B1", HUAWEI, "转换效率", "不合格", "72.1"), sampling_row("B1", HUAWEI, "输出电压", "合格", "2.1")]
    f = write_csv(tmp_path / "s.csv", SAMPLING_HEADER, rows)
    first, _ = run_import("sampling", f)
    assert (first.read, first.imported, first.unchanged, first.created_enterprises) == (2, 2, 0, 1)
    again, _ = run_import("sampling", f)
    assert (again.read, again.imported, again.unchanged, again.rejected) == (2, 0, 2, 0)
    audit_before = scalar(db_url, "SELECT COUNT(*) FROM audit_log")
    rows[0] = sampling_row("B1", HUAWEI, "转换效率", "合格", "81.0")  # the lab corrected its result
    write_csv(f, SAMPLING_HEADER, rows)
    third, _ = run_import("sampling", f)
    assert (third.imported, third.updated, third.unchanged) == (1, 1, 1)
    assert scalar(db_url, "SELECT passed FROM batch WHERE batch_no = 'B1'") in (1, True)
    with unit_of_work(db_url) as s:
        entry = s.execute(sa.text("SELECT CAST(before AS TEXT), CAST(after AS TEXT) FROM audit_log WHERE entity = 'test_result' AND action = 'update'")).one()
        assert "72.1" in entry[0] and "81.0" in entry[1]
        assert verify(s).ok
    assert scalar(db_url, "SELECT COUNT(*) FROM audit_log") == audit_before + 2  # the update + the run


def test_a_batch_passes_only_if_every_item_passes(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "s.csv", SAMPLING_HEADER, [
        sampling_row("B1", HUAWEI, "转换效率", "合格"), sampling_row("B1", HUAWEI, "输出电压", "不合格"),
        sampling_row("B2", HUAWEI, "转换效率", "pass"), sampling_row("B2", HUAWEI, "输出电压", "P"),
    ])
    run_import("sampling", f)
    with unit_of_work(db_url) as s:
        got = dict(s.execute(sa.text("SELECT batch_no, failed_count FROM batch")).all())
        passed = dict(s.execute(sa.text("SELECT batch_no, passed FROM batch")).all())
    assert got == {"B1": 1, "B2": 0}
    assert bool(passed["B1"]) is False and bool(passed["B2"]) is True


def test_sampling_rejections(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "s.csv", SAMPLING_HEADER, [
        sampling_row("B1", HUAWEI, "转换效率"),                                   # 2 ok
        sampling_row("B1", HUAWEI, "转换效率"),                                   # 3 duplicate (batch, item)
        sampling_row("B1", HUAWEI, "输出电压", date="2024-04-01"),               # 4 batch details differ
        sampling_row("B2", BYD, "转换效率", name=""),                             # 5 unknown enterprise, no name
        sampling_row("B3", ZTE, "转换效率", verdict="待定"),                      # 6 bad verdict
        sampling_row("B4", ZTE, "转换效率", value="八十"),                         # 7 bad number
        sampling_row("B5", ZTE, "转换效率", channel="空运"),                       # 8 bad channel
    ])
    report, rejects = run_import("sampling", f)
    assert (report.read, report.imported, report.rejected) == (7, 1, 6)
    reasons = {int(r["行号 line"]): (r["列 column"], r["原因 reason"]) for r in rejects}
    assert "第 2 行重复" in reasons[3][1]
    assert reasons[4][0] == "sampled_on" and "第 2 行" in reasons[4][1]
    assert reasons[5][0] == "enterprise_name"
    assert reasons[6][0] == "verdict"
    assert reasons[7][0] == "measured_value"
    assert reasons[8][0] == "channel"


def test_unknown_enterprise_is_registered_from_the_sampling_row(db_url, tmp_path, run_import):
    f = write_csv(tmp_path / "s.csv", SAMPLING_HEADER, [sampling_row("B1", BYD, "转换效率", name="比亚迪股份有限公司", district="坪山")])
    report, _ = run_import("sampling", f)
    assert report.created_enterprises == 1
    with unit_of_work(db_url) as s:
        assert s.execute(sa.text("SELECT name, district, source FROM enterprise")).one() == ("比亚迪股份有限公司", "坪山区", "sampling")


def test_strict_imports_nothing_when_a_row_is_bad(db_url, tmp_path, run_import):
    import pytest

    f = write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [
        [HUAWEI, "华为技术有限公司", "深圳", "", "", "", "", ""], ["bad", "x", "深圳", "", "", "", "", ""],
    ])
    with pytest.raises(StrictRejected) as info:
        run_import("enterprises", f, strict=True)
    assert info.value.report.rejected == 1 and info.value.report.imported == 0
    assert scalar(db_url, "SELECT COUNT(*) FROM enterprise") == 0


def test_complaints_need_a_registered_enterprise(db_url, tmp_path, run_import):
    write_csv(tmp_path / "e.csv", ENTERPRISE_HEADER, [[HUAWEI, "华为技术有限公司", "深圳", "", "", "", "", ""]])
    run_import("enterprises", tmp_path / "e.csv")
    f = write_csv(tmp_path / "c.csv", ["complaint_id", "uscc", "received_on", "channel", "category", "description"], [
        ["C1", HUAWEI, "2024-05-01", "12315热线", "发热", "充电时发烫"], ["C2", BYD, "2024-05-02", "网络", "鼓包", ""],
    ])
    report, rejects = run_import("complaints", f)
    assert (report.imported, report.rejected) == (1, 1)
    assert rejects[0]["行号 line"] == "3" and "未登记" in rejects[0]["原因 reason"]


def test_quoted_newlines_and_ragged_rows_keep_true_line_numbers(db_url, tmp_path, run_import):
    path = tmp_path / "e.csv"
    path.write_text(
        "uscc,name,city,address\n"
        f'{HUAWEI},华为技术有限公司,深圳,"深圳市龙岗区\n坂田华为基地"\n'
        "\n"
        f"{BYD},比亚迪股份有限公司,深圳,坪山,多余\n"
        f"{ZTE},中兴通讯股份有限公司,深圳\n",
        encoding="utf-8",
    )
    report, rejects = run_import("enterprises", path)
    assert (report.read, report.imported, report.rejected) == (3, 2, 1)
    assert rejects[0]["行号 line"] == "5" and "多于表头" in rejects[0]["原因 reason"]


def test_numbers_follow_the_same_rules_as_the_form_parser():
    """The vectorised check agrees with kit.normalize.parse_number on every spelling."""
    import polars as pl

    from lingqu.ingest.specs import SAMPLING
    from lingqu.ingest.validate import validate_chunk
    from lingqu.kit.normalize import FieldProblem, parse_number

    values = ["1,234.5", "1,5", "nan", "inf", "-3", "85.3%", "1e5", "1_000", "1 234", ".5", "5.", "１２.５", "−2", "1，234", "abc"]
    frame = pl.DataFrame({"measured_value": values, "_line": list(range(2, 2 + len(values))), "_overflow": [False] * len(values)})
    checked = validate_chunk(frame, SAMPLING, {"measured_value": "measured_value"}, [])
    flagged = {r[0] for r in checked.bad.select("_line", "_reason").iter_rows() if "measured_value" in r[1]}
    for line, v in enumerate(values, start=2):
        try:
            parse_number(v)
            ok = True
        except FieldProblem:
            ok = False
        assert (line not in flagged) == ok, v


def test_gb18030_file_whose_first_megabyte_is_ascii(db_url, tmp_path, run_import):
    """The encoding guess from the first block is confirmed later: a GB18030 file that starts
    with plain ASCII rows switches encoding when its first Chinese row arrives."""
    from lingqu.kit.identifiers import make_uscc

    rows = [[make_uscc("440300", f"{i:08d}"), f"Company {i} Ltd", "Shenzhen", "", "other", "x" * 40, "", ""] for i in range(20_000)]
    rows.append([make_uscc("440300", "ABCDEFGH"), "深圳市中文名称科技有限公司", "深圳", "宝安区", "移动电源", "", "", ""])
    f = write_csv(tmp_path / "late.csv", ENTERPRISE_HEADER, rows, encoding="gb18030")
    assert f.stat().st_size > 1_100_000
    report, rejects = run_import("enterprises", f)
    assert (report.read, report.imported, report.rejected) == (20_001, 20_001, 0), rejects[:3]
    assert report.encoding == "gb18030"
    assert scalar(db_url, "SELECT name FROM enterprise WHERE district = '宝安区'") == "深圳市中文名称科技有限公司"


def test_institution_rejections_for_kind_length_and_minimum(db_url, tmp_path, run_import):
    header = ["name", "kind", "city", "accreditation_no", "scope", "capacity_per_month", "turnaround_days"]
    f = write_csv(tmp_path / "i.csv", header, [
        ["深圳市计量质量检测研究院", "检验检测机构", "深圳", "CNAS L0001", "GB/T 35590-2017;转换效率", "1,200", "7"],  # 2 ok
        ["某认证中心", "认证机构", "广州", "CNAS C001", "", "-5", "30"],                  # 3 negative capacity
        ["某计量院", "计量", "东莞", "", "", "12.5", ""],                                   # 4 not a whole number
        ["某协会", "商会联盟", "中山", "", "", "", ""],                                      # 5 unknown kind
        ["某" * 201, "咨询", "江门", "", "", "", ""],                                       # 6 name too long
        ["某标准院", "标准化", "惠州", "", "", "", "两周"],                                    # 7 turnaround not a number
    ])
    report, rejects = run_import("institutions", f)
    assert (report.read, report.imported, report.rejected) == (6, 1, 5)
    reasons = {int(r["行号 line"]): (r["列 column"], r["原因 reason"]) for r in rejects}
    assert reasons[3][0] == "capacity_per_month" and "at least 0" in reasons[3][1]
    assert reasons[4][0] == "capacity_per_month" and "整数" in reasons[4][1]
    assert reasons[5][0] == "kind"
    assert reasons[6][0] == "name" and "200" in reasons[6][1]
    assert reasons[7][0] == "turnaround_days"
    assert scalar(db_url, "SELECT capacity_per_month FROM institution") == 1200
