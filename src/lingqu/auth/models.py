"""Users, roles and their scope."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base

ROLES = ("regulator", "enterprise", "institution", "admin")


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    #: Regulator scope: a city code, or ``""`` for the province.
    city_code: Mapped[str] = mapped_column(String(6), default="")
    #: Enterprise scope: its own USCC.
    uscc: Mapped[str] = mapped_column(String(18), default="")
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
