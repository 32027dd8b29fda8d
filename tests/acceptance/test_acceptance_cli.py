"""``lingqu sampling ...`` run as the installed command (exit codes, JSON, messages)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lingqu.stats.acceptance import AQLS

LINGQU = str(Path(sys.executable).with_name("lingqu"))


def run(*args, env=None):
    return subprocess.run([LINGQU, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=120)


def test_plan_json_single_has_code_letters_and_n_ac_re():
    # Lot 1000, level II -> J (Table 1); Table 2-A row J at AQL 0.40 is an arrow down to K: 125, 1/2.
    r = run("sampling", "plan", "--lot-size", "1000", "--level", "II", "--aql", "0.40", "--stage", "normal",
            "--scheme", "single", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("code_letter", "plan_code_letter", "n", "ac", "re")} == \
        {"code_letter": "J", "plan_code_letter": "K", "n": 125, "ac": 1, "re": 2}


def test_plan_json_double_reports_cumulative_sample_sizes():
    # Table 3-B (tightened double) row J at AQL 2.5: each sample 50, 1 3 / 4 5 -> n1 50, cumulative n2 100.
    r = run("sampling", "plan", "--lot-size", "1000", "--aql", "2.5", "--stage", "tightened", "--scheme", "double",
            "--json")
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("n1", "ac1", "re1", "n2", "ac2", "re2")} == \
        {"n1": 50, "ac1": 1, "re1": 3, "n2": 100, "ac2": 4, "re2": 5}


def test_every_preferred_aql_is_accepted_by_the_cli():
    for aql in (AQLS[0], "10", "15", "1000"):
        r = run("sampling", "plan", "--lot-size", "3000", "--aql", aql, "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["aql"] == aql


def test_hundred_percent_inspection_is_reported():
    out = json.loads(run("sampling", "plan", "--lot-size", "10", "--aql", "0.10", "--json").stdout)
    assert out["hundred_percent_inspection"] is True and out["units_to_inspect"] == 10


@pytest.mark.parametrize(("args", "fragment"), [
    (["--lot-size", "0", "--aql", "1.0"], "lot_size must be at least 1"),
    (["--lot-size", "-3", "--aql", "1.0"], "lot_size must be at least 1"),
    (["--lot-size", "100", "--aql", "1.0", "--level", "IV"], "level must be one of S-1, S-2, S-3, S-4, I, II, III"),
    (["--lot-size", "100", "--aql", "0.3"], "aql must be a preferred AQL"),
    (["--lot-size", "100", "--aql", "1.0", "--stage", "strict"], "stage must be one of normal, tightened, reduced"),
])
def test_bad_input_exits_2_with_a_message_naming_the_parameter(args, fragment):
    r = run("sampling", "plan", *args)
    assert r.returncode == 2 and fragment in r.stderr


def test_oc_command_prints_a_json_table():
    r = run("sampling", "oc", "--lot-size", "1000", "--aql", "1.0", "--points", "5")
    out = json.loads(r.stdout)
    assert len(out["points"]) == 5 and out["points"][0]["pa"] == 1.0 and out["quality"]["aql"] == 1.0


def test_line_lifecycle_through_the_cli(cli_env):
    r = run("sampling", "line", "create", "--line", "CELL-B", "--level", "II", "--aql", "1.0", "--json", env=cli_env)
    assert r.returncode == 0, r.stderr
    for d in (0, 3, 4):  # J: 80, 2/3 -> accepted, not accepted, not accepted -> tightened
        r = run("sampling", "lot", "record", "--line", "CELL-B", "--lot-size", "1000", "--nonconforming", str(d),
                "--date", "2025-01-02", "--json", env=cli_env)
        assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert (rec["accepted"], rec["stage_after"]) == (False, "tightened")
    status = json.loads(run("sampling", "line", "status", "--line", "CELL-B", "--json", env=cli_env).stdout)
    assert status["next"]["stage"] == "tightened" and "9.3.1" in status["next"]["reason"]
    assert status["next"]["plan"]["ac"] == 1  # Table 2-B row J at 1.0: 80, 1/2
    text = run("sampling", "line", "status", "--line", "CELL-B", "--lot-size", "5000", env=cli_env).stdout
    assert "tightened inspection" in text and "n = 200" in text  # L: Table 2-B 200, 3/4
    audit = run("audit", "verify", "--json", env=cli_env)
    assert json.loads(audit.stdout)["ok"] is True and json.loads(audit.stdout)["entries"] >= 7
    r = run("sampling", "lot", "record", "--line", "NONE", "--lot-size", "10", "--nonconforming", "0", env=cli_env)
    assert r.returncode != 0 and "NONE" in r.stderr
