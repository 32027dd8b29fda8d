"""A small sampling world whose numbers are worked out by hand in the tests, and a client.

Shenzhen (440300), three enterprises:
  HUAQIANG 深圳市华强电源科技有限公司 宝安区 power_bank   batches: 2022 A pass, 2022 B fail (标识, 转换效率),
                                                              2023 E fail (转换效率)
  ANXIN    深圳市安心移动电源有限公司 龙华区 power_bank   batches: 2022 C pass, 2022 D pass, 2023 F pass,
                                                              2023 H no verdict yet, 2024 I01..I10 (I10 fails 输出电压)
  MAIRUI   深圳市迈瑞康医疗器械有限公司 南山区 medical_device  batches: 2023 G pass (no item results)
Dongguan (441900): LIBAO 东莞市力宝电子有限公司 长安镇 power_bank, 2023 K fail (转换效率).
Guangzhou (440100): 120 filler enterprises 广州市测试电源厂001..120 without batches.

Shenzhen per year (passed / failed / sampled): 2022 3/1/4 → 75.0 %; 2023 2/1/4 (H pending) → 66.7 %;
2024 9/1/10 → 90.0 % (meets the 90 % target); all years 14/3/18 → 14/17 = 82.4 %.
Every power-bank batch with a verdict is tested on 转换效率, 标识, 输出电压: 16 such batches in
Shenzhen, so 转换效率 failed 2 of 16 (12.5 %), 标识 1 of 16, 输出电压 1 of 16.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Assistance, Certificate, Complaint, Enterprise
from lingqu.kit.identifiers import make_uscc
from lingqu.sampling.models import Batch, TestResult

ITEMS = ("转换效率", "标识", "输出电压")


@dataclass(frozen=True)
class World:
    huaqiang: str
    anxin: str
    mairui: str
    libao: str
    filler_count: int


def _batch(s, enterprise: Enterprise, no: str, day: dt.date, failed: tuple[str, ...] = (), *,
           verdict: bool | None = True, items: tuple[str, ...] = ITEMS, **kw) -> Batch:
    """A batch with one result per item; ``failed`` names the items that failed."""
    passed = None if verdict is None else not failed
    b = Batch(
        batch_no=no, enterprise_id=enterprise.id, sampled_on=day, city_code=enterprise.city_code,
        district=enterprise.district, cluster=kw.pop("cluster", enterprise.cluster), passed=passed,
        item_count=len(items) if verdict is not None else 0, failed_count=len(failed),
        product_name=kw.pop("product_name", "移动电源"), brand=kw.pop("brand", "测试牌"),
        model=kw.pop("model", "PB-10000"), channel=kw.pop("channel", "online"), **kw,
    )
    s.add(b)
    s.flush()
    if verdict is not None:
        for item in items:
            s.add(TestResult(batch_id=b.id, test_item=item, passed=item not in failed))
    return b


def build_world(db_url: str) -> World:
    huaqiang = make_uscc("440306", "MA5D0001")
    anxin = make_uscc("440309", "MA5E0002")
    mairui = make_uscc("440305", "MA5F0003")
    libao = make_uscc("441900", "MA4W0001")
    with unit_of_work(db_url) as s:
        hq = Enterprise(uscc=huaqiang, name="深圳市华强电源科技有限公司", city_code="440300", district="宝安区",
                        cluster="power_bank", address="深圳市宝安区西乡街道1号", founded=dt.date(2012, 5, 8), size="small")
        ax = Enterprise(uscc=anxin, name="深圳市安心移动电源有限公司", city_code="440300", district="龙华区", cluster="power_bank")
        mr = Enterprise(uscc=mairui, name="深圳市迈瑞康医疗器械有限公司", city_code="440300", district="南山区",
                        cluster="medical_device")
        lb = Enterprise(uscc=libao, name="东莞市力宝电子有限公司", city_code="441900", district="长安镇", cluster="power_bank")
        s.add_all([hq, ax, mr, lb])
        s.add_all(
            Enterprise(uscc=make_uscc("440100", f"MA9X{i:04d}"), name=f"广州市测试电源厂{i:03d}", city_code="440100",
                       district="番禺区", cluster="power_bank")
            for i in range(1, 121)
        )
        s.flush()

        _batch(s, hq, "SZ2022-A", dt.date(2022, 3, 1))
        _batch(s, hq, "SZ2022-B", dt.date(2022, 9, 15), ("转换效率", "标识"), brand="华强", model="HQ-20000")
        _batch(s, hq, "SZ2023-E", dt.date(2023, 6, 20), ("转换效率",), brand="华强", model="HQ-5000", channel="offline")
        _batch(s, ax, "SZ2022-C", dt.date(2022, 4, 2))
        _batch(s, ax, "SZ2022-D", dt.date(2022, 11, 30))
        _batch(s, ax, "SZ2023-F", dt.date(2023, 2, 14))
        _batch(s, ax, "SZ2023-H", dt.date(2023, 12, 1), verdict=None)
        for i in range(1, 11):
            _batch(s, ax, f"SZ2024-I{i:02d}", dt.date(2024, 5, i), ("输出电压",) if i == 10 else ())
        _batch(s, mr, "SZ2023-G", dt.date(2023, 8, 8), items=(), product_name="电子血压计", cluster="medical_device")
        _batch(s, lb, "DG2023-K", dt.date(2023, 7, 7), ("转换效率",))

        s.add(Certificate(certificate_no="2021010901234567", enterprise_id=hq.id, kind="CCC", product_name="移动电源",
                          model="HQ-20000", standard_code="GB 4943.1-2022", issued_on=dt.date(2021, 3, 1),
                          expires_on=dt.date(2026, 3, 1), status="valid"))
        s.add(Complaint(complaint_no="TS-2023-0001", enterprise_id=hq.id, received_on=dt.date(2023, 5, 5),
                        channel="12315", category="质量问题", description="充电时外壳发烫鼓包"))
        s.add(Assistance(assistance_no="BF-2023-007", enterprise_id=hq.id, started_on=dt.date(2023, 7, 1),
                         kind="质量诊断", provider="深圳市计量质量检测研究院"))
    return World(huaqiang=huaqiang, anxin=anxin, mairui=mairui, libao=libao, filler_count=120)


@pytest.fixture
def world(db_url) -> World:
    return build_world(db_url)


@pytest.fixture
def client(world, app_client) -> TestClient:
    return app_client
