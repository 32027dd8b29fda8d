"""Helpers for import tests: small files in the formats regulators use."""

from __future__ import annotations

import csv
from pathlib import Path


ENTERPRISE_HEADER = ["uscc", "name", "city", "district", "cluster", "address", "founded", "size"]
SAMPLING_HEADER = [
    "batch_id", "uscc", "enterprise_name", "product_name", "brand", "model", "cluster", "sampled_on", "city",
    "district", "channel", "lab", "standard_code", "test_item", "verdict", "measured_value", "unit", "limit", "severity",
]
HUAWEI = "914403001922038216"
BYD = "91440300192317458F"
ZTE = "9144030027939873X7"


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def sampling_row(batch, uscc, item, verdict="合格", value="85.5", date="2024-03-01", name="华为技术有限公司", **kw):
    row = dict(batch_id=batch, uscc=uscc, enterprise_name=name, product_name="移动电源", brand="华为", model="P10",
               cluster="移动电源", sampled_on=date, city="深圳", district="龙岗区", channel="生产", lab="深圳市计量质量检测研究院",
               standard_code="GB/T 35590-2017", test_item=item, verdict=verdict, measured_value=value, unit="%",
               limit=">=80%", severity="")
    row.update(kw)
    return [row[h] for h in SAMPLING_HEADER]


def read_rejects(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


