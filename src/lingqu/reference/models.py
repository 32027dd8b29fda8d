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
    """One edition of a standard, technical rule or regulation (each edition is its own row).

    ``status`` is current | superseded | withdrawn | upcoming (the nuance of a source's wording
    lives in ``verification``); ``categories`` is the applicability as written in the dataset
    (product-category codes and cluster names, ``;``-separated) and ``StandardCategory`` holds it
    expanded to category codes for joins. ``source`` lists S-ids of ``data/sources.csv`` or URLs.
    """

    __tablename__ = "standard"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    title_zh: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(Text, default="")
    #: GB, GB/T, GB/Z, YY, YY/T, other industry prefixes (SJ/T, QB/T ...), ISO, IEC, CCC_rule,
    #: law, regulation, order, notice
    kind: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(80), default="")
    issued: Mapped[dt.date | None] = mapped_column(Date)
    effective: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn: Mapped[dt.date | None] = mapped_column(Date)
    categories: Mapped[str] = mapped_column(Text, default="")
    replaces: Mapped[str] = mapped_column(Text, default="")
    replaced_by: Mapped[str] = mapped_column(Text, default="")
    domain: Mapped[str] = mapped_column(String(40), default="")
    adopts: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")


class ProductCategory(Base):
    """A product category standards apply to (PB, LIB, ADP, ITE, MD01..MD22, IVD) and its cluster."""

    __tablename__ = "product_category"
    code: Mapped[str] = mapped_column(String(10), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    cluster: Mapped[str] = mapped_column(String(20), index=True)
    catalogue_code: Mapped[str] = mapped_column(String(4), default="")
    source: Mapped[str] = mapped_column(Text, default="")


class StandardCategory(Base):
    """Applicability: standard ``standard_id`` applies to products of ``category_code``.

    Derived from ``Standard.categories`` (a cluster name expands to every category of the
    cluster) whenever standards are loaded or imported, so it never disagrees with the dataset.
    """

    __tablename__ = "standard_category"
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id", ondelete="CASCADE"), primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("product_category.code"), primary_key=True, index=True)


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
