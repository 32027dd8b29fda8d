"""Reference data the simulator reads from ``lingqu/data``: the supervision-sampling test items
of power banks and the standards with their editions (which edition applied on a given date).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from lingqu.simulate import calibration as cal

EPOCH = dt.date(1970, 1, 1)
_CODE = re.compile(r"^((?:GB|YY)(?:/T)? [0-9.]+-\d{4})")


def day_number(d: dt.date | str) -> int:
    """Days since 1970-01-01 (the integer behind numpy's ``datetime64[D]``)."""
    if isinstance(d, str):
        d = dt.date.fromisoformat(d)
    return (d - EPOCH).days


def _rows(name: str) -> list[dict[str, str]]:
    with (resources.files("lingqu") / "data" / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@cache
def standards() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in _rows("standards_seed.csv")}


def editions_from(code: str) -> tuple[tuple[int, str], ...]:
    """The replacement chain starting at ``code`` as (first day in force, code), oldest first.

    Follows ``replaced_by`` in standards_seed.csv; an edition without an effective date is taken
    to be in force from the beginning of time.
    """
    seed = standards()
    chain: list[tuple[int, str]] = []
    seen: set[str] = set()
    while code and code in seed and code not in seen:
        seen.add(code)
        eff = seed[code]["effective"].strip()
        chain.append((day_number(eff) if eff else -(10**6), code))
        code = seed[code]["replaced_by"].split(";")[0].strip()
    if not chain:
        raise ValueError(f"standard {code!r} is not in standards_seed.csv")
    return tuple(chain)


def edition_at(chain: tuple[tuple[int, str], ...], days: np.ndarray) -> np.ndarray:
    """Index into ``chain`` of the edition in force on each day of ``days``."""
    starts = np.array([c[0] for c in chain], dtype=np.int64)
    return np.maximum(np.searchsorted(starts, days, side="right") - 1, 0)


def edition_code_at(chain: tuple[tuple[int, str], ...], day: int) -> str:
    """Code of the edition in force on ``day`` (scalar version of ``edition_at``)."""
    return chain[max(bisect.bisect_right([c[0] for c in chain], day) - 1, 0)][1]


@dataclass(frozen=True)
class SamplingItem:
    name: str  # item_zh exactly as in power_bank_test_items.csv
    rule_no: int | None  # number in the 16-item supervision-sampling rule (None: marking, extra)
    chain: tuple[tuple[int, str], ...]  # editions of the method standard
    kind: str  # efficiency | capacity | voltage | check
    unit: str
    limit: str
    severity: str
    weight: float  # share among item failures (calibration.ITEM_FAILURE_WEIGHT)


_MEASURED = {
    "转换效率": ("efficiency", "%", ">=80%"),
    "有效输出容量（常温/高温）": ("capacity", "%", ">=100%"),
    "输出电压": ("voltage", "%", "±5%"),
    "热滥用": ("check", "", "130℃，30min，不起火、不爆炸"),
}


@cache
def sampling_items() -> tuple[SamplingItem, ...]:
    """The items every simulated batch is tested on: 外观及标识 (extra) + the 16-item rule."""
    out = []
    for r in _rows("power_bank_test_items.csv"):
        no = r["sampling_rule_16item_no"].strip()
        if not no and r["item_zh"] != "外观及标识":
            continue
        m = _CODE.match(r["method_standard"].strip())
        if not m:
            raise ValueError(f"no standard code in method_standard {r['method_standard']!r}")
        kind, unit, limit = _MEASURED.get(r["item_zh"], ("check", "", ""))
        out.append(
            SamplingItem(
                name=r["item_zh"], rule_no=int(no) if no else None, chain=editions_from(m.group(1)),
                kind=kind, unit=unit, limit=limit, severity=cal.SEVERITY.get(r["item_zh"], "major"),
                weight=cal.ITEM_FAILURE_WEIGHT[r["item_zh"]],
            )
        )
    out.sort(key=lambda it: it.rule_no or 0)
    return tuple(out)


@cache
def catalogue_codes() -> tuple[str, ...]:
    return tuple(r["code"] for r in _rows("mdr_catalog_2017.csv"))
