"""Fixture for import tests: run an import in its own unit of work."""

from __future__ import annotations

from pathlib import Path

import pytest

from lingqu.db.engine import unit_of_work
from lingqu.ingest.service import import_file

from .files import read_rejects


@pytest.fixture
def run_import(db_url, tmp_path):
    def run(kind, path, strict=False):
        rejects = tmp_path / f"{Path(path).stem}.rejects.csv"
        with unit_of_work(db_url) as session:
            report = import_file(session, kind, path, rejects=rejects, strict=strict, actor="test")
        return report, read_rejects(rejects)

    return run
