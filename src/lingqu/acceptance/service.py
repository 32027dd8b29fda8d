"""Acceptance sampling service: plan lookups, OC tables, product lines and their lot records.

Services flush, never commit (the CLI command or the request owns the unit of work). The switching
rules are the pure state machine of :mod:`lingqu.stats.acceptance.switching`; this module only
stores its state per line, records each lot and writes the audit log.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lingqu.acceptance import repository
from lingqu.acceptance.models import AcceptanceLine, LotInspection
from lingqu.audit.service import record as audit
from lingqu.exceptions import NotFound, ValidationError
from lingqu.stats.acceptance import (
    AcceptanceSamplingWarning,
    DoubleSamplingPlan,
    LotResult,
    SingleSamplingPlan,
    SwitchingState,
    default_measure,
    lookup_plan,
    oc_curve,
    parse_aql,
    parse_level,
    parse_lot_size,
    parse_scheme,
    parse_stage,
    plan_quality,
    score_points,
    tighter_acceptance_number,
)
from lingqu.stats.acceptance.oc import parse_measure

ENTITY_LINE, ENTITY_LOT = "acceptance_line", "lot_inspection"


# --- plans and OC (no database) --------------------------------------------------------------------------

def plan(lot_size, level, aql, stage="normal", scheme="single") -> dict:
    """The sampling plan for one lot, as JSON-ready data (see :class:`PlanLookup`)."""
    return lookup_plan(lot_size, level, aql, stage, scheme).to_dict()


def oc_table(lot_size, level, aql, stage="normal", scheme="single", measure: str | None = None,
             points: int = 41) -> dict:
    """The plan with its OC curve (Pa, AOQ, ASN at each quality) and its risk points."""
    import warnings

    found = lookup_plan(lot_size, level, aql, stage, scheme)
    measure = parse_measure(measure) if measure else default_measure(found.aql)
    lot = None if found.hundred_percent_inspection else found.lot_size
    caveats: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AcceptanceSamplingWarning)
        quality = plan_quality(found.plan, float(found.aql), measure, lot_size=lot)
        curve = oc_curve(found.plan, measure, points=points, lot_size=lot)
    caveats.extend(sorted({str(w.message) for w in caught if issubclass(w.category, AcceptanceSamplingWarning)}))
    if found.hundred_percent_inspection:
        caveats.append("100 % inspection: every item is inspected, the OC curve describes the plan, not this lot")
    return {"plan": found.to_dict(), "measure": measure, "quality": quality.to_dict(), **curve.to_dict(),
            "caveats": caveats}


# --- product lines -------------------------------------------------------------------------------------

def _line_or_404(session: Session, code: str, *, for_update: bool = False) -> AcceptanceLine:
    line = repository.line_by_code(session, code, for_update=for_update)
    if line is None:
        raise NotFound(f"no acceptance-sampling line {code!r}; create it with `lingqu sampling line create`",
                       field="line")
    return line


def _line_dict(line: AcceptanceLine) -> dict:
    return {"code": line.code, "name": line.name, "supplier": line.supplier, "level": line.inspection_level,
            "aql": line.aql, "scheme": line.scheme, "measure": line.measure, "stage": line.stage,
            "switching_score": line.switching_score, "lot_count": line.lot_count}


def create_line(session: Session, code: str, level, aql, scheme="single", *, name: str = "", supplier: str = "",
                measure: str | None = None, start_stage: str = "normal", actor: str = "cli") -> dict:
    """Register a product line / supplier with its inspection level, AQL and plan type."""
    code = (code or "").strip()
    if not code or len(code) > 60:
        raise ValidationError("line must be a non-empty code of at most 60 characters", field="line")
    level, aql, scheme = parse_level(level), parse_aql(aql), parse_scheme(scheme)
    measure = parse_measure(measure) if measure else default_measure(aql)
    if measure == "percent_nonconforming" and float(aql) > 10:
        raise ValidationError(f"AQL {aql} is above 10: it is expressed in nonconformities per 100 items only "
                              "(measure must be nonconformities_per_100)", field="measure")
    state = SwitchingState.start(parse_stage(start_stage))
    if repository.line_by_code(session, code) is not None:
        raise ValidationError(f"line {code!r} already exists", field="line")
    line = repository.add_line(session, AcceptanceLine(
        code=code, name=name.strip(), supplier=supplier.strip(), inspection_level=level, aql=aql, scheme=scheme,
        measure=measure, stage=state.stage, switching_score=0, state=state.to_dict(), lot_count=0))
    out = _line_dict(line)
    audit(session, actor=actor, action="insert", entity=ENTITY_LINE, key=code, before=None, after=out)
    return out | {"reason": state.reason}


def list_lines(session: Session) -> list[dict]:
    return [_line_dict(line) for line in repository.list_lines(session)]


def _count(value, field: str) -> int:
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{field} must be a whole number >= 0", field=field)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a whole number >= 0 (got {value!r})", field=field) from None
    if n != value and str(n) != str(value).strip():
        raise ValidationError(f"{field} must be a whole number >= 0 (got {value!r})", field=field)
    if n < 0:
        raise ValidationError(f"{field} must be 0 or more (got {n})", field=field)
    return n


def record_lot(session: Session, code: str, lot_size, nonconforming, nonconforming_second=None, *,
               inspected_on: dt.date | None = None, lot_no: str = "", production_steady: bool = True,
               reduced_desirable: bool = True, normal_required: bool = False, actor: str = "cli") -> dict:
    """Record one lot on original inspection: judge it with the plan in force, update the switching state."""
    line = _line_or_404(session, code, for_update=True)
    state = SwitchingState.from_dict(line.state) if line.state else SwitchingState.start()
    if state.stage == "discontinued":
        raise ValidationError(f"inspection of line {code!r} is discontinued (GB/T 2828.1 clause 9.4): resume it with "
                              "`lingqu sampling line resume` after the supplier's corrective action", field="line")
    lot_size = parse_lot_size(lot_size)
    found = lookup_plan(lot_size, line.inspection_level, line.aql, state.stage, line.scheme)
    used = found.plan
    first = _count(nonconforming, "nonconforming")
    second = None if nonconforming_second is None else _count(nonconforming_second, "nonconforming_second")
    per_item = line.measure == "percent_nonconforming"
    if isinstance(used, SingleSamplingPlan):
        if second is not None:
            raise ValidationError("a single sampling plan has no second sample", field="nonconforming_second")
        if per_item and first > min(used.n, lot_size):
            raise ValidationError(f"nonconforming ({first}) exceeds the items inspected ({min(used.n, lot_size)})",
                                  field="nonconforming")
        accepted, decided = used.judge(first), "first"
        inspected = min(used.n, lot_size)
        tighter = tighter_acceptance_number(found.plan_code_letter, line.aql) if used.ac >= 2 else None
        points = score_points(used, accepted, nonconforming=first, tighter_ac=tighter)
    else:
        assert isinstance(used, DoubleSamplingPlan)
        if per_item and first > used.n1:
            raise ValidationError(f"nonconforming ({first}) exceeds the first sample ({used.n1})", field="nonconforming")
        accepted, decided = used.judge(first, second)
        if accepted is None:
            raise ValidationError(
                f"the first sample has {first} nonconforming, between Ac1={used.ac1} and Re1={used.re1}: inspect the "
                f"second sample of {used.second_sample_size} items and give its count", field="nonconforming_second")
        if decided == "first" and second is not None:
            raise ValidationError(f"the first sample decided the lot ({first} vs Ac1={used.ac1}/Re1={used.re1}); "
                                  "there is no second sample to record", field="nonconforming_second")
        if per_item and second is not None and second > used.second_sample_size:
            raise ValidationError(f"nonconforming_second ({second}) exceeds the second sample "
                                  f"({used.second_sample_size})", field="nonconforming_second")
        inspected = min(used.n1 if decided == "first" else used.n2, lot_size)
        points = score_points(used, accepted, decided_after=decided)
    new_state = state.after(LotResult(accepted, points, production_steady=production_steady,
                                      reduced_desirable=reduced_desirable, normal_required=normal_required))
    seq = repository.next_seq(session, line.id)
    lot = repository.add_lot(session, LotInspection(
        line_id=line.id, seq=seq, lot_no=lot_no.strip(), inspected_on=inspected_on or dt.date.today(),
        lot_size=lot_size, stage=state.stage, scheme_used=found.scheme_used, code_letter=found.code_letter,
        plan_code_letter=found.plan_code_letter, plan=used.to_dict(), sample_inspected=inspected,
        nonconforming_first=first, nonconforming_second=second, accepted=accepted, decided_after=decided,
        score_points=points if state.stage == "normal" else 0, switching_score_after=new_state.switching_score,
        stage_after=new_state.stage, reason=new_state.reason))
    before = _line_dict(line)
    line.stage, line.switching_score = new_state.stage, new_state.switching_score
    line.state, line.lot_count = new_state.to_dict(), line.lot_count + 1
    session.flush()
    out = _lot_dict(lot) | {"line": code}
    audit(session, actor=actor, action="insert", entity=ENTITY_LOT, key=f"{code}#{seq}", before=None, after=out)
    audit(session, actor=actor, action="update", entity=ENTITY_LINE, key=code, before=before, after=_line_dict(line))
    return out | {"next": _next(line, new_state, lot_size)}


def _lot_dict(lot: LotInspection) -> dict:
    return {"seq": lot.seq, "lot_no": lot.lot_no, "inspected_on": lot.inspected_on.isoformat(),
            "lot_size": lot.lot_size, "stage": lot.stage, "scheme_used": lot.scheme_used,
            "code_letter": lot.code_letter, "plan_code_letter": lot.plan_code_letter, "plan": dict(lot.plan),
            "sample_inspected": lot.sample_inspected, "nonconforming_first": lot.nonconforming_first,
            "nonconforming_second": lot.nonconforming_second, "accepted": lot.accepted,
            "decided_after": lot.decided_after, "score_points": lot.score_points,
            "switching_score_after": lot.switching_score_after, "stage_after": lot.stage_after, "reason": lot.reason}


def _progress(state: SwitchingState) -> str:
    if state.stage == "normal":
        recent = state.recent_normal
        return (f"switching score {state.switching_score}/30 toward reduced; {recent.count(False)} of the last "
                f"{len(recent)} lots on normal not accepted (tightened at 2 of 5 or fewer)")
    if state.stage == "tightened":
        return (f"{state.tightened_accepted_run} of 5 consecutive lots accepted toward normal; "
                f"{state.tightened_not_accepted} of 5 lots not accepted before discontinuation")
    if state.stage == "reduced":
        return "reduced continues while lots are accepted and production is steady"
    return "discontinued until the supplier's corrective action is accepted"


def _next(line: AcceptanceLine, state: SwitchingState, lot_size: int | None) -> dict:
    out = {"stage": state.stage, "switching_score": state.switching_score, "reason": state.reason,
           "clause": state.clause, "progress": _progress(state), "plan": None}
    if state.stage == "discontinued":
        out["plan"] = None
        out["note"] = "no plan applies: acceptance inspection is discontinued (clause 9.4)"
    elif lot_size is not None:
        out["plan"] = lookup_plan(lot_size, line.inspection_level, line.aql, state.stage, line.scheme).to_dict()
    else:
        out["note"] = "give the next lot's size to see its plan (the code letter depends on the lot size)"
    return out


def line_status(session: Session, code: str, lot_size=None, recent: int = 10) -> dict:
    """Which plan applies to the next lot of a line, and why (switching state, progress, recent lots)."""
    line = _line_or_404(session, code)
    state = SwitchingState.from_dict(line.state) if line.state else SwitchingState.start()
    lots = repository.recent_lots(session, line.id, limit=recent)
    size = parse_lot_size(lot_size) if lot_size is not None else (lots[0].lot_size if lots else None)
    nxt = _next(line, state, size)
    if lot_size is None and lots and nxt["plan"] is not None:
        nxt["note"] = f"plan shown for a lot of {size} items (the last lot's size); pass a lot size for another"
    return {"line": _line_dict(line), "next": nxt, "recent_lots": [_lot_dict(x) for x in lots]}


def resume_line(session: Session, code: str, actor: str = "cli") -> dict:
    """After discontinuation and the supplier's corrective action: resume on tightened inspection (9.4)."""
    line = _line_or_404(session, code, for_update=True)
    state = SwitchingState.from_dict(line.state)
    if state.stage != "discontinued":
        raise ValidationError(f"line {code!r} is on {state.stage} inspection, not discontinued", field="line")
    before = _line_dict(line)
    new_state = state.resume()
    line.stage, line.switching_score, line.state = new_state.stage, new_state.switching_score, new_state.to_dict()
    session.flush()
    audit(session, actor=actor, action="update", entity=ENTITY_LINE, key=code, before=before, after=_line_dict(line),
          note="resumed after corrective action (GB/T 2828.1 clause 9.4)")
    return _line_dict(line) | {"reason": new_state.reason}
