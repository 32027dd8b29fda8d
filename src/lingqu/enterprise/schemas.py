"""Pydantic shapes of enterprises as the API returns them (and the pages render them)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from lingqu.kit.paging import PageInfo

#: Display names of the industrial clusters; an unknown cluster is shown as stored.
CLUSTER_LABELS = {"power_bank": "移动电源", "medical_device": "医疗器械", "other": "其他"}

#: Enterprise size codes as shown to users.
SIZE_LABELS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def cluster_label(cluster: str) -> str:
    return CLUSTER_LABELS.get(cluster, cluster or "—")


class City(BaseModel):
    code: str
    name: str


class EnterpriseQuery(BaseModel):
    """A validated enterprise search: text, filters and the page wanted."""

    model_config = ConfigDict(frozen=True)

    q: str = ""
    city: str = ""
    district: str = ""
    cluster: str = ""
    #: drill-down filters (from the dashboard): enterprises with a batch in this year/quarter, on
    #: this test item, with this verdict (on the item when one is given); latest risk grade
    year: int | None = None
    quarter: int | None = None
    test_item: str = ""
    passed: bool | None = None
    grade: str = ""
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def drills(self) -> bool:
        return bool(self.year or self.test_item or self.passed is not None or self.grade)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class EnterpriseRow(BaseModel):
    """One line of the enterprise list, with its sampling record aggregated."""

    uscc: str
    name: str
    city_code: str
    city_name: str
    district: str
    cluster: str
    cluster_label: str
    batches: int = Field(description="batches sampled (抽检批次)")
    failed_batches: int = Field(description="batches that failed at least one item (不合格批次)")
    last_sampled_on: dt.date | None = None


class EnterprisePage(PageInfo):
    items: list[EnterpriseRow]


class SamplingSummary(BaseModel):
    batches: int
    passed_batches: int
    failed_batches: int
    #: passed / (passed + failed); batches without a verdict yet are not counted. None: no verdicts.
    pass_rate: float | None
    first_sampled_on: dt.date | None = None
    last_sampled_on: dt.date | None = None


class CertificateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    certificate_no: str
    kind: str
    product_name: str
    model: str
    standard_code: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    status: str


class ComplaintOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    complaint_no: str
    received_on: dt.date
    channel: str
    category: str
    description: str


class AssistanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    assistance_no: str
    started_on: dt.date
    kind: str
    provider: str


class EnterpriseDetail(BaseModel):
    uscc: str
    name: str
    city_code: str
    city_name: str
    district: str
    cluster: str
    cluster_label: str
    address: str
    founded: dt.date | None
    size: str
    size_label: str
    source: str
    sampling: SamplingSummary
    certificates: list[CertificateOut]
    complaints: list[ComplaintOut]
    assistance: list[AssistanceOut]


class TimelineItem(BaseModel):
    """One test item of a batch on the timeline."""

    test_item: str
    passed: bool
    measured_value: float | None = None
    unit: str = ""
    limit_text: str = ""


class TimelineEvent(BaseModel):
    """One dated entry of an enterprise's timeline: a batch (with its items), a certificate, a
    complaint, an assistance, a risk grade or an alert (alerts only for regulators)."""

    on: dt.date | None
    kind: str = Field(description="batch | certificate | complaint | assistance | grade | alert")
    kind_label: str
    title: str
    detail: str = ""
    bad: bool = Field(False, description="a failed batch, a grade C/D, an open alert, a complaint")
    items: list[TimelineItem] = []


class EnterpriseTimeline(BaseModel):
    uscc: str
    name: str
    events: list[TimelineEvent]
