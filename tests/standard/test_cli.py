"""The ``lingqu standards`` commands end to end, as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LQ = str(Path(sys.executable).with_name("lingqu"))


def _run(env, *args):
    return subprocess.run([LQ, "standards", *args], env=env, capture_output=True, text=True, timeout=120)


def test_search_json_puts_the_adopting_standard_first(cli_env):
    r = _run(cli_env, "search", "ISO 13485", "--json")
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    assert results[0]["code"] in {"YY/T 0287-2017", "GB/T 42061-2022"}  # both adopt ISO 13485:2016 IDT
    assert set(results[0]) == {"code", "title_zh", "title_en", "status", "score"}


def test_search_status_and_limit_options(cli_env):
    r = _run(cli_env, "search", "医疗器械", "--status", "current", "--limit", "2", "--json")
    results = json.loads(r.stdout)["results"]
    assert len(results) == 2 and all(x["status"].startswith("current") for x in results)


def test_search_with_query_syntax_characters_returns_json(cli_env):
    r = _run(cli_env, "search", '"(AND:*~^', "--json")
    assert r.returncode == 0 and json.loads(r.stdout) == {"results": []}


def test_edition_json(cli_env):
    r = _run(cli_env, "edition", "GB 9706.1", "--on", "2022-06-01", "--json")
    out = json.loads(r.stdout)
    assert out["code"] == "GB 9706.1-2007" and out["on"] == "2022-06-01"
    assert [c["code"] for c in out["chain"]][-3:] == ["GB 9706.1-2007", "GB 9706.15-2008", "GB 9706.1-2020"]


def test_edition_with_a_bad_date_exits_non_zero_with_message(cli_env):
    r = _run(cli_env, "edition", "GB 9706.1", "--on", "yesterday", "--json")
    assert r.returncode != 0 and "--on" in r.stderr
