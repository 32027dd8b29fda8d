"""The example files in docs/examples import cleanly, so the documentation stays true."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.mark.parametrize("kind", ["enterprises", "sampling", "institutions", "standards", "products"])
def test_documented_example_imports_without_rejects(kind, run_import):
    if kind in ("sampling", "products"):
        run_import("enterprises", EXAMPLES / "enterprises.csv")
    report, rejects = run_import(kind, EXAMPLES / f"{kind}.csv")
    assert report.rejected == 0, rejects
    assert report.imported == report.read > 0
