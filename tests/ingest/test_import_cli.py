"""The import command's contract: exit codes 0/1/2, JSON counts, rejects file, and that a killed
import leaves the database exactly as it was."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from lingqu.db.engine import unit_of_work

from .files import ENTERPRISE_HEADER, HUAWEI, SAMPLING_HEADER, read_rejects, write_csv

LINGQU = [str(Path(sys.executable).with_name("lingqu"))]


def lingqu(args, env, **kw):
    return subprocess.run(LINGQU + args, env=env, capture_output=True, text=True, timeout=300, **kw)


def test_exit_codes_and_json(cli_env, tmp_path):
    good = write_csv(tmp_path / "good.csv", ENTERPRISE_HEADER, [[HUAWEI, "华为技术有限公司", "深圳", "龙岗区", "other", "", "", ""]])
    r = lingqu(["import", "enterprises", str(good), "--json"], cli_env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["imported"] == 1

    mixed = write_csv(tmp_path / "mixed.csv", ENTERPRISE_HEADER, [
        [HUAWEI, "华为技术有限公司", "深圳", "龙岗区", "other", "", "", ""], ["914403001922038210", "坏", "深圳", "", "", "", "", ""],
    ])
    rej = tmp_path / "rej.csv"
    r = lingqu(["import", "enterprises", str(mixed), "--rejects", str(rej), "--json"], cli_env)
    assert r.returncode == 1
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert (out["read"], out["imported"], out["unchanged"], out["rejected"]) == (2, 0, 1, 1)
    assert read_rejects(rej)[0]["行号 line"] == "3"

    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    r = lingqu(["import", "enterprises", str(garbage)], cli_env)
    assert r.returncode == 2 and "error" in r.stderr

    noheader = write_csv(tmp_path / "noheader.csv", ["foo", "bar"], [["1", "2"]])
    r = lingqu(["import", "sampling", str(noheader), "--json"], cli_env)
    assert r.returncode == 2 and "表头" in r.stderr

    missing = write_csv(tmp_path / "missing.csv", ["uscc", "name"], [[HUAWEI, "华为"]])
    r = lingqu(["import", "enterprises", str(missing)], cli_env)
    assert r.returncode == 2 and "city" in r.stderr


def _big_sampling_file(path: Path, batches: int) -> Path:
    rows = []
    for b in range(batches):
        for item in ("转换效率", "输出电压", "过充电保护", "短路保护"):
            rows.append([f"K{b:06d}", HUAWEI, "华为技术有限公司", "移动电源", "华为", "P10", "power_bank", "2024-03-01", "深圳",
                         "龙岗区", "production", "lab", "GB/T 35590-2017", item, "合格", "85", "%", ">=80%", ""])
    return write_csv(path, SAMPLING_HEADER, rows)


def test_a_killed_import_leaves_no_trace(cli_env, db_url, tmp_path):
    f = _big_sampling_file(tmp_path / "big.csv", 60_000)
    with unit_of_work(db_url) as s:
        before = (s.execute(sa.text("SELECT COUNT(*) FROM test_result")).scalar(),
                  s.execute(sa.text("SELECT COUNT(*) FROM enterprise")).scalar(),
                  s.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar())
    env = dict(cli_env, LINGQU_IMPORT_CHUNK_ROWS="5000")
    proc = subprocess.Popen(LINGQU + ["import", "sampling", str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until the import has written rows inside its transaction, then kill it hard.
    deadline = time.time() + 60
    wrote = False
    while time.time() < deadline and proc.poll() is None:
        if _in_flight_writes(db_url):
            wrote = True
            time.sleep(0.5)  # let it write a few more chunks
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert wrote
    with unit_of_work(db_url) as s:
        after = (s.execute(sa.text("SELECT COUNT(*) FROM test_result")).scalar(),
                 s.execute(sa.text("SELECT COUNT(*) FROM enterprise")).scalar(),
                 s.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar())
    assert after == before
    r = lingqu(["audit", "verify"], cli_env)
    assert r.returncode == 0, r.stderr


def _in_flight_writes(db_url: str) -> bool:
    """True once the importer's uncommitted transaction holds written rows."""
    if db_url.startswith("sqlite"):
        # A writer holds SQLite's RESERVED lock from its first write until commit or rollback.
        import sqlite3

        con = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            con.close()
    with unit_of_work(db_url) as s:
        return bool(s.execute(sa.text(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'test_result' AND n.nspname = current_schema() "
            "AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
        )).scalar())
