"""Pydantic shapes of sampling results: the city overview and an enterprise's batch history."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from lingqu.enterprise.schemas import City

#: The regulator's target for the supervision-sampling pass rate (合格率 ≥ 90 %).
TARGET_PASS_RATE = 0.90

#: Shenzhen, the city the overview shows when none is asked for.
DEFAULT_CITY = "440300"

#: Display names of sampling channels (抽样环节); an unknown channel is shown as stored.
CHANNEL_LABELS = {"online": "网络销售", "offline": "实体销售", "production": "生产环节", "circulation": "流通环节"}


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel or "—")


class PeriodStats(BaseModel):
    """Batches sampled in a period and how many passed and failed."""

    year: int | None = Field(None, description="calendar year; null for all years together")
    batches: int
    passed_batches: int
    failed_batches: int
    #: passed / (passed + failed); batches without a verdict are left out. None: no verdicts.
    pass_rate: float | None
    meets_target: bool | None


class ClusterCount(BaseModel):
    cluster: str
    cluster_label: str
    enterprises: int


class FailingItem(BaseModel):
    test_item: str
    failed: int = Field(description="batches that failed this item")
    tested: int = Field(description="batches on which this item was tested")
    fail_rate: float


class Overview(BaseModel):
    city: City
    cities: list[City]
    target_pass_rate: float = TARGET_PASS_RATE
    enterprises: int
    enterprises_by_cluster: list[ClusterCount]
    years: list[PeriodStats]
    all_years: PeriodStats
    top_failing_items: list[FailingItem]


class BatchOut(BaseModel):
    batch_no: str
    sampled_on: dt.date
    product_name: str
    brand: str
    model: str
    cluster: str
    channel: str
    channel_label: str
    lab: str
    passed: bool | None
    item_count: int
    failed_count: int
    failed_items: list[str]


class EnterpriseBatches(BaseModel):
    uscc: str
    name: str
    total: int
    items: list[BatchOut]
