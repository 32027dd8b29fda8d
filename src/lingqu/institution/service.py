"""An institution's profile: accredited scope (structured), capacity and turnaround.

The accredited scope used to be one free-text field (";"-separated standard codes and test
items, as the import sheets carry it). It is now also kept structured -- a list of standard
codes from the ``standard`` table and a list of test-item names from the ``test_item`` table --
so that requests can be matched on it. The text field stays, regenerated from the lists on every
edit, so exports and older readers still see a readable scope. Entries of an imported text that
match neither table stay in the text (the edit form keeps them) and are shown as unrecognised,
never dropped silently. The text is also what a re-import compares, so loading the same sheet
again changes nothing, and a sheet with a different scope re-derives the lists.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field

from sqlalchemy.orm import Session

from lingqu.audit.service import record as audit
from lingqu.auth.models import User
from lingqu.exceptions import Forbidden, NotFound, ValidationError
from lingqu.institution import repository
from lingqu.institution.models import Institution

KIND_LABELS = {
    "lab": "检验检测机构", "certification": "认证机构", "metrology": "计量技术机构", "standards": "标准化技术机构",
    "association": "行业协会", "consultancy": "咨询服务机构",
}
MAX_CAPACITY = 100_000
MAX_TURNAROUND_DAYS = 365
_SPLIT = re.compile(r"[;；,，、\n\r]+")


class FormInvalid(ValidationError):
    """A form with one or more bad fields: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()), field=next(iter(errors)))
        self.errors = errors

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["error"]["fields"] = self.errors
        return out


@dataclass(frozen=True)
class ScopeParts:
    standards: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)

    def text(self) -> str:
        return ";".join([*self.standards, *self.items, *self.unrecognised])


@dataclass(frozen=True)
class InstitutionProfile:
    id: int
    name: str
    kind: str
    kind_label: str
    city_code: str
    city_name: str
    accreditation_no: str
    standards: list[str]
    items: list[str]
    unrecognised: list[str]
    capacity_per_month: int | None
    turnaround_days: float | None
    scope_text: str

    def to_dict(self) -> dict:
        return asdict(self)


def _key(text: str) -> str:
    """Spelling-insensitive key: full-width forms folded, spaces dropped, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def split_entries(text: str) -> list[str]:
    """Entries of a scope written as text: separated by semicolons, commas, 、 or new lines."""
    return list(dict.fromkeys(e.strip() for e in _SPLIT.split(text or "") if e.strip()))


class _Reference:
    def __init__(self, session: Session) -> None:
        self.standards = {_key(c): c for c in repository.standard_codes(session)}
        self.items = {_key(n): n for n in repository.test_item_names(session)}


def classify(session: Session, entries: list[str], ref: _Reference | None = None) -> ScopeParts:
    """Sort entries into known standard codes, known test items and the rest (as written)."""
    ref = ref or _Reference(session)
    standards, items, other = [], [], []
    for e in entries:
        k = _key(e)
        if k in ref.standards:
            standards.append(ref.standards[k])
        elif k in ref.items:
            items.append(ref.items[k])
        else:
            other.append(e)
    return ScopeParts(list(dict.fromkeys(standards)), list(dict.fromkeys(items)), other)


def scope_parts(session: Session, inst: Institution, ref: _Reference | None = None) -> ScopeParts:
    """The structured scope (derived from the text when the lists are not filled in yet); the
    unrecognised entries are those of the text that match neither reference table."""
    derived = classify(session, split_entries(inst.scope), ref)
    if inst.scope_standards or inst.scope_items:
        return ScopeParts(list(inst.scope_standards or []), list(inst.scope_items or []), derived.unrecognised)
    return derived


def _profile(session: Session, inst: Institution) -> InstitutionProfile:
    parts = scope_parts(session, inst)
    return InstitutionProfile(
        id=inst.id, name=inst.name, kind=inst.kind, kind_label=KIND_LABELS.get(inst.kind, inst.kind),
        city_code=inst.city_code, city_name=repository.city_name(session, inst.city_code),
        accreditation_no=inst.accreditation_no or "", standards=parts.standards, items=parts.items,
        unrecognised=parts.unrecognised, capacity_per_month=inst.capacity_per_month,
        turnaround_days=inst.turnaround_days, scope_text=inst.scope or "",
    )


def own_institution(session: Session, user: User, *, for_update: bool = False) -> Institution:
    """The institution an institution user works for (403 for other roles, 404 if unlinked)."""
    if user.role != "institution":
        raise Forbidden("只有检验检测等服务机构的用户可以使用此功能 (institution users only)")
    inst = repository.get(session, user.institution_id, for_update=for_update) if user.institution_id else None
    if inst is None:
        raise NotFound("您的账号未关联服务机构，请联系平台管理员 (this account is not linked to an institution)")
    return inst


def profile(session: Session, user: User) -> InstitutionProfile:
    return _profile(session, own_institution(session, user))


def profile_of(session: Session, institution_id: int) -> InstitutionProfile | None:
    inst = repository.get(session, institution_id)
    return _profile(session, inst) if inst else None


def _number(value: str, *, integer: bool, low: float, high: float) -> float | int | None:
    text = unicodedata.normalize("NFKC", (value or "")).strip()
    if not text:
        return None
    try:
        n = int(text) if integer else float(text)
    except ValueError:
        return math.nan
    if not math.isfinite(n) or n < low or n > high:
        return math.nan
    return n


def update_profile(session: Session, user: User, *, standards: str, items: str, capacity_per_month: str,
                   turnaround_days: str) -> InstitutionProfile:
    """Validate and save the institution's scope, capacity and turnaround; audited with before/after.

    Every field is checked and every problem reported at once (``FormInvalid.errors``)."""
    inst = own_institution(session, user, for_update=True)
    ref = _Reference(session)
    errors: dict[str, str] = {}
    std_entries, item_entries = split_entries(standards), split_entries(items)
    std_parts, item_parts = classify(session, std_entries, ref), classify(session, item_entries, ref)
    bad_std = [e for e in std_entries if _key(e) not in ref.standards]
    bad_items = [e for e in item_entries if _key(e) not in ref.items]
    if bad_std:
        errors["standards"] = (f"标准库中没有这些标准编号：{'、'.join(bad_std)}。请填写完整编号（含年代号），如 GB 31241-2022 "
                               "(unknown standard codes)")
    if bad_items:
        errors["items"] = f"检验项目库中没有这些项目：{'、'.join(bad_items)}。请使用标准的项目名称，如 转换效率 (unknown test items)"
    if not errors and not std_parts.standards and not item_parts.items:
        errors["standards"] = "认可范围至少应包含一项标准或检验项目 (the scope needs at least one standard or test item)"
    capacity = _number(capacity_per_month, integer=True, low=1, high=MAX_CAPACITY)
    if capacity is None or (isinstance(capacity, float) and math.isnan(capacity)):
        errors["capacity_per_month"] = f"每月可承接量应为 1 到 {MAX_CAPACITY} 之间的整数（批次/月），实为 {capacity_per_month!r} (capacity)"
    turnaround = _number(turnaround_days, integer=False, low=0.5, high=MAX_TURNAROUND_DAYS)
    if turnaround is None or math.isnan(turnaround):
        errors["turnaround_days"] = f"平均服务周期应为 0.5 到 {MAX_TURNAROUND_DAYS} 之间的天数，实为 {turnaround_days!r} (turnaround days)"
    if errors:
        raise FormInvalid(errors)
    before = _profile(session, inst).to_dict()
    parts = ScopeParts(std_parts.standards, item_parts.items, scope_parts(session, inst, ref).unrecognised)
    inst.scope_standards, inst.scope_items = parts.standards, parts.items
    inst.scope = parts.text()
    inst.capacity_per_month, inst.turnaround_days = int(capacity), float(turnaround)
    session.flush()
    after = _profile(session, inst)
    changed = {k: v for k, v in after.to_dict().items() if before.get(k) != v}
    if changed:
        audit(session, actor=user.username, action="update", entity="institution", key=str(inst.id),
              before={k: before[k] for k in changed}, after=changed, note="institution edited its profile")
    return after


def sync_structured_scopes(session: Session) -> int:
    """Bring the structured scope in step with the scope text where they differ (institutions
    imported with text only, or whose text a later import changed); returns how many changed.

    Run after loading institutions. An institution's own edit keeps both in step, so it is left alone."""
    ref = _Reference(session)
    n = 0
    for inst in repository.all_institutions(session):
        parts = classify(session, split_entries(inst.scope), ref)
        if (list(inst.scope_standards or []), list(inst.scope_items or [])) == (parts.standards, parts.items):
            continue
        inst.scope_standards, inst.scope_items = parts.standards, parts.items
        n += 1
    session.flush()
    return n
