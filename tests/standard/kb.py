"""Helpers for the standards knowledge-base tests: a small world of enterprises, products and
certificates, and the dataset file format."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Certificate, Enterprise, Product
from lingqu.standard.dataset import HEADER

SZ = "914403001922038216"   # 华为技术有限公司, Shenzhen
GZ = "91440101MA5CKWMA52"   # a Guangzhou enterprise (valid check character)


def make_world(db_url: str) -> dict[str, int]:
    """Two power-bank makers; the Shenzhen one holds a live CCC certificate tested to
    GB 4943.1-2011 and GB 31241-2014, the Guangzhou one a certificate on the 2022 editions."""
    ids = {}
    with unit_of_work(db_url) as s:
        for uscc, name, city, certs in (
            (SZ, "华为技术有限公司", "440300", [("2023011300000001", "GB4943.1—2011，GB 31241-2014", "valid", dt.date(2028, 5, 1)),
                                                ("2019011300000009", "GB 4943.1-2011", "expired", dt.date(2024, 7, 31))]),
            (GZ, "广州某电子有限公司", "440100", [("2024011300000002", "GB 4943.1-2022; GB 31241-2022", "valid", dt.date(2029, 1, 1))]),
        ):
            e = Enterprise(uscc=uscc, name=name, city_code=city, cluster="power_bank")
            s.add(e)
            s.flush()
            ids[uscc] = e.id
            s.add(Product(enterprise_id=e.id, name="移动电源", model=f"PB-{uscc[-4:]}", category="PB"))
            for no, codes, status, expires in certs:
                s.add(Certificate(certificate_no=no, enterprise_id=e.id, kind="CCC", product_name="移动电源",
                                  standard_code=codes, issued_on=dt.date(2019, 1, 1), expires_on=expires, status=status))
    return ids


def write_standards(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    return path


def row(**kw) -> dict:
    base = {"code": "GB/T 99001-2024", "title_zh": "测试标准 第1部分：通用要求", "title_en": "Test standard", "kind": "GB/T",
            "status": "current", "issued": "2024-01-02", "effective": "2024-07-01", "categories": "PB",
            "domain": "power_bank", "source": "S24", "verification": "test row"}
    base.update(kw)
    return base
