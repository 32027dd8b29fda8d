"""The audit log is hash-chained: altering, removing or reordering an entry is detected."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from lingqu.audit.service import GENESIS, entry_hash, record, verify
from lingqu.db.engine import unit_of_work


def _write_three(url):
    with unit_of_work(url) as s:
        for i in range(3):
            record(s, actor="tester", action="update", entity="enterprise", key=f"K{i}", before={"name": f"a{i}"}, after={"name": f"b{i}"})


def test_intact_chain_verifies_and_links(db_url):
    _write_three(db_url)
    with unit_of_work(db_url) as s:
        report = verify(s)
        rows = s.execute(sa.text("SELECT prev_hash, hash FROM audit_log ORDER BY id")).all()
    assert report.ok and report.entries == len(rows)
    assert rows[0][0] == GENESIS
    assert all(rows[i][0] == rows[i - 1][1] for i in range(1, len(rows)))


def test_hash_covers_every_field():
    base = entry_hash(GENESIS, "t", "a", "update", "e", "k", {"x": 1}, {"x": 2}, "")
    assert base != entry_hash(GENESIS, "t", "a", "update", "e", "k", {"x": 1}, {"x": 3}, "")
    assert base != entry_hash(GENESIS, "t", "b", "update", "e", "k", {"x": 1}, {"x": 2}, "")
    assert base != entry_hash("1" * 64, "t", "a", "update", "e", "k", {"x": 1}, {"x": 2}, "")


def test_an_altered_entry_is_found(db_url):
    _write_three(db_url)
    with unit_of_work(db_url) as s:
        target = s.execute(sa.text("SELECT id FROM audit_log WHERE entity_key = 'K1'")).scalar()
        s.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE id = :i"), {"i": target})
    with unit_of_work(db_url) as s:
        report = verify(s)
    assert not report.ok and report.first_bad_id == target and "altered" in report.reason


def test_a_removed_entry_is_found(db_url, cli_env):
    _write_three(db_url)
    with unit_of_work(db_url) as s:
        target = s.execute(sa.text("SELECT id FROM audit_log WHERE entity_key = 'K1'")).scalar()
        s.execute(sa.text("DELETE FROM audit_log WHERE id = :i"), {"i": target})
    with unit_of_work(db_url) as s:
        report = verify(s)
    assert not report.ok and "broken" in report.reason
    lingqu = str(Path(sys.executable).with_name("lingqu"))
    r = subprocess.run([lingqu, "audit", "verify"], env=cli_env, capture_output=True, text=True)
    assert r.returncode == 1 and "BROKEN" in r.stderr
