"""``lingqu standards export|changes`` and ``lingqu import standards|products`` as subprocesses."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from lingqu.db.engine import unit_of_work

from .kb import GZ, SZ, make_world, row, write_standards

LQ = str(Path(sys.executable).with_name("lingqu"))


def _run(env, *args):
    return subprocess.run([LQ, *args], env=env, capture_output=True, text=True, timeout=300)


def test_export_then_import_reports_all_unchanged(cli_env, tmp_path):
    out = tmp_path / "all.csv"
    r = _run(cli_env, "standards", "export", "--out", str(out))
    assert r.returncode == 0, r.stderr
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and "GB 4943.1-2022" in {x["code"] for x in rows}
    r = _run(cli_env, "import", "standards", str(out), "--json")
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert (counts["read"], counts["imported"], counts["unchanged"], counts["rejected"]) == (len(rows), 0, len(rows), 0)


def test_import_standards_rejects_and_strict(cli_env, tmp_path):
    path = write_standards(tmp_path / "s.csv", [row(), row(code="GB/T 99002-2024", kind="XX/YYY")])
    rej = tmp_path / "rej.csv"
    r = _run(cli_env, "import", "standards", str(path), "--rejects", str(rej), "--strict", "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout.strip().splitlines()[-1])["imported"] == 0
    with rej.open(encoding="utf-8-sig") as f:
        bad = list(csv.reader(f))[1:]
    assert [(b[0], b[1]) for b in bad] == [("3", "kind")]
    r = _run(cli_env, "import", "standards", str(path), "--rejects", str(rej), "--json")
    assert r.returncode == 1 and json.loads(r.stdout.strip().splitlines()[-1])["imported"] == 1


def test_import_products_links_to_registered_enterprises(cli_env, db_url, tmp_path):
    make_world(db_url)
    path = tmp_path / "p.csv"
    path.write_text("统一社会信用代码,产品名称,规格型号,产品类别\n"
                    f"{SZ},电源适配器,AD-1,电源适配器和充电器\n"
                    f"{GZ},电子血压计,BP-1,07\n"
                    f"{SZ},某产品,X,XYZ\n"
                    "91440300192317458F,移动电源,A,PB\n", encoding="utf-8")
    rej = tmp_path / "rej.csv"
    r = _run(cli_env, "import", "products", str(path), "--rejects", str(rej), "--json")
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert (counts["read"], counts["imported"], counts["rejected"]) == (4, 2, 2)
    with rej.open(encoding="utf-8-sig") as f:
        bad = {b[0]: b for b in list(csv.reader(f))[1:]}
    assert bad["4"][1] == "产品类别" and "unknown product category" in bad["4"][2]
    assert bad["5"][1] == "uscc" and "not registered" in bad["5"][2]
    with unit_of_work(db_url) as s:
        cats = dict(s.execute(sa.text("SELECT model, category FROM product")).all())
    assert cats["AD-1"] == "ADP" and cats["BP-1"] == "MD07"
    r = _run(cli_env, "import", "products", str(path), "--rejects", str(rej), "--json")
    again = json.loads(r.stdout.strip().splitlines()[-1])
    assert (again["imported"], again["unchanged"]) == (0, 2)


def test_changes_command_flags_the_old_edition_and_stores_alerts_once(cli_env, db_url):
    make_world(db_url)
    r = _run(cli_env, "standards", "changes", "--as-of", "2026-11-24", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    c = {x["code"]: x for x in out["changes"]}["GB 4943.1-2011"]
    assert c["enterprises"][0]["uscc"] == SZ and c["enterprises"][0]["certificates"] == ["2023011300000001"]
    assert out["days"] == 180 and out["alerts"]["raised"] == 2
    r = _run(cli_env, "standards", "changes", "--as-of", "2026-11-24", "--days", "30")
    assert r.returncode == 0, r.stderr
    assert "GB 4943.1-2011" in r.stdout and "unchanged 2" in r.stdout
    r = _run(cli_env, "standards", "changes", "--as-of", "24/11/2026")
    assert r.returncode == 2 and "--as-of" in r.stderr
