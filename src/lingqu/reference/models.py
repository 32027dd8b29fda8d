"""Reference data shipped with Lingqu: cities, districts, standards, test items, catalogue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class City(Base):
    __tablename__ = "city"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260 division code
    name_zh: Mapped[str] = mapped_column(String(20), unique=True)
    name_en: Mapped[str] = mapped_column(String(40))
    province: Mapped[str] = mapped_column(String(20), default="广东省")


class District(Base):
    __tablename__ = "district"
    __table_args__ = (UniqueConstraint("city_code", "name_zh"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    name_zh: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(10), default="区")  # 区 / 镇 / 街道 / 功能区


class Standard(Base):
    __tablename__ = "standard"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title_zh: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(80), default="")
    issued: Mapped[dt.date | None] = mapped_column(Date)
    effective: Mapped[dt.date | None] = mapped_column(Date)
    replaces: Mapped[str] = mapped_column(Text, default="")
    replaced_by: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[str] = mapped_column(String(40), default="")
    adopts: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")


class TestItem(Base):
    __tablename__ = "test_item"
    __test__ = False  # not a pytest class
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_no: Mapped[int] = mapped_column(Integer, unique=True)
    cluster: Mapped[str] = mapped_column(String(20), default="power_bank")
    name_zh: Mapped[str] = mapped_column(String(60), unique=True)
    name_en: Mapped[str] = mapped_column(String(120), default="")
    method_standard: Mapped[str] = mapped_column(Text, default="")
    requirement: Mapped[str] = mapped_column(Text, default="")
    limit_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")


class CatalogueCategory(Base):
    """A subcategory of the 2017 medical-device classification catalogue (e.g. 07 医用诊察和监护器械)."""

    __tablename__ = "catalogue_category"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(Text, default="")
