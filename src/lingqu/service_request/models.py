"""Service requests: an enterprise's request for testing, certification, advice or diagnosis."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lingqu.db.base import Base


class ServiceRequest(Base):
    """One request for help. Lifecycle: new -> accepted | declined | withdrawn; accepted -> completed.

    ``institution_id`` is the institution the enterprise addressed it to, or None for a request
    open to every institution whose scope matches the topic; the institution that accepts an
    open request becomes its ``institution_id``. ``city_code`` is the enterprise's city, copied at
    submission so that a city regulator's list is one indexed condition.
    """

    __tablename__ = "service_request"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_no: Mapped[str] = mapped_column(String(30), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), index=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), index=True)
    topic: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    standard_code: Mapped[str] = mapped_column(String(60), default="")
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batch.id"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institution.id"), index=True)
    #: submitted without a preferred institution (stays true after one accepts it)
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    #: the institution's note when accepting, declining or completing
    note: Mapped[str] = mapped_column(Text, default="")
    #: institutions that passed on an open request (it stays open to the others), as ",3,17,":
    #: a plain string, so "not declined by me" is one portable ``NOT LIKE '%,3,%'``
    declined_by: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
