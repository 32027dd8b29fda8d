"""Enterprises and what is recorded about them: certificates, complaints, assistance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class Enterprise(Base):
    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    district: Mapped[str] = mapped_column(String(30), default="", index=True)
    cluster: Mapped[str] = mapped_column(String(20), default="other", index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    founded: Mapped[dt.date | None] = mapped_column(Date)
    size: Mapped[str] = mapped_column(String(10), default="")
    #: ``registry`` when imported as an enterprise; ``sampling`` when first seen in a sampling
    #: sheet (created from the row's name, city and district, to be confirmed by the regulator).
    source: Mapped[str] = mapped_column(String(20), default="registry")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.current_timestamp())


class Product(Base):
    """A product an enterprise makes, with the category that decides which standards apply to it."""

    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("enterprise_id", "name", "model"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100), default="")
    brand: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[str] = mapped_column(ForeignKey("product_category.code"), index=True)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Certificate(Base):
    """A product certificate held by an enterprise (CCC, or a device registration/filing)."""

    __tablename__ = "certificate"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(60), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="CCC")
    product_name: Mapped[str] = mapped_column(String(200), default="")
    model: Mapped[str] = mapped_column(String(100), default="")
    standard_code: Mapped[str] = mapped_column(Text, default="")
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Complaint(Base):
    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_no: Mapped[str] = mapped_column(String(60), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(20), default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)


class Assistance(Base):
    """Help given to an enterprise (帮扶): diagnosis, training, testing."""

    __tablename__ = "assistance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assistance_no: Mapped[str] = mapped_column(String(60), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    started_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="")
    provider: Mapped[str] = mapped_column(String(200), default="")
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
