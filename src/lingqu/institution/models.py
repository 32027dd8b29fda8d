"""QI institutions: labs, certification bodies, metrology institutes, associations, consultants."""

from __future__ import annotations

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class Institution(Base):
    __tablename__ = "institution"
    __table_args__ = (UniqueConstraint("name", "city_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    accreditation_no: Mapped[str] = mapped_column(String(60), default="")
    #: Accredited scope: standard codes and test items, as written (";"-separated entries).
    scope: Mapped[str] = mapped_column(Text, default="")
    #: The same scope, structured: standard codes and test-item names as in the reference tables
    #: (``lingqu.institution.service`` keeps ``scope`` text in step when the institution edits it).
    scope_standards: Mapped[list] = mapped_column(JSON, default=list)
    scope_items: Mapped[list] = mapped_column(JSON, default=list)
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    turnaround_days: Mapped[float | None] = mapped_column(Float)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
