"""Vocabulary and Pydantic shapes of service requests."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from lingqu.kit.paging import PageInfo

#: topic code -> (Chinese label, institution kinds that provide it). A request open to all
#: institutions reaches those of these kinds (and, if it names a standard, whose scope has it).
TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "testing": ("检测", ("lab", "metrology")),
    "certification": ("认证", ("certification",)),
    "standards": ("标准咨询", ("standards", "association", "consultancy")),
    "diagnosis": ("质量诊断", ("consultancy", "standards")),
    "registration": ("注册指导", ("consultancy",)),
}
STATUS_LABELS = {"new": "待受理", "accepted": "已受理", "declined": "已婉拒", "completed": "已完成", "withdrawn": "已撤回"}
STATUSES = tuple(STATUS_LABELS)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 2000
MAX_NOTE = 1000


def topic_label(topic: str) -> str:
    return TOPICS.get(topic, (topic, ()))[0]


def topics_for_kind(kind: str) -> list[str]:
    return [code for code, (_, kinds) in TOPICS.items() if kind in kinds]


class ServiceRequestIn(BaseModel):
    """A new request as an enterprise submits it (the enterprise is the logged-in user's own)."""

    topic: str = Field(description="检测 testing | 认证 certification | 标准咨询 standards | 质量诊断 diagnosis | 注册指导 registration")
    description: str = Field(description=f"what help is needed, {MIN_DESCRIPTION}–{MAX_DESCRIPTION} characters")
    institution_id: int | None = Field(None, description="preferred institution; empty: open to every matching institution")
    standard_code: str = Field("", description="the standard the request is about, if any (e.g. GB 31241-2022)")
    batch_no: str = Field("", description="a related sampled batch of this enterprise, if any")


class NoteIn(BaseModel):
    note: str = Field("", description=f"the institution's note, up to {MAX_NOTE} characters (required to decline)")


class ServiceRequestOut(BaseModel):
    id: int
    request_no: str
    status: str
    status_label: str
    topic: str
    topic_label: str
    description: str
    standard_code: str
    enterprise_uscc: str
    enterprise_name: str
    city_code: str
    city_name: str
    batch_no: str
    institution_id: int | None
    institution_name: str
    open_to_all: bool = Field(description="not addressed to one institution when submitted")
    note: str
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None


class ServiceRequestPage(PageInfo):
    items: list[ServiceRequestOut]
