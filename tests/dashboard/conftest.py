"""The hand-computed sampling world of tests/web (see its conftest), plus risk grades and an
alert, and logins for each kind of user."""

from __future__ import annotations

import datetime as dt

import pytest

from lingqu.alert.models import Alert
from lingqu.db.engine import unit_of_work
from lingqu.enterprise.models import Enterprise
from lingqu.risk.models import RiskGrade

from ..conftest import log_in, make_user
from ..web.conftest import World, build_world


@pytest.fixture
def world(db_url) -> World:
    """tests/web's world; 华强 graded B (2024-01-01) then D (2025-01-01), 安心 graded A; one open
    CUSUM alert on 华强."""
    w = build_world(db_url)
    with unit_of_work(db_url) as s:
        ids = {e.uscc: e.id for e in s.query(Enterprise).filter(Enterprise.uscc.in_([w.huaqiang, w.anxin]))}
        hq, ax = ids[w.huaqiang], ids[w.anxin]
        s.add_all([
            RiskGrade(enterprise_id=hq, as_of=dt.date(2024, 1, 1), policy_version="v1", probability=0.2, grade="B",
                      reasons=[{"text_zh": "近两年有不合格批次"}]),
            RiskGrade(enterprise_id=hq, as_of=dt.date(2025, 1, 1), policy_version="v1", probability=0.45, grade="D",
                      reasons=[{"text_zh": "转换效率多次不合格"}]),
            RiskGrade(enterprise_id=ax, as_of=dt.date(2025, 1, 1), policy_version="v1", probability=0.03, grade="A"),
            Alert(kind="cusum", scope="enterprise", scope_key=str(hq), status="new", raised_at=dt.date(2023, 6, 20),
                  last_signal_on=dt.date(2023, 6, 20), statistic=5.1, threshold=4.2, evidence={}),
        ])
    return w


@pytest.fixture
def as_user(db_url, world, anonymous_client):
    """as_user(role, **scope): the client logged in as a new user of that role and scope."""
    made = {}

    def login(role: str, **scope):
        name = f"{role}-{'-'.join(str(v) for v in scope.values()) or 'all'}"
        if name not in made:
            make_user(db_url, name, role, **scope)
            made[name] = True
        anonymous_client.cookies.clear()
        log_in(anonymous_client, name)
        return anonymous_client

    return login


@pytest.fixture
def admin(as_user):
    return as_user("admin")
