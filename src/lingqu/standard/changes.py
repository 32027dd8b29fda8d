"""Standard changes and the enterprises they affect (标准变更预警).

A *change* is an edition that, as of a date D and a window of N days (``LINGQU_STANDARD_CHANGE_DAYS``,
default 180):

- is **superseded**: a successor took effect on or before D (or, with no successor date known,
  the dataset's status says superseded);
- is **withdrawn**: status withdrawn, or a withdrawal date on or before D + N;
- is **replaced soon**: a successor takes effect after D and within N days.

Dates decide over the status column whenever they are known, so ``--as-of`` in the past sees the
world as it was. The transition date is the successor's effective date (the earliest one) or
the withdrawal date.

An enterprise is affected by a change when

- it holds a live certificate (not expired, revoked or withdrawn on D) that cites the edition,
  in any spelling (``GB4943.1-2011``, ``GB 4943.1—2011``, several codes in one cell): whatever the
  date of the change, a certificate tested to an outdated edition needs action; or
- the transition date lies within N days of D (before or after) and the enterprise makes a
  product of a category the edition applies to. Older changes are settled history and reach only
  certificate holders, otherwise every maker would be told about editions replaced years ago.

A scan stores one alert per (edition, enterprise) with a lifecycle new -> acknowledged -> closed;
scanning again refreshes the facts of open alerts and never duplicates one. Services flush,
never commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from lingqu.audit.service import record as audit
from lingqu.audit.service import record_many
from lingqu.auth.scope import Scope
from lingqu.exceptions import Forbidden, NotFound, ValidationError
from lingqu.standard import repository
from lingqu.standard.models import StandardChangeAlert
from lingqu.standard.numbers import clean, code_tokens, codes_in_query, split_codes

STATUSES = ("new", "acknowledged", "closed")
ENTITY = "standard_change_alert"
#: certificate statuses that end a certificate (it needs no action any more)
DEAD_CERTIFICATE = {"expired", "revoked", "withdrawn", "cancelled", "过期", "已过期", "撤销", "已撤销", "注销", "已注销"}
CHANGE_LABELS = {"superseded": "已被代替", "withdrawn": "已废止", "replaced_soon": "即将被代替"}


@dataclass
class Change:
    standard_id: int
    code: str
    title_zh: str
    change: str  # superseded | withdrawn | replaced_soon
    transition_on: dt.date | None
    successors: list[str]
    categories: list[str]
    recent: bool
    #: enterprise id -> {"categories": [...], "certificates": [...]}
    affected: dict[int, dict] = field(default_factory=dict)


def default_days() -> int:
    from lingqu.config import get_settings

    return get_settings().standard_change_days


def _check_window(days: int) -> int:
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError(f"days must be a whole number (got {days!r})", field="days") from None
    if not 0 <= days <= 3650:
        raise ValidationError(f"days must be between 0 and 3650 (got {days})", field="days")
    return days


def _key(code: str) -> str:
    t = code_tokens(code)
    return t.full or t.base


def cited_keys(text: str) -> set[str]:
    """Edition keys a certificate's ``standard_code`` cell cites, in any spelling and separator."""
    keys = set()
    for part in re.split(r"[;；,，、\n]+", text or ""):
        part = part.strip()
        if part:
            keys.add(_key(part))
            keys.add(clean(part))
    for tok in codes_in_query(text or ""):
        if tok.full:
            keys.add(tok.full)
    return keys


def _successors(rows) -> dict[int, list]:
    """standard id -> successor rows in the table, plus codes named but not in the table."""
    by_key = {_key(s.code): s for s in rows}
    out: dict[int, list] = {s.id: [] for s in rows}
    for s in rows:
        for ref in split_codes(s.replaced_by):
            t = by_key.get(_key(ref))
            item = t if t is not None else ref
            if item not in out[s.id] and t is not s:
                out[s.id].append(item)
        for ref in split_codes(s.replaces):
            p = by_key.get(_key(ref))
            if p is not None and p is not s and s not in out[p.id]:
                out[p.id].append(s)
    return out


def detect_changes(session: Session, as_of: dt.date, days: int) -> list[Change]:
    """Every edition that is superseded, withdrawn or replaced soon as of ``as_of`` (see module doc)."""
    days = _check_window(days)
    horizon = as_of + dt.timedelta(days=days)
    rows = repository.all_standards(session)
    succ = _successors(rows)
    links: dict[int, list[str]] = {}
    for sid, cat in repository.links(session):
        links.setdefault(sid, []).append(cat)
    out = []
    for s in rows:
        named = succ[s.id]
        dates = sorted(t.effective for t in named if not isinstance(t, str) and t.effective)
        codes = [t if isinstance(t, str) else t.code for t in named]
        change, when = None, None
        if named or s.status == "superseded":
            started = [d for d in dates if d <= as_of]
            soon = [d for d in dates if as_of < d <= horizon]
            if started:
                change, when = "superseded", started[0]
            elif soon:
                change, when = "replaced_soon", soon[0]
            elif not dates and s.status == "superseded":
                change, when = "superseded", s.withdrawn
        if change is None and (s.status == "withdrawn" or (s.withdrawn and s.withdrawn <= horizon)):
            if not (s.withdrawn and s.withdrawn > horizon):
                change, when = "withdrawn", s.withdrawn
        if change is None:
            continue
        recent = when is not None and abs((when - as_of).days) <= days
        out.append(Change(s.id, s.code, s.title_zh or s.title_en, change, when, codes, sorted(links.get(s.id, [])), recent))
    return out


def _live(cert, as_of: dt.date) -> bool:
    if (cert.status or "").strip().lower() in DEAD_CERTIFICATE:
        return False
    if cert.expires_on and cert.expires_on < as_of:
        return False
    return not (cert.issued_on and cert.issued_on > as_of)


def affected_enterprises(session: Session, changes: list[Change], as_of: dt.date) -> list[Change]:
    """Fill ``Change.affected`` (see module doc for who is affected)."""
    by_key = {_key(c.code): c for c in changes}
    for cert in repository.certificates(session):
        if not _live(cert, as_of):
            continue
        for k in cited_keys(cert.standard_code):
            c = by_key.get(k)
            if c is None:
                continue
            entry = c.affected.setdefault(cert.enterprise_id, {"categories": [], "certificates": []})
            if cert.certificate_no not in entry["certificates"]:
                entry["certificates"].append(cert.certificate_no)
    makers = repository.product_categories_by_enterprise(session)
    for c in changes:
        if not c.recent or not c.categories:
            continue
        cats = set(c.categories)
        for eid, made in makers.items():
            hit = sorted(cats & made)
            if hit:
                c.affected.setdefault(eid, {"categories": [], "certificates": []})["categories"] = hit
    for c in changes:
        for eid, entry in c.affected.items():
            if not entry["categories"] and c.categories:
                entry["categories"] = sorted(set(c.categories) & makers.get(eid, set()))
            entry["certificates"].sort()
    return changes


def _iso(d) -> str | None:
    return d.isoformat() if d else None


def find_changes(session: Session, as_of: dt.date | None = None, days: int | None = None,
                 scope: Scope | None = None) -> dict:
    """The changes with their affected enterprises (those in ``scope``), without storing anything."""
    as_of = as_of or dt.date.today()
    days = default_days() if days is None else days
    changes = affected_enterprises(session, detect_changes(session, as_of, days), as_of)
    ents = repository.enterprises_by_id(session, [eid for c in changes for eid in c.affected])
    items = []
    for c in changes:
        affected = []
        for eid, entry in c.affected.items():
            e = ents[eid]
            if scope is not None and not scope.allows_enterprise(e.uscc, e.city_code):
                continue
            affected.append({"uscc": e.uscc, "name": e.name, "city_code": e.city_code, **entry})
        if not affected and not c.recent:
            continue
        affected.sort(key=lambda a: a["uscc"])
        items.append({"code": c.code, "title_zh": c.title_zh, "change": c.change, "transition_on": _iso(c.transition_on),
                      "successors": c.successors, "categories": c.categories, "recent": c.recent,
                      "enterprises": affected,
                      "certificates": sum(len(a["certificates"]) for a in affected)})
    items.sort(key=lambda i: (i["transition_on"] or "", i["code"]), reverse=True)
    return {"as_of": as_of.isoformat(), "days": days, "changes": items}


# --- stored alerts --------------------------------------------------------------------------------

def alert_dict(a: StandardChangeAlert, e, s) -> dict:
    return {
        "id": a.id, "code": s.code, "title_zh": s.title_zh or s.title_en, "change": a.change,
        "change_label": CHANGE_LABELS.get(a.change, a.change), "transition_on": _iso(a.transition_on),
        "successors": [x for x in (a.successors or "").split(";") if x], "categories": list(a.categories or []),
        "certificates": list(a.certificates or []), "status": a.status, "uscc": e.uscc, "enterprise": e.name,
        "city_code": e.city_code, "first_as_of": _iso(a.first_as_of), "last_as_of": _iso(a.last_as_of),
        "note": a.note or "", "acknowledged_by": a.acknowledged_by or "", "closed_by": a.closed_by or "",
    }


_FACTS = ("change", "transition_on", "successors", "categories", "certificates")


def scan(session: Session, as_of: dt.date | None = None, days: int | None = None, actor: str = "cli") -> dict:
    """Detect the changes as of ``as_of`` and store one alert per affected (edition, enterprise).

    Returns the ``find_changes`` result plus ``raised``, ``updated`` and ``unchanged`` counts.
    """
    as_of = as_of or dt.date.today()
    days = default_days() if days is None else _check_window(days)
    changes = affected_enterprises(session, detect_changes(session, as_of, days), as_of)
    existing = repository.change_alerts(session)
    raised, updated, unchanged = [], [], 0
    for c in changes:
        for eid, entry in c.affected.items():
            facts = {"change": c.change, "transition_on": c.transition_on, "successors": ";".join(c.successors),
                     "categories": entry["categories"], "certificates": entry["certificates"]}
            a = existing.get((c.standard_id, eid))
            if a is None:
                a = StandardChangeAlert(standard_id=c.standard_id, enterprise_id=eid, status="new", first_as_of=as_of,
                                        last_as_of=as_of, **facts)
                repository.add(session, a)
                raised.append(a)
                continue
            diff = {k: v for k, v in facts.items() if getattr(a, k) != v}
            a.last_as_of = max(a.last_as_of, as_of) if a.last_as_of else as_of
            if diff:
                before = {k: _iso(getattr(a, k)) if k == "transition_on" else getattr(a, k) for k in diff}
                for k, v in diff.items():
                    setattr(a, k, v)
                a.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
                updated.append((a, before))
            else:
                unchanged += 1
    repository.flush(session)
    if raised:
        record_many(session, actor=actor, action="insert", entity=ENTITY,
                    changes=[(str(a.id), None, {"standard_id": a.standard_id, "enterprise_id": a.enterprise_id,
                                                "change": a.change, "certificates": a.certificates}) for a in raised],
                    note=f"standard change scan as of {as_of}")
    if updated:
        record_many(session, actor=actor, action="update", entity=ENTITY,
                    changes=[(str(a.id), before, {k: _iso(getattr(a, k)) if k == "transition_on" else getattr(a, k)
                                                  for k in before}) for a, before in updated],
                    note=f"standard change scan as of {as_of}")
    audit(session, actor=actor, action="scan", entity="standard_change_scan", key=as_of.isoformat(),
          after={"days": days, "changes": len(changes), "raised": len(raised), "updated": len(updated),
                 "unchanged": unchanged})
    return {"as_of": as_of.isoformat(), "days": days, "changes": len(changes), "raised": len(raised),
            "updated": len(updated), "unchanged": unchanged}


def _scope_filter(scope: Scope) -> dict:
    if scope.no_enterprise_data:
        raise Forbidden("您的角色无权查看企业的标准变更预警 (your role may not see enterprises' change alerts)")
    return {"city_code": scope.city_code, "uscc": scope.uscc}


def list_alerts(session: Session, scope: Scope, status: str | None = None, code: str | None = None) -> list[dict]:
    """Stored alerts the caller may see: an enterprise its own, a city regulator its city's."""
    if status and status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)} (got {status!r})", field="status")
    standard_id = None
    if code:
        s = repository.standard_by_code(session, code)
        if s is None:
            raise NotFound(f"no standard {code!r}", field="code")
        standard_id = s.id
    rows = repository.list_change_alerts(session, status=status or None, standard_id=standard_id, **_scope_filter(scope))
    return [alert_dict(a, e, s) for a, e, s in rows]


def summary(alerts: list[dict]) -> list[dict]:
    """Alerts grouped by edition, with counts of enterprises, flagged certificates and open alerts."""
    groups: dict[str, dict] = {}
    for a in alerts:
        g = groups.setdefault(a["code"], {
            "code": a["code"], "title_zh": a["title_zh"], "change": a["change"], "change_label": a["change_label"],
            "transition_on": a["transition_on"], "successors": a["successors"], "enterprises": 0, "certificates": 0,
            "open": 0, "by_status": {k: 0 for k in STATUSES}, "alerts": [],
        })
        g["enterprises"] += 1
        g["certificates"] += len(a["certificates"])
        g["open"] += a["status"] != "closed"
        g["by_status"][a["status"]] += 1
        g["alerts"].append(a)
    return sorted(groups.values(), key=lambda g: (g["transition_on"] or "", g["code"]), reverse=True)


def _alert_in_scope(session: Session, alert_id, scope: Scope):
    try:
        alert_id = int(alert_id)
    except (TypeError, ValueError):
        raise ValidationError(f"alert id must be a whole number (got {alert_id!r})", field="alert_id") from None
    row = repository.change_alert(session, alert_id, for_update=True)
    if row is None or scope.no_enterprise_data or not scope.allows_enterprise(row[1].uscc, row[1].city_code):
        raise NotFound(f"no standard change alert {alert_id}", field="alert_id")
    return row


def acknowledge(session: Session, alert_id, scope: Scope, actor: str = "cli") -> dict:
    """new -> acknowledged (again: no-op). A closed alert cannot be acknowledged."""
    a, e, s = _alert_in_scope(session, alert_id, scope)
    if a.status == "closed":
        raise ValidationError(f"alert {a.id} is closed and cannot be acknowledged", field="status")
    if a.status == "new":
        a.status, a.acknowledged_by = "acknowledged", actor
        a.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        repository.flush(session)
        audit(session, actor=actor, action="update", entity=ENTITY, key=str(a.id), before={"status": "new"},
              after={"status": "acknowledged"}, note="acknowledged")
    return alert_dict(a, e, s)


def close(session: Session, alert_id, note: str, scope: Scope, actor: str = "cli") -> dict:
    """new | acknowledged -> closed, with a note of what was done (e.g. certificate converted)."""
    a, e, s = _alert_in_scope(session, alert_id, scope)
    note = (note or "").strip()
    if not note:
        raise ValidationError("closing an alert needs a note (what was found or done)", field="note")
    if a.status == "closed":
        raise ValidationError(f"alert {a.id} is already closed", field="status")
    before = a.status
    a.status, a.note, a.closed_by = "closed", note, actor
    a.updated_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    repository.flush(session)
    audit(session, actor=actor, action="update", entity=ENTITY, key=str(a.id), before={"status": before},
          after={"status": "closed", "note": note}, note="closed")
    return alert_dict(a, e, s)
