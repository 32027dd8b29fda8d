"""A small sampling world for pass-rate statistics, every count worked out by hand below.

Enterprises (uscc built with make_uscc):
  A 深圳市华强电源科技有限公司 440300 宝安区 power_bank      brand 华强
  E 深圳市优品数码有限公司     440300 宝安区 power_bank      brand 优品
  B 深圳市安心移动电源有限公司 440300 龙华区 power_bank      brand 安心
  D 深圳市迈瑞康医疗器械有限公司 440300 南山区 medical_device brand 迈瑞康
  C 东莞市力宝电子有限公司     441900 长安镇 power_bank      brand 力宝

Batches (date, channel, product; failed items; power-bank batches test 转换效率 标识 输出电压,
medical-device batches 电气安全 血压示值误差):
  A1 2023-02-10 online     移动电源   pass
  A2 2023-05-20 online     移动电源   fail 转换效率
  A3 2023-08-01 offline    移动电源   fail 转换效率, 标识
  A4 2024-01-15 offline    移动电源   pass
  A5 2024-07-03 online     移动电源   pass
  B1 2023-03-03 online     移动电源   pass
  B2 2023-11-11 production 充电宝     pass
  B3 2024-02-02 production 充电宝     fail 输出电压
  B4 2024-09-09 online     移动电源   no verdict yet (pending, no item results)
  E01..E40 2024-10-01..2024-11-09 circulation 移动电源 all pass
  C1 2023-06-06 online     移动电源   fail 转换效率
  C2 2024-04-04 online     移动电源   fail 标识
  D1 2023-09-09 offline    电子血压计 pass
  D2 2024-12-12 offline    电子血压计 fail 血压示值误差

Batches with a verdict: 52 (46 passed, 6 failed), 1 pending. Per slice, (passed, n, pending):
  city      440300 (46, 50, 1) · 441900 (0, 2, 0)
  district  440300:宝安区 (43, 45) · 440300:龙华区 (2, 3, 1) · 440300:南山区 (1, 2) · 441900:长安镇 (0, 2)
  enterprise A (3, 5) · B (2, 3, 1) · E (40, 40) · C (0, 2) · D (1, 2)
  brand     华强 (3, 5) · 安心 (2, 3, 1) · 优品 (40, 40) · 力宝 (0, 2) · 迈瑞康 (1, 2)
  channel   online A1 A2 A5 B1 C1 C2 (3, 6, 1: B4) · offline A3 A4 D1 D2 (2, 4) · production (1, 2) ·
            circulation (40, 40)
  product   移动电源 (44, 48, 1) · 充电宝 (1, 2) · 电子血压计 (1, 2)
  cluster   power_bank (45, 50, 1) · medical_device (1, 2)
  year      2023 A1 A2 A3 B1 B2 C1 D1 (4, 7) · 2024 (42, 45, 1)
  quarter   2023Q1 (2, 2) · 2023Q2 (0, 2) · 2023Q3 (1, 2) · 2023Q4 (1, 1) · 2024Q1 (1, 2) · 2024Q2 (0, 1) ·
            2024Q3 (1, 1, 1) · 2024Q4 (40, 41)
  test_item (tests): the 50 power-bank batches with a verdict test each of the three items:
            转换效率 failed on A2 A3 C1 → (47, 50) · 标识 A3 C2 → (48, 50) · 输出电压 B3 → (49, 50);
            电气安全 (2, 2) · 血压示值误差 D2 → (1, 2); all items (147, 154)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.kit.identifiers import make_uscc
from lingqu.sampling.models import Batch, TestResult

POWER_BANK_ITEMS = ("转换效率", "标识", "输出电压")
DEVICE_ITEMS = ("电气安全", "血压示值误差")


@dataclass(frozen=True)
class PassRateWorld:
    a: str
    b: str
    c: str
    d: str
    e: str


def _batch(s, ent: Enterprise, no: str, day: dt.date, channel: str, product: str, brand: str,
           failed: tuple[str, ...] = (), *, items: tuple[str, ...] = POWER_BANK_ITEMS, pending: bool = False) -> None:
    b = Batch(
        batch_no=no, enterprise_id=ent.id, sampled_on=day, city_code=ent.city_code, district=ent.district,
        cluster=ent.cluster, channel=channel, product_name=product, brand=brand,
        passed=None if pending else not failed, item_count=0 if pending else len(items), failed_count=len(failed),
    )
    s.add(b)
    s.flush()
    if not pending:
        s.add_all(TestResult(batch_id=b.id, test_item=item, passed=item not in failed) for item in items)


def build_passrate_world(db_url: str) -> PassRateWorld:
    w = PassRateWorld(
        a=make_uscc("440306", "MA5P0001"), b=make_uscc("440309", "MA5P0002"), c=make_uscc("441900", "MA5P0003"),
        d=make_uscc("440305", "MA5P0004"), e=make_uscc("440306", "MA5P0005"),
    )
    with unit_of_work(db_url) as s:
        a = Enterprise(uscc=w.a, name="深圳市华强电源科技有限公司", city_code="440300", district="宝安区", cluster="power_bank")
        e = Enterprise(uscc=w.e, name="深圳市优品数码有限公司", city_code="440300", district="宝安区", cluster="power_bank")
        b = Enterprise(uscc=w.b, name="深圳市安心移动电源有限公司", city_code="440300", district="龙华区", cluster="power_bank")
        d = Enterprise(uscc=w.d, name="深圳市迈瑞康医疗器械有限公司", city_code="440300", district="南山区",
                       cluster="medical_device")
        c = Enterprise(uscc=w.c, name="东莞市力宝电子有限公司", city_code="441900", district="长安镇", cluster="power_bank")
        s.add_all([a, e, b, d, c])
        s.flush()
        pb = "移动电源"
        _batch(s, a, "A1", dt.date(2023, 2, 10), "online", pb, "华强")
        _batch(s, a, "A2", dt.date(2023, 5, 20), "online", pb, "华强", ("转换效率",))
        _batch(s, a, "A3", dt.date(2023, 8, 1), "offline", pb, "华强", ("转换效率", "标识"))
        _batch(s, a, "A4", dt.date(2024, 1, 15), "offline", pb, "华强")
        _batch(s, a, "A5", dt.date(2024, 7, 3), "online", pb, "华强")
        _batch(s, b, "B1", dt.date(2023, 3, 3), "online", pb, "安心")
        _batch(s, b, "B2", dt.date(2023, 11, 11), "production", "充电宝", "安心")
        _batch(s, b, "B3", dt.date(2024, 2, 2), "production", "充电宝", "安心", ("输出电压",))
        _batch(s, b, "B4", dt.date(2024, 9, 9), "online", pb, "安心", pending=True)
        for i in range(40):
            _batch(s, e, f"E{i + 1:02d}", dt.date(2024, 10, 1) + dt.timedelta(days=i), "circulation", pb, "优品")
        _batch(s, c, "C1", dt.date(2023, 6, 6), "online", pb, "力宝", ("转换效率",))
        _batch(s, c, "C2", dt.date(2024, 4, 4), "online", pb, "力宝", ("标识",))
        _batch(s, d, "D1", dt.date(2023, 9, 9), "offline", "电子血压计", "迈瑞康", items=DEVICE_ITEMS)
        _batch(s, d, "D2", dt.date(2024, 12, 12), "offline", "电子血压计", "迈瑞康", ("血压示值误差",), items=DEVICE_ITEMS)
    return w


@pytest.fixture
def pr_world(db_url) -> PassRateWorld:
    return build_passrate_world(db_url)


@pytest.fixture
def pr_client(pr_world, app_client) -> TestClient:
    return app_client
