"""The few reads the demo loader needs (which enterprise and institution the demo accounts get)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lingqu.enterprise.models import Enterprise
from lingqu.institution.models import Institution
from lingqu.sampling.models import Batch


def demo_account_targets(session: Session) -> tuple[str, int | None]:
    """A Shenzhen power-bank enterprise with the most sampled batches, and the first lab."""
    uscc = session.execute(
        select(Enterprise.uscc)
        .join(Batch, Batch.enterprise_id == Enterprise.id)
        .where(Enterprise.city_code == "440300")
        .group_by(Enterprise.uscc)
        .order_by(func.count(Batch.id).desc(), Enterprise.uscc)
        .limit(1)
    ).scalar() or session.execute(select(Enterprise.uscc).order_by(Enterprise.uscc).limit(1)).scalar() or ""
    inst = session.execute(select(Institution.id).where(Institution.kind == "lab").order_by(Institution.id).limit(1)).scalar()
    return uscc, inst
