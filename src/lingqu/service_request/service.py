"""Service requests: an enterprise asks for help; an institution accepts, declines, completes.

Lifecycle (every transition checked here, audited with before/after)::

    new --accept--> accepted --complete--> completed
    new --decline--> declined        (a request addressed to this institution)
    new --withdraw--> withdrawn      (by the enterprise)

Declining an *open* request (one sent to every matching institution) only takes it off that
institution's list; it stays new for the others. Who sees what:
- an enterprise: its own requests; a regulator: requests of enterprises in its city (province:
  all); an admin: all;
- an institution: requests addressed to it, and open new requests whose topic it provides and
  whose standard (if one is named) is in its accredited scope.
A request outside these answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.orm import Session

from lingqu.audit.service import record as audit
from lingqu.auth.models import User
from lingqu.enterprise import repository as enterprise_repository
from lingqu.exceptions import Forbidden, LingquError, NotFound, ValidationError
from lingqu.institution import repository as institution_repository
from lingqu.institution import service as institution_service
from lingqu.institution.service import FormInvalid
from lingqu.kit.paging import int_param
from lingqu.service_request import repository
from lingqu.service_request.models import ServiceRequest
from lingqu.service_request.repository import InstitutionView, RequestFilter
from lingqu.service_request.schemas import (
    DEFAULT_PAGE_SIZE, MAX_DESCRIPTION, MAX_NOTE, MAX_PAGE_SIZE, MIN_DESCRIPTION, STATUS_LABELS, TOPICS,
    ServiceRequestOut, ServiceRequestPage, topic_label, topics_for_kind,
)

ENTITY = "service_request"
MAX_QUERY_CHARS = 100


class Conflict(LingquError):
    """The request is not in a state that allows this step (e.g. accepting a declined request)."""

    code = "conflict"
    status_code = 409


def _no_nul(value, field: str) -> str:
    """Text as given, refused if it holds NUL characters (PostgreSQL cannot store them)."""
    text = "" if value is None else str(value)
    if "\x00" in text:
        raise ValidationError(f"{field} 含有不可见的控制字符 (NUL)，请删除后重试 (NUL character in {field})", field=field)
    return text


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


# --- who sees what --------------------------------------------------------------------------------

def visibility(session: Session, user: User | None) -> RequestFilter:
    """The rows ``user`` may see, as a filter every read goes through."""
    if user is None:
        raise Forbidden("请先登录 (please log in)")
    if user.role == "admin":
        return RequestFilter()
    if user.role == "regulator":
        return RequestFilter(city_code=user.city_code or "")
    if user.role == "enterprise":
        found = enterprise_repository.by_uscc(session, user.uscc or "")
        return RequestFilter(enterprise_id=found[0].id if found else -1)
    if user.role == "institution":
        inst = institution_service.own_institution(session, user)
        parts = institution_service.scope_parts(session, inst)
        return RequestFilter(institution=InstitutionView(inst.id, tuple(topics_for_kind(inst.kind)), tuple(parts.standards)))
    raise Forbidden("您的角色无权查看服务需求 (your role may not see service requests)")


def _out(row: tuple) -> ServiceRequestOut:
    r, uscc, ent_name, city_name, inst_name, batch_no = row
    return ServiceRequestOut(
        id=r.id, request_no=r.request_no, status=r.status, status_label=STATUS_LABELS.get(r.status, r.status),
        topic=r.topic, topic_label=topic_label(r.topic), description=r.description, standard_code=r.standard_code or "",
        enterprise_uscc=uscc, enterprise_name=ent_name, city_code=r.city_code, city_name=city_name,
        batch_no=batch_no or "", institution_id=r.institution_id, institution_name=inst_name or "",
        open_to_all=bool(r.open_to_all), note=r.note or "", created_by=r.created_by or "", created_at=r.created_at,
        updated_at=r.updated_at, decided_at=r.decided_at, completed_at=r.completed_at,
    )


def _request_id(value) -> int:
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        n = 0
    if n < 1 or n > 2**31 - 1:
        raise NotFound(f"没有编号为 {value!r} 的服务需求 (no such service request)", field="request_id")
    return n


def get(session: Session, user: User, request_id) -> ServiceRequestOut:
    rid = _request_id(request_id)
    row = repository.get_row(session, rid, visibility(session, user))
    if row is None:
        raise NotFound(f"没有编号为 {rid} 的服务需求 (no such service request)", field="request_id")
    return _out(row)




def list_requests(session: Session, user: User, *, status: str | None = None, topic: str | None = None,
                  city: str | None = None, q: str | None = None, page=None, page_size=None) -> ServiceRequestPage:
    """One page of the requests ``user`` may see, newest first, filtered by status, topic, city, text."""
    status, topic, city = (status or "").strip(), (topic or "").strip(), (city or "").strip()
    text = _no_nul(q, "q").strip()
    if status and status not in STATUS_LABELS:
        raise ValidationError(f"未知的状态 {status!r}，应为 {'、'.join(STATUS_LABELS)} 之一 (unknown status)", field="status")
    if topic and topic not in TOPICS:
        raise ValidationError(f"未知的服务类型 {topic!r}，应为 {'、'.join(TOPICS)} 之一 (unknown topic)", field="topic")
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError(f"搜索内容过长，最多 {MAX_QUERY_CHARS} 个字符 (search text too long)", field="q")
    page_n = int_param(page, "page", 1, 1)
    size = int_param(page_size, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    base = visibility(session, user)
    if city:
        from lingqu.enterprise.service import check_city

        check_city(session, city)
        if base.city_code and base.city_code != city:
            raise Forbidden("超出您的管辖范围 (outside your jurisdiction)")
    f = RequestFilter(enterprise_id=base.enterprise_id, city_code=base.city_code or city, institution=base.institution,
                      status=status, topic=topic, text=text)
    total = repository.count(session, f)
    offset = (page_n - 1) * size
    rows = repository.list_page(session, f, limit=size, offset=offset) if offset < total else []
    return ServiceRequestPage(items=[_out(r) for r in rows], total=total, page=page_n, page_size=size)


# --- submitting ------------------------------------------------------------------------------------

def form_choices(session: Session, user: User) -> dict:
    """What the request form offers: topics, institutions by topic, the enterprise's recent batches."""
    found = enterprise_repository.by_uscc(session, user.uscc or "") if user.role == "enterprise" else None
    institutions = repository.institutions_for(session)
    return {
        "topics": [(code, label) for code, (label, _) in TOPICS.items()],
        "institutions": [(i.id, i.name, institution_service.KIND_LABELS.get(i.kind, i.kind),
                          [t for t in topics_for_kind(i.kind)]) for i in institutions if topics_for_kind(i.kind)],
        "batches": repository.recent_batches(session, found[0].id) if found else [],
    }


def _snapshot(r: ServiceRequest) -> dict:
    return {"status": r.status, "topic": r.topic, "institution_id": r.institution_id, "note": r.note,
            "declined_by": r.declined_by, "enterprise_id": r.enterprise_id, "standard_code": r.standard_code,
            "batch_id": r.batch_id, "description": r.description}


def submit(session: Session, user: User, data: dict) -> ServiceRequestOut:
    """Record a new request of the user's own enterprise; every field checked, all problems at once.

    ``data`` holds the form's strings: topic, description, institution_id, standard_code, batch_no."""
    if user.role != "enterprise":
        raise Forbidden("只有企业用户可以提交服务需求 (only enterprise users submit requests)")
    found = enterprise_repository.by_uscc(session, user.uscc or "")
    if found is None:
        raise NotFound("您的账号关联的企业不在名录中，请联系监管部门 (your enterprise is not registered)")
    enterprise = found[0]
    data = {k: _no_nul(data.get(k), k) for k in ("topic", "description", "institution_id", "standard_code", "batch_no")}
    errors: dict[str, str] = {}
    topic = str(data.get("topic") or "").strip()
    if topic not in TOPICS:
        labels = "、".join(label for label, _ in TOPICS.values())
        errors["topic"] = f"请选择服务类型（{labels}）(choose a topic)"
    description = str(data.get("description") or "").strip()
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = f"请描述需要的帮助，至少 {MIN_DESCRIPTION} 个字（现为 {len(description)} 个字）(describe the need)"
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = f"需求描述最多 {MAX_DESCRIPTION} 个字（现为 {len(description)} 个字）(description too long)"
    institution_id = None
    raw_inst = str(data.get("institution_id") or "").strip()
    if raw_inst:
        inst = institution_repository.get(session, int(raw_inst)) if raw_inst.isdigit() and int(raw_inst) < 2**31 else None
        if inst is None:
            errors["institution_id"] = "所选服务机构不存在，请重新选择 (no such institution)"
        elif topic in TOPICS and inst.kind not in TOPICS[topic][1]:
            errors["institution_id"] = (f"{inst.name}（{institution_service.KIND_LABELS.get(inst.kind, inst.kind)}）"
                                        f"不提供“{topic_label(topic)}”服务，请另选机构或不指定机构 (institution does not offer this topic)")
        else:
            institution_id = inst.id
    standard_code = str(data.get("standard_code") or "").strip()
    if standard_code:
        parts = institution_service.classify(session, [standard_code])
        if parts.standards:
            standard_code = parts.standards[0]
        else:
            errors["standard_code"] = f"标准库中没有标准 {standard_code}，请填写完整编号（含年代号），如 GB 31241-2022，或留空 (unknown standard)"
    batch_id = None
    batch_no = str(data.get("batch_no") or "").strip()
    if batch_no:
        batch = repository.batch_of(session, enterprise.id, batch_no)
        if batch is None:
            errors["batch_no"] = f"本企业没有抽样编号为 {batch_no} 的批次 (no such batch of your enterprise)"
        else:
            batch_id = batch.id
    if errors:
        raise FormInvalid(errors)
    now = _now()
    r = repository.add(session, ServiceRequest(
        request_no=f"tmp-{uuid.uuid4().hex[:20]}", enterprise_id=enterprise.id, city_code=enterprise.city_code,
        topic=topic, description=description, standard_code=standard_code, batch_id=batch_id,
        institution_id=institution_id, open_to_all=institution_id is None, status="new", note="", declined_by="",
        created_by=user.username, created_at=now, updated_at=now,
    ))
    r.request_no = f"FW{now:%Y}{r.id:06d}"
    repository.flush(session)
    audit(session, actor=user.username, action="submit", entity=ENTITY, key=r.request_no, after=_snapshot(r),
          note="enterprise submitted a service request")
    return get(session, user, r.id)


# --- transitions -----------------------------------------------------------------------------------

def _locked_visible(session: Session, user: User, request_id) -> ServiceRequest:
    """The request, locked for the transition, if ``user`` may see it (404 otherwise)."""
    visible = get(session, user, request_id)
    r = repository.lock(session, visible.id)
    if r is None:  # deleted in between
        raise NotFound(f"没有编号为 {visible.id} 的服务需求 (no such service request)", field="request_id")
    return r


def _note(note: str | None, *, required: str | None = None) -> str:
    text = _no_nul(note, "note").strip()
    if required and not text:
        raise FormInvalid({"note": required})
    if len(text) > MAX_NOTE:
        raise FormInvalid({"note": f"说明最多 {MAX_NOTE} 个字（现为 {len(text)} 个字）(note too long)"})
    return text


def _state_error(r: ServiceRequest, action: str) -> Conflict:
    return Conflict(f"服务需求 {r.request_no} 当前状态为“{STATUS_LABELS.get(r.status, r.status)}”，不能{action} "
                    f"(request is {r.status})")


def _institution_id(user: User) -> int:
    if user.role != "institution" or not user.institution_id:
        raise Forbidden("只有服务机构的用户可以受理服务需求 (institution users only)")
    return int(user.institution_id)


def _finish(session: Session, user: User, r: ServiceRequest, action: str, before: dict, note: str) -> ServiceRequestOut:
    r.updated_at = _now()
    repository.flush(session)
    audit(session, actor=user.username, action=action, entity=ENTITY, key=r.request_no, before=before,
          after=_snapshot(r), note=note)
    return get(session, user, r.id)


def accept(session: Session, user: User, request_id, note: str | None = "") -> ServiceRequestOut:
    """new -> accepted, by the addressed institution or, for an open request, any matching one."""
    mine = _institution_id(user)
    r = _locked_visible(session, user, request_id)
    if r.status != "new":
        raise _state_error(r, "受理")
    text = _note(note)
    before = _snapshot(r)
    r.status, r.institution_id, r.note, r.decided_at = "accepted", mine, text, _now()
    return _finish(session, user, r, "accept", before, "institution accepted the request")


def decline(session: Session, user: User, request_id, note: str | None = "") -> ServiceRequestOut:
    """new -> declined (addressed request), or off this institution's list (open request)."""
    mine = _institution_id(user)
    r = _locked_visible(session, user, request_id)
    if r.status != "new":
        raise _state_error(r, "婉拒")
    text = _note(note, required="婉拒时请说明原因，便于企业另寻机构 (a reason is required to decline)")
    before = _snapshot(r)
    if r.institution_id == mine:
        r.status, r.note, r.decided_at = "declined", text, _now()
        out = _finish(session, user, r, "decline", before, "institution declined the request")
        return out
    r.declined_by = f"{r.declined_by or ','}{mine},"
    r.updated_at = _now()
    repository.flush(session)
    audit(session, actor=user.username, action="pass", entity=ENTITY, key=r.request_no, before=before,
          after=_snapshot(r), note=f"institution {mine} passed on an open request: {text}")
    row = repository.get_row(session, r.id, RequestFilter())
    return _out(row)


def complete(session: Session, user: User, request_id, note: str | None = "") -> ServiceRequestOut:
    """accepted -> completed, by the institution that accepted it."""
    mine = _institution_id(user)
    r = _locked_visible(session, user, request_id)
    if r.status != "accepted" or r.institution_id != mine:
        raise _state_error(r, "标记为完成")
    text = _note(note)
    before = _snapshot(r)
    r.status, r.completed_at = "completed", _now()
    if text:
        r.note = text
    return _finish(session, user, r, "complete", before, "institution completed the request")


def withdraw(session: Session, user: User, request_id) -> ServiceRequestOut:
    """new -> withdrawn, by the enterprise that submitted it."""
    if user.role != "enterprise":
        raise Forbidden("只有提交需求的企业可以撤回 (only the enterprise may withdraw)")
    r = _locked_visible(session, user, request_id)
    if r.status != "new":
        raise _state_error(r, "撤回")
    before = _snapshot(r)
    r.status = "withdrawn"
    return _finish(session, user, r, "withdraw", before, "enterprise withdrew the request")


ACTION_LABELS = {"submit": "企业提交需求", "insert": "企业提交需求（演示数据）", "accept": "机构受理",
                 "decline": "机构婉拒", "pass": "一家机构表示无法承接，需求仍对其他机构开放",
                 "complete": "机构标记为完成", "withdraw": "企业撤回需求"}


def history(session: Session, user: User, request_id) -> list[dict]:
    """The steps of a visible request from the audit log: when, what, and (for regulators and
    admins) who. Other tenants' user names are not shown to enterprises and institutions."""
    r = get(session, user, request_id)
    show_actor = user.role in ("regulator", "admin")
    out = []
    for e in repository.audit_trail(session, r.request_no):
        at = dt.datetime.fromisoformat(e.at).replace(tzinfo=None) if e.at else None
        out.append({"at": at, "action": e.action, "label": ACTION_LABELS.get(e.action, e.action),
                    "actor": e.actor if show_actor else "", "status": (e.after or {}).get("status", "")})
    return out


def actions_for(user: User | None, r: ServiceRequestOut) -> list[str]:
    """The transitions ``user`` may take on ``r`` now (what the detail page offers)."""
    if user is None:
        return []
    if user.role == "institution" and r.status == "new":
        return ["accept", "decline"]
    if user.role == "institution" and r.status == "accepted" and r.institution_id == user.institution_id:
        return ["complete"]
    if user.role == "enterprise" and r.status == "new":
        return ["withdraw"]
    return []


# --- demo ------------------------------------------------------------------------------------------

#: (enterprise: "demo" or index among other enterprises by USCC, topic, addressed to the demo
#: institution?, status, description, note). Fixed, so that loading the demo is deterministic.
DEMO_REQUESTS = (
    ("demo", "testing", True, "completed", "新款 20000mAh 移动电源送检，需要按 GB/T 35590-2017 做全项检测，用于出厂前自查。",
     "已完成全项检测，报告已发送。"),
    ("demo", "diagnosis", False, "new", "近两批抽检转换效率不合格，希望请机构到厂做一次质量诊断，找出生产环节的原因。", ""),
    ("demo", "testing", True, "new", "整改后的移动电源需要复测转换效率和输出电压两项，请安排检测时间。", ""),
    (0, "certification", False, "new", "CCC 证书即将到期，需要咨询延续认证的流程和所需资料。", ""),
    (1, "testing", True, "accepted", "申请对电芯做过充电、重物冲击和热滥用试验。", "已受理，请于下周一前送样 6 件。"),
    (2, "standards", False, "new", "GB 31241-2022 替代 2014 版后，我们的产品需要做哪些改动？希望得到标准解读。", ""),
    (3, "testing", True, "declined", "需要做无线电骚扰和抗扰度测试。", "本机构近期电磁兼容实验室检修，无法承接，请选择其他机构。"),
)


def seed_demo(session: Session, demo_uscc: str, institution_id: int | None) -> int:
    """Add the demo world's service requests once (nothing if any request exists); returns how many."""
    if repository.any_request(session) or not demo_uscc:
        return 0
    from lingqu.service_request.repository import demo_enterprises

    demo, others = demo_enterprises(session, demo_uscc, limit=4)
    if demo is None:
        return 0
    base = dt.datetime(2025, 11, 3, 9, 30)
    added = []
    for i, (who, topic, addressed, status, description, note) in enumerate(DEMO_REQUESTS):
        enterprise = demo if who == "demo" else (others[who] if who < len(others) else None)
        if enterprise is None:
            continue
        inst = institution_id if addressed or status in ("accepted", "completed") else None
        created = base + dt.timedelta(days=3 * i, hours=i)
        r = repository.add(session, ServiceRequest(
            request_no=f"tmp-demo-{i}", enterprise_id=enterprise.id, city_code=enterprise.city_code,
            topic=topic, description=description, standard_code="", batch_id=None,
            institution_id=inst, open_to_all=not addressed,
            status=status, note=note, declined_by="", created_by="lingqu demo load", created_at=created,
            updated_at=created + dt.timedelta(days=1) if status != "new" else created,
            decided_at=created + dt.timedelta(days=1) if status != "new" else None,
            completed_at=created + dt.timedelta(days=8) if status == "completed" else None,
        ))
        r.request_no = f"FW{created:%Y}{r.id:06d}"  # numbered like submitted requests: by id
        repository.flush(session)
        added.append((r.request_no, None, _snapshot(r)))
    if added:
        from lingqu.audit.service import record_many

        record_many(session, actor="lingqu demo load", action="insert", entity=ENTITY, changes=added,
                    note="demo world service requests")
    return len(added)
