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


# --- pass-rate statistics (lingqu.sampling.passrate) ------------------------------------------------

#: How a slice's 95 % interval lies against the target: wholly above, wholly below, or across it.
TARGET_STATUS_LABELS = {"meets_target": "达标", "below_target": "未达标", "undetermined": "不确定"}


class PassRateQuery(BaseModel):
    """A validated pass-rate request (see :func:`lingqu.sampling.passrate.parse_query`)."""

    model_config = {"frozen": True}

    by: str = Field(description="slice dimension: city, district, enterprise, brand, channel, product, cluster, "
                                "test_item, year or quarter")
    period: str | None = Field(None, description="canonical period text: 2024, 2024Q3, 2023..2024; null = all time")
    start: dt.date | None = Field(None, description="first day of the period")
    end: dt.date | None = Field(None, description="day after the last day of the period")
    city: str | None = Field(None, description="city code (GB/T 2260) or null for all cities")
    cluster: str | None = None
    trend: str | None = Field(None, description="quarter or year: a per-period series for each slice")
    limit: int | None = None


class PassRateStats(BaseModel):
    """Counts of one slice (or one period of it), its pass rate and how that compares with the target.

    The unit is the batch (``batches`` set) except for slices by test item, where it is the test
    result (``tests`` set). Batches without a verdict are counted in ``pending`` and left out of
    the rate and the interval.
    """

    unit: str = Field(description="batch or test")
    batches: int | None = Field(None, description="batches with a verdict (unit batch); the n of the rate")
    tests: int | None = Field(None, description="test results (unit test); the n of the rate")
    passed: int
    failures: int
    pending: int = Field(description="batches sampled without a verdict yet; not in the rate")
    pass_rate: float | None = Field(description="passed / n; null when n = 0")
    lower: float | None = Field(description="Wilson 95 % interval, lower bound")
    upper: float | None = Field(description="Wilson 95 % interval, upper bound")
    target: float = TARGET_PASS_RATE
    gap_to_target: float | None = Field(description="pass_rate − target")
    target_status: str = Field(description="meets_target (interval above the target), below_target (below it) "
                                           "or undetermined (it straddles the target, or n = 0)")
    target_status_label: str


class PassRatePoint(PassRateStats):
    """One period of a slice's trend."""

    period: str = Field(description="2024 or 2024Q3")
    label: str


class PassRateRow(PassRateStats):
    key: str = Field(description="slice key: city code, 'city code:district', USCC, brand, channel, product, "
                                 "cluster, test item, 2024 or 2024Q3")
    label: str
    trend: list[PassRatePoint] | None = None


class PassRateReport(BaseModel):
    by: str
    by_label: str
    period: str | None
    start: dt.date | None
    end: dt.date | None
    city: str | None
    cluster: str | None
    trend: str | None
    unit: str
    target: float = TARGET_PASS_RATE
    confidence: float
    method: str = Field(description="interval method: wilson")
    overall: PassRateStats = Field(description="all slices together")
    rows: list[PassRateRow]
    total_rows: int = Field(description="rows before the limit was applied")


# --- the batch list (/batches) ---------------------------------------------------------------------

class BatchQuery(BaseModel):
    """A validated batch-list request: drill-down filters and the page wanted."""

    city: str = ""
    district: str = ""
    year: int | None = None
    quarter: int | None = None
    test_item: str = ""
    passed: bool | None = None
    uscc: str = ""
    page: int = 1
    page_size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class BatchRow(BaseModel):
    batch_no: str
    sampled_on: dt.date
    uscc: str
    enterprise_name: str
    city_code: str
    city_name: str
    district: str
    product_name: str
    brand: str
    model: str
    channel: str
    channel_label: str
    passed: bool | None
    item_count: int
    failed_count: int
    failed_items: list[str]


class BatchPage(BaseModel):
    query: BatchQuery
    items: list[BatchRow]
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))
